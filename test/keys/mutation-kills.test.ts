// Assertions added for mutants Stryker found surviving in src/keys (npm run mutate). decodeKey
// refuses a bad stem at the first check that can tell, and its last check (re-encoding) would
// refuse most of them anyway, so only the message says which check fired: these tests pin
// each refusal to its own reason and name, and the long-key shape to its exact bounds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LONG_STEM_DIGEST_LENGTH, MAX_STEM_LENGTH, decodeKey, encodeKey, isLongKeyStem } from '../../src/keys/index.js';
import { bytesOfStemTokens, stemOfBytes } from '../../src/keys/stem-alphabet.js';
import { fcParams } from '../support/fc.js';
import { expectHardfsError } from '../objects/expect-hardfs-error.js';

function refusal(stem: unknown): { message: string; path: string | undefined } {
  const error = expectHardfsError(() => decodeKey(stem as string), 'EBADNAME');
  return { message: error.message, path: error.path };
}

describe('decodeKey: each refusal names its reason and the stem', () => {
  it('not a non-empty string', () => {
    for (const stem of ['', 5, undefined]) {
      expect(refusal(stem).message).toBe('EBADNAME: stem must be a non-empty string');
    }
  });

  it('a ~ that does not make a long-key stem', () => {
    expect(refusal('a~b')).toEqual({ message: 'EBADNAME: malformed long-key stem: a~b', path: 'a~b' });
  });

  it('longer than encodeKey produces: just past the bound, not at it', () => {
    const long = 'k'.repeat(MAX_STEM_LENGTH + 1);
    expect(refusal(long)).toEqual({ message: `EBADNAME: stem is longer than encodeKey produces: ${long}`, path: long });
    expect(decodeKey('k'.repeat(MAX_STEM_LENGTH))).toBe('k'.repeat(MAX_STEM_LENGTH));
  });

  it.each([
    ['an upper-case letter', 'A'],
    ['a Latin-1 letter', 'é'],
    ['a character past Latin-1', 'Ā'],
    ['a separator', 'a/b'],
    ['lower-case hex', '%4a'],
    ['a non-hex first digit', '%G1'],
    ['a non-hex second digit', '%1G'],
    ['a character just past 9', '%:1'],
    ['a character just past F', '%4G'],
    ['a character just before A', '%@1'],
    ['a cut escape', 'a%4'],
    ['a bare percent', '%'],
  ])('a character or escape encodeKey never emits: %s', (_name, stem) => {
    expect(refusal(stem)).toEqual({ message: `EBADNAME: stem has a character or escape encodeKey never emits: ${stem}`, path: stem });
  });

  it('escapes that do not form UTF-8', () => {
    expect(refusal('%FF')).toEqual({ message: 'EBADNAME: escapes do not form valid UTF-8: %FF', path: '%FF' });
    expect(refusal('a%C3')).toEqual({ message: 'EBADNAME: escapes do not form valid UTF-8: a%C3', path: 'a%C3' });
  });

  it('a needless escape is not canonical', () => {
    expect(refusal('%61')).toEqual({ message: 'EBADNAME: stem is not in canonical form: %61', path: '%61' });
  });

  it('a leading byte-order mark is part of the key', () => {
    expect(decodeKey('%EF%BB%BFx')).toBe('\uFEFFx');
    expect(decodeKey('%EF%BB%BF')).toBe('\uFEFF');
  });
});

describe('encodeKey: refusals', () => {
  it('names the reason', () => {
    expect(expectHardfsError(() => encodeKey(''), 'EBADNAME').message).toBe('EBADNAME: key must be a non-empty string');
    expect(expectHardfsError(() => encodeKey('a\ud800'), 'EBADNAME').message).toBe('EBADNAME: key is not well-formed UTF-16 (lone surrogate)');
  });
});

describe('stem alphabet', () => {
  it('upper-case hex digits decode to their value, every byte round-trips', () => {
    const all = Uint8Array.from({ length: 256 }, (_, byte) => byte);
    const stem = stemOfBytes(all);
    expect(Array.from(bytesOfStemTokens(stem) ?? [])).toEqual(Array.from(all));
    expect(Array.from(bytesOfStemTokens('%09%0A%AF%F0') ?? [])).toEqual([0x09, 0x0a, 0xaf, 0xf0]);
  });

  it('a device name is matched as a whole base name only', () => {
    expect(encodeKey('xcon')).toBe('xcon');
    expect(encodeKey('xcon.txt')).toBe('xcon.txt');
    expect(encodeKey('icom1')).toBe('icom1');
    // a leading dot is escaped, so the base name before it is empty: nothing more to escape
    expect(encodeKey('.con')).toBe('%2Econ');
  });

  it('a stem longer than the shared buffer is whole, around its 3 KiB bound', () => {
    for (const count of [1023, 1024, 1025, 1100]) {
      expect(stemOfBytes(Buffer.alloc(count, 0x41))).toBe('%41'.repeat(count));
      expect(stemOfBytes(Buffer.alloc(count, 0x61))).toBe('a'.repeat(count));
    }
  });

  it('stems of any length are the same whether or not they fit the shared buffer', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'A', '.', 'é', '~'), minLength: 1, maxLength: 1400 }), (key) => {
        const stem = stemOfBytes(Buffer.from(key, 'utf8'));
        let expected = '';
        const bytes = Buffer.from(key, 'utf8');
        bytes.forEach((byte, i) => {
          const literal = (byte >= 0x61 && byte <= 0x7a) || (byte === 0x2e && i !== 0 && i !== bytes.length - 1);
          expected += literal ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
        });
        expect(stem).toBe(expected);
      }),
      fcParams(20),
    );
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
