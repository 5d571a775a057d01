// Properties of the stem alphabet, on arbitrary bytes and arbitrary texts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesOfStemTokens, stemOfBytes } from '../../src/keys/stem-alphabet.js';
import { fcParams } from '../support/fc.js';

const TOKENS = /^(?:[a-z0-9._-]|%[0-9A-F]{2})*$/;

describe('stemOfBytes / bytesOfStemTokens properties', () => {
  it('a stem is canonical tokens that spell the bytes back, with no dot at either end', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (bytes) => {
        const stem = stemOfBytes(bytes);
        expect(stem).toMatch(TOKENS);
        expect(stem.startsWith('.')).toBe(false);
        expect(stem.endsWith('.')).toBe(false);
        expect(Array.from(bytesOfStemTokens(stem) ?? [-1])).toEqual(Array.from(bytes));
      }),
      fcParams(300),
    );
  });

  it('reads a text exactly when it is made of canonical tokens', () => {
    const unit = fc.constantFrom(...'az09._-%AFGf~/ é'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 16 }), (text) => {
        const bytes = bytesOfStemTokens(text);
        expect(bytes !== undefined).toBe(TOKENS.test(text));
        if (bytes !== undefined) expect(bytes.length).toBe(text.length - 2 * (text.split('%').length - 1));
      }),
      fcParams(500),
    );
  });

  it('lower-casing never makes two stems equal', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 }), (a, b) => {
        if (Buffer.from(a).equals(Buffer.from(b))) return;
        expect(stemOfBytes(a).toLowerCase()).not.toBe(stemOfBytes(b).toLowerCase());
      }),
      fcParams(500),
    );
  });
});
