import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8Text, firstInvalidUtf8Offset } from '../../src/objects/utf8-text.js';
import { fcParams } from '../support/fc.js';
import { expectHardfsError } from './expect-hardfs-error.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

function decodes(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Mostly valid UTF-8 with a few damaged bytes: the edges of every sequence length. */
const damagedUtf8 = fc
  .tuple(
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90)), { maxLength: 3 }),
    fc.boolean(),
  )
  .map(([text, edits, truncate]) => {
    const bytes = [...Buffer.from(text, 'utf8')];
    for (const [at, byte] of edits) bytes.splice(at % (bytes.length + 1), 0, byte);
    if (truncate && bytes.length > 0) bytes.pop();
    return Uint8Array.from(bytes);
  });

describe('firstInvalidUtf8Offset', () => {
  it('is -1 exactly for valid UTF-8, else the offset where decoding first goes wrong', () => {
    fc.assert(
      fc.property(fc.oneof(damagedUtf8, fc.uint8Array({ maxLength: 12 })), (bytes) => {
        const offset = firstInvalidUtf8Offset(bytes);
        expect(offset === -1).toBe(decodes(bytes));
        if (offset === -1) return;
        expect(decodes(bytes.subarray(0, offset))).toBe(true);
        expect(lenient.decode(bytes.subarray(offset)).startsWith('\uFFFD')).toBe(true);
        expect(Buffer.from(bytes.subarray(offset, offset + 3)).equals(Buffer.from([0xef, 0xbf, 0xbd]))).toBe(false);
      }),
      fcParams(500),
    );
  });
});

describe('decodeUtf8Text', () => {
  it('decodes valid UTF-8 and refuses the rest as ECORRUPT with the byte offset', () => {
    fc.assert(
      fc.property(damagedUtf8, (bytes) => {
        const offset = firstInvalidUtf8Offset(bytes);
        if (offset === -1) {
          expect(decodeUtf8Text(bytes)).toBe(fatal.decode(bytes));
        } else {
          expect(expectHardfsError(() => decodeUtf8Text(bytes), 'ECORRUPT').message).toContain(`at byte ${offset}`);
        }
      }),
      fcParams(300),
    );
  });
});
