import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HardfsError } from '../../src/errors.js';
import { LONG_STEM_DIGEST_LENGTH, MAX_STEM_LENGTH, decodeKey, encodeKey, isLongKeyStem } from '../../src/keys/index.js';
import { fcParams } from '../support/fc.js';
import { anyKey, escapedLength, longKey } from './key-arbitraries.js';

const DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/** Characters a stem may hold, both hex cases, the separator, and junk a directory may contain. */
const stemChar = fc.constantFrom(...'az09.-_%~AFafgG/\\é\0 Z'.split(''));
const stemish = fc.oneof(
  fc.string({ unit: stemChar, minLength: 0, maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('%4', '%C3%A9', '%2E', '%2e', '%63', '%41', 'a', '.', 'co', 'n', '~'), maxLength: 12 }),
  fc.string({ unit: stemChar, minLength: 160, maxLength: 240 }),
);

function decodeOutcome(stem: string): { key: string | undefined } | 'EBADNAME' {
  try {
    return { key: decodeKey(stem) };
  } catch (error) {
    expect(error).toBeInstanceOf(HardfsError);
    expect((error as HardfsError).code).toBe('EBADNAME');
    return 'EBADNAME';
  }
}

/**
 * A key whose stem starts with `prefix` followed by more than the bound allows: the prefix's
 * bytes, the rest of a character the cut split, an escaped byte if the cut stopped short of
 * an escape, then plain letters.
 */
function witnessKey(prefix: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < prefix.length; i += 1) {
    if (prefix[i] === '%') {
      bytes.push(Number.parseInt(prefix.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(prefix.charCodeAt(i));
    }
  }
  let lead = bytes.length - 1;
  while (lead > 0 && lead > bytes.length - 4 && ((bytes[lead] as number) & 0xc0) === 0x80) lead -= 1;
  const first = bytes[lead] as number;
  const needed = first >= 0xf0 ? 3 : first >= 0xe0 ? 2 : first >= 0xc0 ? 1 : 0;
  const missing = needed - (bytes.length - 1 - lead);
  for (let k = 0; k < missing; k += 1) {
    const second = bytes.length - 1 === lead;
    // The smallest continuation byte the lead allows (no overlong form, no surrogate).
    bytes.push(second && first === 0xe0 ? 0xa0 : second && first === 0xf0 ? 0x90 : 0x80);
  }
  if (missing <= 0 && prefix.length < MAX_STEM_LENGTH - 1 - LONG_STEM_DIGEST_LENGTH) bytes.push(0x41);
  for (let k = 0; k < MAX_STEM_LENGTH; k += 1) bytes.push(0x7a);
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes));
}

describe('encodeKey / decodeKey properties', () => {
  it('round-trips every key whose stem is short; long stems decode to undefined', () => {
    fc.assert(
      fc.property(anyKey, (key) => {
        const stem = encodeKey(key);
        if (stem.includes('~')) {
          expect(isLongKeyStem(stem)).toBe(true);
          expect(decodeKey(stem)).toBeUndefined();
        } else {
          expect(isLongKeyStem(stem)).toBe(false);
          expect(decodeKey(stem)).toBe(key);
        }
      }),
      fcParams(400),
    );
  });

  it('uses a long-key stem exactly when the escaped key is over the bound', () => {
    fc.assert(
      fc.property(fc.oneof(anyKey, longKey), (key) => {
        const stem = encodeKey(key);
        expect(stem.includes('~')).toBe(escapedLength(key) > MAX_STEM_LENGTH);
      }),
      fcParams(300),
    );
  });

  it('stays within the alphabet and the length bound, and never yields a reserved name', () => {
    fc.assert(
      fc.property(fc.oneof(anyKey, longKey), (key) => {
        const stem = encodeKey(key);
        expect(stem).toMatch(/^(?:[a-z0-9._-]|%[0-9A-F]{2})+(?:~[0-9a-f]{16,})?$/);
        expect(Buffer.byteLength(stem)).toBe(stem.length);
        expect(stem.length).toBeLessThanOrEqual(MAX_STEM_LENGTH);
        expect(stem.startsWith('.')).toBe(false);
        expect(stem.endsWith('.')).toBe(false);
        expect(DEVICE.test(stem.split('.')[0] as string)).toBe(false);
        // The store appends an extension; the name with it must be safe too.
        expect(DEVICE.test(`${stem}.json`.split('.')[0] as string)).toBe(false);
      }),
      fcParams(400),
    );
  });

  it('is injective, also after lower-casing (a case-insensitive filesystem)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(anyKey, longKey), { minLength: 2, maxLength: 40 }), (keys) => {
        const stems = keys.map(encodeKey);
        expect(new Set(stems).size).toBe(keys.length);
        expect(new Set(stems.map((stem) => stem.toLowerCase())).size).toBe(keys.length);
      }),
      fcParams(200),
    );
  });

  it('keys differing only in case never share a stem, even lower-cased', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }).filter((key) => key.toLowerCase() !== key.toUpperCase() && !/\p{Surrogate}/u.test(key)),
        (key) => {
          const lower = encodeKey(key.toLowerCase());
          const upper = encodeKey(key.toUpperCase());
          expect(lower.toLowerCase()).not.toBe(upper.toLowerCase());
        },
      ),
      fcParams(),
    );
  });

  it('decodeKey either throws EBADNAME or returns a key that re-encodes to the same stem', () => {
    fc.assert(
      fc.property(stemish, (stem) => {
        const outcome = decodeOutcome(stem);
        if (outcome === 'EBADNAME') return;
        if (outcome.key === undefined) expect(isLongKeyStem(stem)).toBe(true);
        else expect(encodeKey(outcome.key)).toBe(stem);
      }),
      fcParams(1000),
    );
  });

  it('a stem edited in one place is refused, or is the stem of another key', () => {
    fc.assert(
      fc.property(fc.oneof(anyKey, longKey), fc.nat(), fc.constantFrom('A', 'a', '%', '.', '~', '/', 'f', 'F', '0', ''), fc.boolean(), (key, at, char, insert) => {
        const stem = encodeKey(key);
        const index = at % stem.length;
        const edited = stem.slice(0, index) + char + stem.slice(insert ? index : index + 1);
        if (edited === stem) return;
        const outcome = decodeOutcome(edited);
        if (outcome === 'EBADNAME') return;
        if (outcome.key === undefined) {
          // Accepted as a long-key stem: some key must have a stem with exactly this prefix.
          const prefix = edited.slice(0, edited.indexOf('~'));
          expect(encodeKey(witnessKey(prefix)).startsWith(`${prefix}~`)).toBe(true);
        } else {
          expect(outcome.key).not.toBe(key);
          expect(encodeKey(outcome.key)).toBe(edited);
        }
      }),
      fcParams(600),
    );
  });
});
