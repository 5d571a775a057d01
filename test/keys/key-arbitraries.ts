import fc from 'fast-check';
import { MAX_STEM_LENGTH } from '../../src/keys/index.js';

const wellFormed = (key: string): boolean => key.length > 0 && !/\p{Surrogate}/u.test(key);

/** Keys from every corner: full Unicode, binary, the ASCII characters that matter, long strings. */
export const anyKey = fc
  .oneof(
    fc.string({ unit: 'grapheme', minLength: 1 }),
    fc.string({ unit: 'binary', minLength: 1 }),
    fc.string({ unit: fc.constantFrom(...'aA.~%/\\\0 -_:zZ09\uFEFF'.split('')), minLength: 1, maxLength: 12 }),
    fc.string({ unit: 'grapheme-ascii', minLength: 150, maxLength: 600 }),
    fc.string({ unit: 'binary', minLength: 40, maxLength: 200 }),
    fc.tuple(fc.constantFrom('con', 'CON', 'nul', 'com1', 'lpt0', 'aux', 'prn', '.', '..', ''), fc.string({ unit: fc.constantFrom('.', 'a', 'A', 'é', '1'), maxLength: 6 })).map(([a, b]) => a + b),
    fc.constantFrom('con', 'CON', 'con.txt', 'Nul.json', 'com1', 'lpt9.x', '.', '..', '...', '.hidden', 'trailing.', '~', '%41', 'a'.repeat(400)),
  )
  .filter(wellFormed);

/** Keys whose stem is over the bound, with escapes at every possible cut point. */
export const longKey = fc
  .tuple(
    fc.constantFrom('', '.', 'con.', 'A', 'é'),
    fc.string({ unit: fc.constantFrom('a', 'A', 'é', '.', '😀', '\u0800', '~'), minLength: 70, maxLength: 140 }),
  )
  .map(([head, body]) => head + body)
  .filter((key) => wellFormed(key) && escapedLength(key) > MAX_STEM_LENGTH);

/** Length of a key's stem before any truncation: one character per literal byte, three per escape. */
export function escapedLength(key: string): number {
  let length = 0;
  for (const byte of new TextEncoder().encode(key)) length += /[a-z0-9._-]/.test(String.fromCharCode(byte)) ? 1 : 3;
  return length;
}
