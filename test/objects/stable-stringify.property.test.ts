import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HardfsError, createDict, dictFromEntries, isBlockedObjectKey, stableStringify } from '../../src/index.js';
import { fcParams } from '../support/fc.js';

const jsonValue = fc.jsonValue();

/** The same value rebuilt with every object's keys inserted in a shuffled order. */
function reorder(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item, i) => reorder(item, seed + i));
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    const shuffled = keys.map((key, i) => ({ key, rank: ((seed + 1) * 7919 * (i + 3)) % 104729 })).sort((a, b) => a.rank - b.rank);
    const out: Record<string, unknown> = {};
    for (const { key } of shuffled) Object.defineProperty(out, key, { value: reorder((value as Record<string, unknown>)[key], seed + 1), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) Object.defineProperty(out, key, { value: sortedDeep((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
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

describe('stableStringify properties', () => {
  it('is equal for structurally equal values built in different key orders', () => {
    fc.assert(
      fc.property(jsonValue, fc.nat(), (value, seed) => {
        expect(stableStringify(reorder(value, seed))).toBe(stableStringify(value));
      }),
      fcParams(300),
    );
  });

  it('round-trips through JSON.parse', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        // JSON has no -0: compare with what JSON.stringify itself round-trips to.
        expect(JSON.parse(stableStringify(value) as string)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      fcParams(300),
    );
  });

  it('equals JSON.stringify when keys are already sorted (incl. values JSON drops)', () => {
    const anything = fc.anything({ withBoxedValues: true, withNullPrototype: true, withObjectString: false, withSparseArray: false, values: [fc.constant(undefined), fc.constant(Number.NaN), fc.constant(() => 1), fc.constant(Symbol('s')), fc.double()] });
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
});

describe('stableStringify examples', () => {
  it('ECYCLE on a real cycle, but a shared reference is fine', () => {
    const shared = { x: 1 };
    expect(stableStringify({ a: shared, b: [shared, shared] })).toBe('{"a":{"x":1},"b":[{"x":1},{"x":1}]}');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = { back: cyclic };
    expect(() => stableStringify(cyclic)).toThrow(expect.objectContaining({ code: 'ECYCLE' }) as unknown as Error);
    const list: unknown[] = [];
    list.push(list);
    expect(() => stableStringify(list)).toThrow(HardfsError);
  });

  it('EDEPTH past the bound, never a stack overflow', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i += 1) deep = [deep];
    expect(() => stableStringify(deep)).toThrow(expect.objectContaining({ code: 'EDEPTH' }) as unknown as Error);
    expect(stableStringify([[1]], { maxDepth: 2 })).toBe('[[1]]');
    expect(() => stableStringify([[1]], { maxDepth: 1 })).toThrow(expect.objectContaining({ code: 'EDEPTH' }) as unknown as Error);
    expect(() => stableStringify(1, { maxDepth: 1_000_000 })).toThrow(TypeError);
  });

  it('follows JSON.stringify for toJSON, BigInt and unrepresentable values', () => {
    expect(stableStringify({ d: new Date(0), u: undefined, f: () => 1, n: Number.POSITIVE_INFINITY })).toBe('{"d":"1970-01-01T00:00:00.000Z","n":null}');
    expect(stableStringify([undefined, Symbol('x')])).toBe('[null,null]');
    expect(stableStringify(undefined)).toBeUndefined();
    expect(() => stableStringify({ a: 1n })).toThrow(TypeError);
  });
});

describe('dicts and blocked keys', () => {
  it('createDict has no prototype; dictFromEntries drops blocked keys', () => {
    const dict = createDict<number>();
    dict['__proto__'] = 1;
    expect(Object.getPrototypeOf(dict)).toBeNull();
    expect(Object.keys(dict)).toEqual(['__proto__']);
    const built = dictFromEntries([['a', 1], ['__proto__', 2], ['constructor', 3], ['b', 4]]);
    expect(Object.keys(built)).toEqual(['a', 'b']);
    expect(Object.getPrototypeOf(built)).toBeNull();
  });

  it('isBlockedObjectKey knows the prototype and legacy accessor names only', () => {
    for (const key of ['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']) {
      expect(isBlockedObjectKey(key)).toBe(true);
    }
    for (const key of ['proto', '__PROTO__', 'Constructor', 'toString', '', 'prototypes']) expect(isBlockedObjectKey(key)).toBe(false);
    expect(isBlockedObjectKey(Symbol('__proto__'))).toBe(false);
  });
});
