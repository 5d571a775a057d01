// assertSafeJsonValue is exactly the set of values that survive a write and a read:
// parseJsonSafe(stableStringify(value)) gives the same value back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCKED_OBJECT_KEYS, assertSafeJsonValue, parseJsonSafe, stableStringify } from '../../src/objects/index.js';
import { fcParams } from '../support/fc.js';
import { everyObject, jsonValue, mutatedJsonText } from './json-arbitraries.js';

function defineKey(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

class Box {
  constructor(readonly value: unknown) {}
}

/** Values JSON can carry, and, mixed in at any depth, every kind of value it cannot. */
const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    jsonValue,
    fc.constantFrom(undefined, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 10n, Symbol('s'), () => 1),
    fc.constantFrom(new Date(0), Object(1) as unknown, Object('s') as unknown, new Map(), new Box(1)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(...BLOCKED_OBJECT_KEYS)), tie('value'), { maxKeys: 4 }).map((dict) => {
      // A plain object built by defineProperty, so that `__proto__` stays a key.
      const out = {};
      for (const key of Object.keys(dict)) defineKey(out, key, dict[key]);
      return out;
    }),
    fc.tuple(fc.array(tie('value'), { minLength: 1, maxLength: 3 }), fc.constantFrom('hole', 'named', 'symbol', 'toJSON', 'nullProto')).map(([items, twist]) => {
      if (twist === 'hole') {
        const holed = [...items];
        delete holed[0];
        return holed;
      }
      if (twist === 'named') return Object.assign([...items], { extra: 1 });
      if (twist === 'symbol') return Object.assign({ a: items }, { [Symbol('k')]: 1 });
      if (twist === 'toJSON') return { a: items, toJSON: () => 'replaced' };
      const bare = Object.create(null) as object;
      defineKey(bare, 'a', items);
      return bare;
    }),
  ),
})).value;

/**
 * anyValue, sometimes inside fresh containers that close a cycle (generated values are never
 * changed: fast-check may hand the same instance to several runs).
 */
const anyValueMaybeCyclic = fc.tuple(anyValue, fc.constantFrom('none', 'object', 'array')).map(([value, cycle]) => {
  if (cycle === 'none') return value;
  const root: Record<string, unknown> = { value };
  root['link'] = cycle === 'object' ? { back: root } : [1, [root]];
  return root;
});

/** Equality as a reader sees JSON data: plain or null-prototype objects alike, absent = undefined. */
function sameJson(original: unknown, read: unknown): boolean {
  if (typeof original !== 'object' || original === null) return original === read || (Number.isNaN(original) && Number.isNaN(read));
  if (typeof read !== 'object' || read === null) return false;
  if (Array.isArray(original)) {
    if (Object.getPrototypeOf(original) !== Array.prototype || !Array.isArray(read)) return false;
    if (Reflect.ownKeys(original).length !== Reflect.ownKeys(read).length || original.length !== read.length) return false;
    return original.every((item, i) => Object.hasOwn(original, i) && sameJson(item, read[i]));
  }
  const prototype: unknown = Object.getPrototypeOf(original);
  if ((prototype !== Object.prototype && prototype !== null) || Array.isArray(read)) return false;
  if (Object.getOwnPropertySymbols(original).length > 0) return false;
  const keys = Object.keys(original).filter((key) => (original as Record<string, unknown>)[key] !== undefined);
  const readKeys = Object.keys(read);
  if (keys.length !== readKeys.length) return false;
  return keys.every((key) => Object.hasOwn(read, key) && sameJson((original as Record<string, unknown>)[key], (read as Record<string, unknown>)[key]));
}

function roundTrips(value: unknown): boolean {
  try {
    const text = stableStringify(value);
    return text !== undefined && sameJson(value, parseJsonSafe(text));
  } catch {
    return false;
  }
}

function accepted(value: unknown): boolean {
  try {
    assertSafeJsonValue(value);
    return true;
  } catch (error) {
    expect(error).toMatchObject({ code: expect.stringMatching(/^(EBADNAME|ECORRUPT|ECYCLE|EDEPTH)$/) as unknown });
    expect((error as { path?: unknown }).path).toMatch(/^\$/);
    return false;
  }
}

describe('assertSafeJsonValue properties', () => {
  it('accepts exactly the values that stableStringify then parseJsonSafe give back unchanged', () => {
    let both = 0;
    let neither = 0;
    fc.assert(
      fc.property(anyValueMaybeCyclic, (value) => {
        const ok = accepted(value);
        expect(ok).toBe(roundTrips(value));
        if (ok) both += 1;
        else neither += 1;
      }),
      fcParams(1000),
    );
    // Both answers must have been exercised.
    expect(both).toBeGreaterThan(0);
    expect(neither).toBeGreaterThan(0);
  });

  it('accepts everything parseJsonSafe returns, and no result holds a prototype-changing key', () => {
    fc.assert(
      fc.property(fc.oneof(jsonValue.map((value) => JSON.stringify(value)), mutatedJsonText, fc.json()), fc.boolean(), (text, drop) => {
        let parsed: unknown;
        try {
          parsed = parseJsonSafe(text, { maxDepth: 1000, onBlockedKey: drop ? 'drop' : 'throw' });
        } catch {
          return;
        }
        expect(() => assertSafeJsonValue(parsed, { maxDepth: 1000 })).not.toThrow();
        everyObject(parsed, (object) => {
          expect(Object.getPrototypeOf(object) === null || Array.isArray(object)).toBe(true);
          for (const key of BLOCKED_OBJECT_KEYS) expect(Object.hasOwn(object, key)).toBe(false);
        });
      }),
      fcParams(500),
    );
  });
});
