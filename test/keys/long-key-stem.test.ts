// The long-key form: a stem over the bound becomes a prefix, `~` and a digest, and
// isLongKeyStem recognizes exactly the shapes that cut can give.
import { describe, expect, it } from 'vitest';
import { LONG_STEM_DIGEST_LENGTH, MAX_STEM_LENGTH, decodeKey, encodeKey, isLongKeyStem } from '../../src/keys/index.js';
import { importFresh } from '../support/platform.js';
import { expectHardfsError } from '../objects/expect-hardfs-error.js';

const MODULE = new URL('../../src/keys/long-key-stem.ts', import.meta.url);

describe('encodeKey: long keys', () => {
  it('get a bounded stem: a prefix, ~, and a hex SHA-256 digest', () => {
    const a = encodeKey('k'.repeat(1000));
    expect(a.length).toBeLessThanOrEqual(MAX_STEM_LENGTH);
    expect(a).toMatch(new RegExp(`^k+~[0-9a-f]{${LONG_STEM_DIGEST_LENGTH}}$`));
    expect(LONG_STEM_DIGEST_LENGTH).toBeGreaterThanOrEqual(16);
    expect(MAX_STEM_LENGTH).toBe(200);
    expect(encodeKey(`${'k'.repeat(999)}j`)).not.toBe(a);
    expect(isLongKeyStem(a)).toBe(true);
    expect(decodeKey(a)).toBeUndefined();
  });

  it('switch to the long form just past the bound', () => {
    expect(encodeKey('k'.repeat(MAX_STEM_LENGTH))).toBe('k'.repeat(MAX_STEM_LENGTH));
    expect(encodeKey('k'.repeat(MAX_STEM_LENGTH + 1))).toContain('~');
    expect(encodeKey(`${'k'.repeat(MAX_STEM_LENGTH - 3)}A`)).toBe(`${'k'.repeat(MAX_STEM_LENGTH - 3)}%41`);
    expect(encodeKey(`${'k'.repeat(MAX_STEM_LENGTH - 2)}A`)).toContain('~');
  });

  it('never cut an escape in half', () => {
    for (let shift = 0; shift < 3; shift += 1) {
      const stem = encodeKey(`${'k'.repeat(shift)}${'É'.repeat(100)}`);
      expect(stem.split('~')[0]).toMatch(/^k*(%[0-9A-F]{2})+$/);
      expect(isLongKeyStem(stem)).toBe(true);
    }
  });

  it('are escaped in full before the cut, however long', () => {
    const stem = encodeKey(`${'é'.repeat(2000)}.`);
    expect(stem.split('~')[0]).toBe('%C3%A9'.repeat(27) + '%C3');
    expect(isLongKeyStem(stem)).toBe(true);
    expect(stem).not.toBe(encodeKey('é'.repeat(2000)));
  });

  it('keep the escapes that protect the start of the name', () => {
    expect(encodeKey(`.${'k'.repeat(300)}`).startsWith('%2Ek')).toBe(true);
    expect(encodeKey(`con.${'k'.repeat(300)}`).startsWith('%63on.k')).toBe(true);
  });
});

describe('isLongKeyStem and decodeKey: long-key stems', () => {
  it('is false for anything but a string', () => {
    expect(isLongKeyStem(42 as unknown as string)).toBe(false);
  });

  it('refuses long-key stems encodeKey would not cut that way', () => {
    // 166 or 165 plain characters would be a valid cut (an escape followed); 164 never is.
    const stem = encodeKey('k'.repeat(300));
    const [prefix, digest] = stem.split('~') as [string, string];
    expect(decodeKey(stem)).toBeUndefined();
    for (const bad of [
      `${prefix}~${digest.toUpperCase()}`,
      `${prefix}~${digest.slice(1)}`,
      `${prefix}~${digest}0`,
      `${prefix.slice(3)}~${digest}`,
      `${prefix}k~${digest}`,
      `K${prefix.slice(1)}~${digest}`,
      `%6B${prefix.slice(3)}~${digest}`,
      `.${prefix.slice(1)}~${digest}`,
      `${prefix}~${digest}~${digest}`,
      `${prefix.slice(0, 100)}%FF${prefix.slice(103)}~${digest}`,
    ]) {
      expect(isLongKeyStem(bad)).toBe(false);
      expectHardfsError(() => decodeKey(bad), 'EBADNAME');
    }
  });

  it('accepts a prefix cut short because an escape came next', () => {
    const stem = encodeKey(`${'k'.repeat(166)}A${'k'.repeat(50)}`);
    expect(stem.split('~')[0]).toBe('k'.repeat(166));
    expect(isLongKeyStem(stem)).toBe(true);
    expect(encodeKey(`${'k'.repeat(165)}A${'k'.repeat(50)}`).split('~')[0]).toBe('k'.repeat(165));
  });

  it('accepts a long-key stem whose prefix ends inside a multi-byte character', () => {
    const stem = encodeKey(`${'k'.repeat(165)}😀${'k'.repeat(50)}`);
    expect(stem.split('~')[0]).toBe(`${'k'.repeat(165)}`);
    const split = encodeKey(`${'k'.repeat(158)}😀${'k'.repeat(50)}`);
    expect(split.split('~')[0]).toBe(`${'k'.repeat(158)}%F0%9F%98`);
    expect(isLongKeyStem(split)).toBe(true);
  });
});

describe('isLongKeyStem: the exact shape', () => {
  const prefixLength = MAX_STEM_LENGTH - 1 - LONG_STEM_DIGEST_LENGTH;
  const digest = 'a'.repeat(LONG_STEM_DIGEST_LENGTH);

  it('the separator sits at the full cut or up to two characters before it, nowhere else', () => {
    expect(isLongKeyStem(`${'k'.repeat(prefixLength)}~${digest}`)).toBe(true);
    expect(isLongKeyStem(`${'k'.repeat(prefixLength + 1)}~${digest}`)).toBe(false);
    expect(isLongKeyStem(`${'k'.repeat(prefixLength - 3)}~${digest}`)).toBe(false);
    expect(isLongKeyStem(`k~${digest}`)).toBe(false);
  });

  it('a prefix cut one or two short is what an escape coming next gives', () => {
    expect(isLongKeyStem(`${'k'.repeat(prefixLength - 1)}~${digest}`)).toBe(true);
    expect(isLongKeyStem(`${'k'.repeat(prefixLength - 2)}~${digest}`)).toBe(true);
    const escapedNext = encodeKey(`${'k'.repeat(prefixLength - 1)}A${'k'.repeat(60)}`);
    expect(escapedNext.indexOf('~')).toBe(prefixLength - 1);
    expect(isLongKeyStem(escapedNext)).toBe(true);
  });

  it('the digest is lower-case hex of the exact length, all of it', () => {
    const prefix = 'k'.repeat(prefixLength);
    expect(isLongKeyStem(`${prefix}~${'A'.repeat(LONG_STEM_DIGEST_LENGTH)}`)).toBe(false);
    expect(isLongKeyStem(`${prefix}~g${'a'.repeat(LONG_STEM_DIGEST_LENGTH - 1)}`)).toBe(false);
    expect(isLongKeyStem(`${prefix}~${'a'.repeat(LONG_STEM_DIGEST_LENGTH - 1)}`)).toBe(false);
  });

  it('a prefix whose bytes are not the start of UTF-8 is refused', () => {
    expect(isLongKeyStem(`${'k'.repeat(prefixLength - 3)}%FF~${digest}`)).toBe(false);
    expect(decodeKey(`${'k'.repeat(prefixLength - 3)}%C3~${digest}`)).toBeUndefined();
  });
});

describe('the long-key form as it loads', () => {
  // A copy evaluated by this test (see importFresh): the prefix length and the digest
  // pattern are computed when the module loads.
  it('cuts at the bound and accepts only an all-hex digest', async () => {
    const fresh = await importFresh<typeof import('../../src/keys/long-key-stem.js')>(MODULE);
    const key = 'k'.repeat(300);
    const stem = fresh.longKeyStem(key, new TextEncoder().encode(key));
    expect(stem.length).toBe(MAX_STEM_LENGTH);
    expect(stem.indexOf('~')).toBe(MAX_STEM_LENGTH - 1 - LONG_STEM_DIGEST_LENGTH);
    expect(fresh.isLongKeyStem(stem)).toBe(true);
    expect(fresh.isLongKeyStem(`${stem.slice(0, -1)}g`)).toBe(false);
    const separator = stem.indexOf('~');
    expect(fresh.isLongKeyStem(`${stem.slice(0, separator + 1)}g${stem.slice(separator + 2)}`)).toBe(false);
  });
});
