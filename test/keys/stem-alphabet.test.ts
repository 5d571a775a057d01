// The stem alphabet: which bytes are literal, how the others are escaped, and how a stem's
// tokens are read back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeKey } from '../../src/keys/index.js';
import { bytesOfStemTokens, stemOfBytes } from '../../src/keys/stem-alphabet.js';
import { fcParams } from '../support/fc.js';
import { importFresh } from '../support/platform.js';

const MODULE = new URL('../../src/keys/stem-alphabet.ts', import.meta.url);

/** The stem of `bytes` spelled out byte by byte, independently of the module's tables. */
function expectedStem(bytes: Uint8Array): string {
  let stem = '';
  bytes.forEach((byte, i) => {
    const edgeDot = byte === 0x2e && (i === 0 || i === bytes.length - 1);
    const literal = (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x5f || (byte === 0x2e && !edgeDot);
    stem += literal ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  });
  return stem;
}

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

describe('the alphabet as the module loads it', () => {
  // A copy evaluated by this test (see importFresh): the literal table, the hex digits and the
  // device-name pattern are built when the module loads.
  it('escapes exactly the bytes outside the literal set, and reads every token back', async () => {
    const fresh = await importFresh<typeof import('../../src/keys/stem-alphabet.js')>(MODULE);
    const all = Uint8Array.from({ length: 256 }, (_, byte) => byte);
    const stem = fresh.stemOfBytes(all);
    expect(stem).toBe(expectedStem(all));
    expect(stem).toContain('-.%2F0123456789%3A');
    expect(stem).toContain('_%60abcdefghijklmnopqrstuvwxyz%7B');
    expect(Array.from(fresh.bytesOfStemTokens(stem) ?? [])).toEqual(Array.from(all));
    expect(Array.from(fresh.bytesOfStemTokens('%0A%AF%F0z9') ?? [])).toEqual([0x0a, 0xaf, 0xf0, 0x7a, 0x39]);
    expect(fresh.bytesOfStemTokens('%af')).toBeUndefined();
  });

  it('escapes a device base name only when it is the whole base name', async () => {
    const fresh = await importFresh<typeof import('../../src/keys/stem-alphabet.js')>(MODULE);
    const stem = (text: string): string => fresh.stemOfBytes(Buffer.from(text, 'utf8'));
    expect(stem('com1')).toBe('%63om1');
    expect(stem('lpt9.txt')).toBe('%6Cpt9.txt');
    expect(stem('nul')).toBe('%6Eul');
    for (const plain of ['xcon', 'console', 'comx', 'lptx', 'com', 'lpt', 'xnul.txt']) expect(stem(plain)).toBe(plain);
  });
});
