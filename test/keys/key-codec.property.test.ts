import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HardfsError, MAX_STEM_LENGTH, decodeKey, encodeKey, isLongKeyStem } from '../../src/index.js';
import { fcParams } from '../support/fc.js';

const DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/** Keys from every corner: full Unicode, ASCII with the characters that matter, and long strings. */
const anyKey = fc
  .oneof(
    fc.string({ unit: 'grapheme', minLength: 1 }),
    fc.string({ unit: fc.constantFrom(...'aA.~%/\\\0 -_:zZ09'.split('')), minLength: 1, maxLength: 12 }),
    fc.string({ unit: 'binary', minLength: 1 }),
    fc.string({ unit: 'grapheme-ascii', minLength: 150, maxLength: 600 }),
    fc.constantFrom('con', 'CON', 'con.txt', 'Nul.json', 'com1', 'lpt9.x', '.', '..', '...', '.hidden', 'trailing.', '~', '%41', 'a'.repeat(400)),
  )
  .filter((key) => key.length > 0 && !/\p{Surrogate}/u.test(key));

function expectBadName(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HardfsError);
    expect((error as HardfsError).code).toBe('EBADNAME');
    return;
  }
  throw new Error('expected EBADNAME');
}

describe('encodeKey / decodeKey properties', () => {
  it('round-trips every key whose stem is short, and marks long stems', () => {
    fc.assert(
      fc.property(anyKey, (key) => {
        const stem = encodeKey(key);
        if (isLongKeyStem(stem)) expect(decodeKey(stem)).toBeUndefined();
        else expect(decodeKey(stem)).toBe(key);
      }),
      fcParams(300),
    );
  });

  it('stays within the alphabet and the length bound, and never yields a dangerous name', () => {
    fc.assert(
      fc.property(anyKey, (key) => {
        const stem = encodeKey(key);
        expect(stem).toMatch(/^[a-z0-9._%A-F~-]+$/);
        expect(Buffer.byteLength(stem)).toBeLessThanOrEqual(MAX_STEM_LENGTH);
        expect(stem.startsWith('.')).toBe(false);
        expect(stem.endsWith('.')).toBe(false);
        expect(stem === '.' || stem === '..').toBe(false);
        const base = stem.split('.')[0] as string;
        expect(DEVICE.test(base)).toBe(false);
        // escapes are upper-case hex; literal upper case never appears outside them
        expect(stem.replace(/%[0-9A-F]{2}/g, '')).not.toMatch(/[A-Z%]/);
      }),
      fcParams(300),
    );
  });

  it('is injective, also after lower-casing (case-insensitive filesystems)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(anyKey, { minLength: 2, maxLength: 40 }), (keys) => {
        const stems = keys.map(encodeKey);
        expect(new Set(stems).size).toBe(keys.length);
        expect(new Set(stems.map((stem) => stem.toLowerCase())).size).toBe(keys.length);
      }),
      fcParams(200),
    );
  });

  it('keys differing only in case never share a stem, even lower-cased', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 250 }).filter((k) => k.toLowerCase() !== k.toUpperCase()), (key) => {
        const a = encodeKey(key.toLowerCase());
        const b = encodeKey(key.toUpperCase());
        expect(a.toLowerCase()).not.toBe(b.toLowerCase());
      }),
      fcParams(),
    );
  });

  it('decodeKey either throws EBADNAME or returns a key that re-encodes to the same stem', () => {
    const stemish = fc.string({ unit: fc.constantFrom(...'az09.-_%~AFafgG/\\é\0'.split('')), minLength: 0, maxLength: 30 });
    fc.assert(
      fc.property(stemish, (stem) => {
        let key: string | undefined;
        try {
          key = decodeKey(stem);
        } catch (error) {
          expect((error as HardfsError).code).toBe('EBADNAME');
          return;
        }
        if (key === undefined) expect(isLongKeyStem(stem)).toBe(true);
        else expect(encodeKey(key)).toBe(stem);
      }),
      fcParams(1000),
    );
  });

  it('mutating one character of a valid stem is refused or decodes to another key', () => {
    fc.assert(
      fc.property(anyKey, fc.nat(), fc.constantFrom('A', 'a', '%', '.', '~', '/', 'f', 'F'), (key, at, char) => {
        const stem = encodeKey(key);
        const index = at % stem.length;
        const mutated = stem.slice(0, index) + char + stem.slice(index + 1);
        if (mutated === stem) return;
        try {
          const decoded = decodeKey(mutated);
          if (decoded !== undefined) expect(decoded).not.toBe(key);
        } catch (error) {
          expect((error as HardfsError).code).toBe('EBADNAME');
        }
      }),
      fcParams(300),
    );
  });
});

describe('encodeKey / decodeKey examples', () => {
  it('escapes what filesystems give meaning to', () => {
    expect(encodeKey('abc-1_2')).toBe('abc-1_2');
    expect(encodeKey('ABC')).toBe('%41%42%43');
    expect(encodeKey('.')).toBe('%2E');
    expect(encodeKey('..')).toBe('%2E%2E');
    expect(encodeKey('a.b')).toBe('a.b');
    expect(encodeKey('.env')).toBe('%2Eenv');
    expect(encodeKey('x.')).toBe('x%2E');
    expect(encodeKey('a/b\\c')).toBe('a%2Fb%5Cc');
    expect(encodeKey('nul\0')).toBe('nul%00');
    expect(encodeKey('~')).toBe('%7E');
    expect(encodeKey('é')).toBe('%C3%A9');
    expect(encodeKey('con')).toBe('%63on');
    expect(encodeKey('COM1')).toBe('%43%4F%4D1');
    expect(encodeKey('lpt3.txt')).toBe('%6Cpt3.txt');
    expect(encodeKey('aux.tar.gz')).toBe('%61ux.tar.gz');
    expect(encodeKey('console')).toBe('console');
  });

  it('long keys get a bounded stem with a digest, and distinct long keys distinct stems', () => {
    const a = encodeKey('k'.repeat(1000));
    const b = encodeKey(`${'k'.repeat(999)}j`);
    expect(a.length).toBeLessThanOrEqual(MAX_STEM_LENGTH);
    expect(a).toMatch(/~[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    expect(decodeKey(a)).toBeUndefined();
    // an escape is never cut in half by the truncation
    const escaped = encodeKey('É'.repeat(200));
    expect(escaped.split('~')[0]).toMatch(/^(%[0-9A-F]{2})+$/);
  });

  it('refuses what it cannot encode or would never produce', () => {
    expectBadName(() => encodeKey(''));
    expectBadName(() => encodeKey('\uD800'));
    expectBadName(() => encodeKey('a\uDC00b'));
    for (const stem of ['', '%41%4a', '%4', '%zz', 'A', 'a/b', '%61', '.', '..', 'x.', '%2e', 'con', '%FF', '~abc', 'a~0123', `${'a'.repeat(201)}`]) {
      expectBadName(() => decodeKey(stem));
    }
    expect(() => encodeKey(42 as unknown as string)).toThrow(HardfsError);
  });
});
