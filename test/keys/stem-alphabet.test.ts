// The stem alphabet: which bytes are literal, how the others are escaped, and how a stem's
// tokens are read back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeKey } from '../../src/keys/index.js';
import { bytesOfStemTokens, stemOfBytes } from '../../src/keys/stem-alphabet.js';
import { fcParams } from '../support/fc.js';

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
