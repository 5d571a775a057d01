import { describe, expect, it } from 'vitest';
import { HardfsError } from '../../src/errors.js';
import { LONG_STEM_DIGEST_LENGTH, MAX_STEM_LENGTH, decodeKey, encodeKey, isLongKeyStem } from '../../src/keys/index.js';
import { expectHardfsError } from '../objects/expect-hardfs-error.js';

describe('encodeKey', () => {
  it.each([
    ['abc-1_2', 'abc-1_2'],
    ['agent:main:telegram:42', 'agent%3Amain%3Atelegram%3A42'],
    ['ABC', '%41%42%43'],
    ['a.b', 'a.b'],
    ['a b', 'a%20b'],
    ['a/b\\c', 'a%2Fb%5Cc'],
    ['nul\0', 'nul%00'],
    ['~', '%7E'],
    ['%41', '%2541'],
    ['é', '%C3%A9'],
    ['😀', '%F0%9F%98%80'],
    ['\uFEFFx', '%EF%BB%BFx'],
  ])('%j → %s', (key, stem) => {
    expect(encodeKey(key)).toBe(stem);
    expect(decodeKey(stem)).toBe(key);
  });

  it.each([
    ['.', '%2E'],
    ['..', '%2E%2E'],
    ['...', '%2E.%2E'],
    ['.env', '%2Eenv'],
    ['x.', 'x%2E'],
    ['x..', 'x.%2E'],
  ])('escapes a dot at either end: %j → %s', (key, stem) => {
    expect(encodeKey(key)).toBe(stem);
    expect(decodeKey(stem)).toBe(key);
  });

  it.each([
    ['con', '%63on'],
    ['prn', '%70rn'],
    ['aux', '%61ux'],
    ['nul', '%6Eul'],
    ['com0', '%63om0'],
    ['com9', '%63om9'],
    ['lpt0', '%6Cpt0'],
    ['lpt3.txt', '%6Cpt3.txt'],
    ['aux.tar.gz', '%61ux.tar.gz'],
  ])('escapes the first character of a device base name: %j → %s', (key, stem) => {
    expect(encodeKey(key)).toBe(stem);
    expect(decodeKey(stem)).toBe(key);
  });

  it('leaves names that merely start like a device alone', () => {
    for (const key of ['console', 'com10', 'lpt', 'co', 'nul-1', 'auxiliary.json', 'x.con']) expect(encodeKey(key)).toBe(key);
    // The escaped trailing dot already makes the base name `con%2E`, which is no device.
    expect(encodeKey('con.')).toBe('con%2E');
    // Upper case is escaped anyway, which already keeps CON from being a device name.
    expect(encodeKey('CON')).toBe('%43%4F%4E');
    expect(encodeKey('Con.txt')).toBe('%43on.txt');
  });

  it('refuses an empty key and ill-formed UTF-16 with EBADNAME', () => {
    expectHardfsError(() => encodeKey(''), 'EBADNAME');
    expectHardfsError(() => encodeKey('\uD800'), 'EBADNAME');
    expectHardfsError(() => encodeKey('a\uDC00b'), 'EBADNAME');
    expectHardfsError(() => encodeKey('\uDE00\uD83D'), 'EBADNAME');
    expectHardfsError(() => encodeKey(42 as unknown as string), 'EBADNAME');
    expect(encodeKey('\uD83D\uDE00')).toBe('%F0%9F%98%80');
  });
});

describe('long keys', () => {
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

describe('decodeKey', () => {
  it.each([
    ['', 'empty'],
    ['%41%4a', 'lower-case hex'],
    ['%4', 'short escape'],
    ['%', 'bare percent'],
    ['%zz', 'not hex'],
    ['A', 'literal upper case'],
    ['a/b', 'a separator'],
    ['a\\b', 'a backslash'],
    ['a b', 'a space'],
    ['é', 'non-ASCII'],
    ['%61', 'escape of a literal'],
    ['%2Ea.b%2E.%2E', 'escape of an inner dot'],
    ['.', 'dot'],
    ['..', 'dot dot'],
    ['.env', 'leading dot'],
    ['x.', 'trailing dot'],
    ['%2e', 'lower-case escape of a dot'],
    ['con', 'device name'],
    ['con.json', 'device name with an extension'],
    ['%63%6Fn', 'device name escaped too much'],
    ['%FF', 'invalid UTF-8'],
    ['%C3', 'truncated UTF-8'],
    ['%ED%A0%80', 'UTF-8 of a surrogate'],
    ['%C0%AF', 'overlong UTF-8'],
    ['~', 'bare separator'],
    ['~abc', 'empty prefix'],
    [`a~${'0'.repeat(LONG_STEM_DIGEST_LENGTH)}`, 'long-key shape with a short prefix'],
    ['a'.repeat(MAX_STEM_LENGTH + 1), 'over the bound'],
  ])('refuses %j (%s) with EBADNAME', (stem) => {
    expectHardfsError(() => decodeKey(stem), 'EBADNAME');
  });

  it('isLongKeyStem is false for anything but a string', () => {
    expect(isLongKeyStem(42 as unknown as string)).toBe(false);
  });

  it('names the refused stem, with control characters made visible', () => {
    const error = expectHardfsError(() => decodeKey('a\0b'), 'EBADNAME');
    expect(error.path).toBe('a\\x00b');
    expect(expectHardfsError(() => decodeKey(42 as unknown as string), 'EBADNAME')).toBeInstanceOf(HardfsError);
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

describe('case-insensitive filesystems', () => {
  it('every key of one or two ASCII characters keeps a distinct stem when lower-cased', () => {
    const keys: string[] = [];
    for (let a = 0; a < 128; a += 1) {
      keys.push(String.fromCharCode(a));
      for (let b = 0; b < 128; b += 1) keys.push(String.fromCharCode(a, b));
    }
    const lowered = new Set(keys.map((key) => encodeKey(key).toLowerCase()));
    expect(lowered.size).toBe(keys.length);
  });

  it('case variants of device names, dots and letters stay distinct', () => {
    const keys = ['con', 'CON', 'Con', 'cON', 'con.txt', 'CON.TXT', 'a', 'A', '.a', '.A', 'a.', 'A.', 'é', 'É', 'ß', 'SS', 'ss'];
    const lowered = new Set(keys.map((key) => encodeKey(key).toLowerCase()));
    expect(lowered.size).toBe(keys.length);
  });
});
