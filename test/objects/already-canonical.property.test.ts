// isAlreadyCanonical: the fast path hands JSON.stringify only what the careful walk would write the same.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAST_PATH_MAX_DEPTH, isAlreadyCanonical } from '../../src/objects/already-canonical.js';
import { stableStringify, walkStringify } from '../../src/objects/stable-stringify.js';
import { fcParams } from '../support/fc.js';
import { anyJson, anything, keysEnumerateSorted, reorder, sortedDeep } from './json-arbitraries.js';

describe('isAlreadyCanonical properties', () => {
  it('writes the same text on the fast path as the careful walk, for any value', () => {
    fc.assert(
      fc.property(fc.oneof(anything, anyJson, anyJson.map(sortedDeep)), (value) => {
        let fast: unknown;
        let careful: unknown;
        try {
          fast = stableStringify(value);
        } catch (error) {
          fast = error;
        }
        try {
          careful = walkStringify(value, 256);
        } catch (error) {
          careful = error;
        }
        expect(fast).toEqual(careful);
      }),
      fcParams(300),
    );
  });

  it('takes the fast path for sorted JSON data within the depth bound', () => {
    fc.assert(
      fc.property(anyJson.map(sortedDeep), (value) => {
        fc.pre(keysEnumerateSorted(value));
        expect(isAlreadyCanonical(value, FAST_PATH_MAX_DEPTH)).toBe(true);
        // And after a shuffle that changes some object's key order, it does not.
        const shuffled = reorder(value, 1);
        if (!keysEnumerateSorted(shuffled)) expect(isAlreadyCanonical(shuffled, FAST_PATH_MAX_DEPTH)).toBe(false);
      }),
      fcParams(300),
    );
  });

  it('is true only where JSON.stringify writes what the careful walk writes', () => {
    fc.assert(
      fc.property(fc.oneof(anything, anyJson.map(sortedDeep)), (value) => {
        if (!isAlreadyCanonical(value, FAST_PATH_MAX_DEPTH)) return;
        expect(JSON.stringify(value)).toBe(walkStringify(value, FAST_PATH_MAX_DEPTH));
      }),
      fcParams(300),
    );
  });
});
