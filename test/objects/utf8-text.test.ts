// decodeUtf8Text / firstInvalidUtf8Offset: strict UTF-8 at the edges of every sequence length.
import { describe, expect, it } from 'vitest';
import { decodeUtf8Text, firstInvalidUtf8Offset } from '../../src/objects/utf8-text.js';
import { expectHardfsError } from './expect-hardfs-error.js';
import { importFresh } from '../support/platform.js';

const MODULE = new URL('../../src/objects/utf8-text.ts', import.meta.url);

describe('UTF-8: the narrowed second-byte ranges (WHATWG)', () => {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  const cases: Array<[string, number[], number]> = [
    ['E0 needs A0..BF (no overlong 3-byte form)', [0x61, 0xe0, 0x9f, 0x80], 1],
    ['E0 A0 80 is valid', [0xe0, 0xa0, 0x80], -1],
    ['ED needs 80..9F (no surrogates)', [0x61, 0x62, 0xed, 0xa0, 0x80], 2],
    ['ED 9F BF is valid', [0xed, 0x9f, 0xbf], -1],
    ['F0 needs 90..BF (no overlong 4-byte form)', [0xf0, 0x8f, 0x80, 0x80], 0],
    ['F0 90 80 80 is valid', [0xf0, 0x90, 0x80, 0x80], -1],
    ['F4 needs 80..8F (nothing past U+10FFFF)', [0x61, 0xf4, 0x90, 0x80, 0x80], 1],
    ['F4 8F BF BF is valid', [0xf4, 0x8f, 0xbf, 0xbf], -1],
    ['F5 never starts a sequence', [0x61, 0xf5, 0x80, 0x80, 0x80], 1],
    ['C1 never starts a sequence', [0xc1, 0x81], 0],
    ['a sequence cut at the end', [0x61, 0xe2, 0x82], 1],
  ];

  it.each(cases)('%s', (_name, bytes, offset) => {
    const input = Uint8Array.from(bytes);
    expect(firstInvalidUtf8Offset(input)).toBe(offset);
    let valid = true;
    try {
      fatal.decode(input);
    } catch {
      valid = false;
    }
    expect(valid).toBe(offset === -1);
  });
});

describe('decodeUtf8Text', () => {
  it('drops a leading BOM, as editors write one', () => {
    expect(decodeUtf8Text(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61))).toBe('a');
  });

  it('refuses invalid UTF-8 as ECORRUPT naming the offset, not the bytes', () => {
    const error = expectHardfsError(() => decodeUtf8Text(Uint8Array.of(0x61, 0xed, 0xa0, 0x80)), 'ECORRUPT');
    expect(error.message).toContain('UTF-8 at byte 1');
    expect(error.cause).toBeInstanceOf(TypeError);
  });
});

describe('lead bytes at the edges of each range', () => {
  it.each([
    ['C2: the first two-byte lead', [0xc2, 0x80], -1],
    ['DF: the last two-byte lead', [0xdf, 0xbf], -1],
    ['C1: an overlong two-byte lead', [0xc1, 0xbf], 0],
    ['EF: the last three-byte lead', [0x61, 0xef, 0xbf, 0xbf], -1],
    ['a continuation byte with two more after it', [0x80, 0x80, 0x80], 0],
    ['a continuation byte with three more after it', [0x61, 0x80, 0x80, 0x80, 0x80], 1],
    ['C0 with three continuation bytes', [0xc0, 0x80, 0x80, 0x80], 0],
  ])('%s', (_name, bytes, offset) => {
    expect(firstInvalidUtf8Offset(Uint8Array.from(bytes))).toBe(offset);
  });
});

describe('the strict decoder as the module loads it', () => {
  // A copy evaluated by this test (see importFresh): the decoder is built when the module loads.
  it('refuses invalid UTF-8 with ECORRUPT and drops a leading BOM', async () => {
    const fresh = await importFresh<typeof import('../../src/objects/utf8-text.js')>(MODULE);
    expect(fresh.decodeUtf8Text(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61, 0xc3, 0xa9))).toBe('aé');
    const error = expectHardfsError(() => fresh.decodeUtf8Text(Uint8Array.of(0x61, 0xff)), 'ECORRUPT');
    expect(error.message).toContain('at byte 1');
    expect(decodeUtf8Text(Uint8Array.of(0x61))).toBe('a');
  });
});
