import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAST_PATH_MAX_DEPTH, isAlreadyCanonical } from '../../src/objects/already-canonical.js';
import { stableStringify } from '../../src/objects/index.js';
import { walkStringify } from '../../src/objects/stable-stringify.js';
import { fcParams } from '../support/fc.js';
import { jsonValue } from './json-arbitraries.js';

const anyJson = fc.oneof(fc.jsonValue(), jsonValue);

function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty: a `__proto__` key must stay an own key, not swap the prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The same value rebuilt with every object's keys inserted in a shuffled order. */
function reorder(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item, i) => reorder(item, seed + i));
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    const shuffled = keys.map((key, i) => ({ key, rank: ((seed + 1) * 7919 * (i + 3)) % 104729 })).sort((a, b) => a.rank - b.rank);
    const out: Record<string, unknown> = seed % 2 === 0 ? {} : (Object.create(null) as Record<string, unknown>);
    for (const { key } of shuffled) defineKey(out, key, reorder((value as Record<string, unknown>)[key], seed + 1));
    return out;
  }
  return value;
}

function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) defineKey(out, key, sortedDeep((value as Record<string, unknown>)[key]));
    return out;
  }
  return value;
}

function keysEnumerateSorted(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  const keys = Object.keys(value);
  if (!Array.isArray(value) && keys.join('\0') !== [...keys].sort().join('\0')) return false;
  return keys.every((key) => keysEnumerateSorted((value as Record<string, unknown>)[key]));
}

const anything = fc.anything({
  withBoxedValues: true,
  withNullPrototype: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withObjectString: false,
  withSparseArray: true,
  values: [
    fc.constant(undefined),
    fc.constant(Number.NaN),
    fc.constant(Number.NEGATIVE_INFINITY),
    fc.constant(-0),
    fc.constant(() => 1),
    fc.constant(Symbol('s')),
    fc.double(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)) }),
  ],
});

describe('stableStringify properties', () => {
  it('is equal for structurally equal values built in different key orders', () => {
    fc.assert(
      fc.property(anyJson, fc.nat(), fc.nat(), (value, seedA, seedB) => {
        expect(stableStringify(reorder(value, seedA))).toBe(stableStringify(reorder(value, seedB)));
        expect(stableStringify(reorder(value, seedA))).toBe(stableStringify(value));
      }),
      fcParams(300),
    );
  });

  it('round-trips JSON values through JSON.parse', () => {
    fc.assert(
      fc.property(anyJson, (value) => {
        // JSON has no -0: compare with what JSON.stringify itself round-trips to.
        expect(JSON.parse(stableStringify(value) as string)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      fcParams(300),
    );
  });

  it('sorts the keys of every object it writes', () => {
    fc.assert(
      fc.property(anyJson, (value) => {
        const text = stableStringify(value) as string;
        // Re-serializing the parse of sorted output with JSON.stringify must not reorder it,
        // unless the engine enumerates integer-like keys first.
        const reparsed: unknown = JSON.parse(text);
        fc.pre(keysEnumerateSorted(reparsed));
        expect(JSON.stringify(reparsed)).toBe(text);
      }),
      fcParams(300),
    );
  });

  it('equals JSON.stringify when keys are already sorted, including values JSON cannot represent', () => {
    fc.assert(
      fc.property(anything, (value) => {
        const sorted = sortedDeep(value);
        // Integer-like keys are always enumerated first by the engine: such objects cannot be
        // "already sorted", so they are not a case for this property.
        fc.pre(keysEnumerateSorted(sorted));
        expect(stableStringify(sorted)).toBe(JSON.stringify(sorted));
      }),
      fcParams(300),
    );
  });

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
});
