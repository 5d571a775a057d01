// isAlreadyCanonical decides when stableStringify may hand a value to JSON.stringify. Each case
// below is one reason the native text could differ from the canonical one; for each, the check
// must say no, and stableStringify must still write the canonical text.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { FAST_PATH_MAX_DEPTH, isAlreadyCanonical } from '../../src/objects/already-canonical.js';
import { stableStringify } from '../../src/objects/index.js';

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level += 1) value = { a: value };
  return value;
}

describe('isAlreadyCanonical', () => {
  it('accepts primitives, sorted plain and null-prototype objects and plain arrays', () => {
    const nullProto = Object.assign(Object.create(null) as object, { a: 1, b: [2, { c: null }] });
    for (const value of [1, 'x', null, true, undefined, { a: 1, b: { c: 'd' } }, [1, [2]], nullProto, { toJSON: 'data' }]) {
      expect(isAlreadyCanonical(value, FAST_PATH_MAX_DEPTH)).toBe(true);
      expect(stableStringify(value)).toBe(JSON.stringify(value));
    }
  });

  it.each([
    ['keys out of order', { b: 1, a: 2 }, '{"a":2,"b":1}'],
    ['keys out of order, deep in an array', [{ a: [{ z: 1, y: 2 }] }], '[{"a":[{"y":2,"z":1}]}]'],
    ['integer-like keys (enumerated in numeric order)', { 9: 'a', 10: 'b' }, '{"10":"b","9":"a"}'],
    ['a toJSON method', { a: 1, toJSON: () => ({ z: 1, y: 2 }) }, '{"y":2,"z":1}'],
    ['an inherited toJSON (a Date)', { d: new Date(0) }, '{"d":"1970-01-01T00:00:00.000Z"}'],
    ['a boxed primitive', { a: Object(5) as unknown }, '{"a":5}'],
    ['a class instance', { a: new (class Point { y = 2; x = 1; })() }, '{"a":{"x":1,"y":2}}'],
    ['an array subclass', { a: new (class List extends Array<number> {})() }, '{"a":[]}'],
    ['a function member', { a: () => 1, b: 2 }, '{"b":2}'],
    ['a symbol member', [Symbol('s')], '[null]'],
    ['an object from another realm', runInNewContext('({ b: 1, a: 2 })') as unknown, '{"a":2,"b":1}'],
  ])('refuses %s, and the careful path sorts it', (_reason, value, canonical) => {
    expect(isAlreadyCanonical(value, FAST_PATH_MAX_DEPTH)).toBe(false);
    expect(stableStringify(value)).toBe(canonical);
  });

  it('refuses a proxy, whose traps JSON.stringify would run again', () => {
    const proxy = new Proxy({ a: 1 }, {});
    expect(isAlreadyCanonical(proxy, FAST_PATH_MAX_DEPTH)).toBe(false);
    expect(isAlreadyCanonical([new Proxy([], {})], FAST_PATH_MAX_DEPTH)).toBe(false);
    expect(stableStringify(proxy)).toBe('{"a":1}');
  });

  it('refuses a BigInt and a non-finite number, so the careful path refuses them (JSON.stringify would throw or write null)', () => {
    expect(isAlreadyCanonical({ a: 1n }, FAST_PATH_MAX_DEPTH)).toBe(false);
    expect(() => stableStringify({ a: 1n })).toThrow(expect.objectContaining({ code: 'ECORRUPT', path: '$.a' }) as unknown as Error);
    for (const value of [Number.NaN, [Number.POSITIVE_INFINITY], { a: { b: Number.NEGATIVE_INFINITY } }]) {
      expect(isAlreadyCanonical(value, FAST_PATH_MAX_DEPTH)).toBe(false);
      expect(() => stableStringify(value)).toThrow(expect.objectContaining({ code: 'ECORRUPT' }) as unknown as Error);
    }
    expect(isAlreadyCanonical([1.5, -0, 1e308], FAST_PATH_MAX_DEPTH)).toBe(true);
  });

  it('counts a container as one level and refuses nesting past the bound', () => {
    expect(isAlreadyCanonical(nested(3), 3)).toBe(true);
    expect(isAlreadyCanonical(nested(4), 3)).toBe(false);
    expect(isAlreadyCanonical([[[]]], 3)).toBe(true);
    expect(isAlreadyCanonical([[[[]]]], 3)).toBe(false);
    // Past the fast path's own bound the careful walk writes it (and EDEPTH stays its call).
    expect(stableStringify(nested(FAST_PATH_MAX_DEPTH + 5))).toBe(JSON.stringify(nested(FAST_PATH_MAX_DEPTH + 5)));
    expect(() => stableStringify(nested(10), { maxDepth: 9 })).toThrow(expect.objectContaining({ code: 'EDEPTH' }));
  });

  it('refuses a cycle (it exceeds any depth), so the careful path reports ECYCLE', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle['b'] = cycle;
    expect(isAlreadyCanonical(cycle, FAST_PATH_MAX_DEPTH)).toBe(false);
    expect(() => stableStringify(cycle)).toThrow(expect.objectContaining({ code: 'ECYCLE' }));
  });
});

describe('isAlreadyCanonical: a toJSON on an array', () => {
  // An array's own toJSON is no index, so only the toJSON check sees it; JSON.stringify calls
  // it when it is a function and ignores it otherwise.
  it('refuses a toJSON method, and the careful path writes what it returns, sorted', () => {
    const value = Object.assign([1], { toJSON: () => ({ b: 1, a: 2 }) });
    expect(isAlreadyCanonical(value, FAST_PATH_MAX_DEPTH)).toBe(false);
    expect(stableStringify(value)).toBe('{"a":2,"b":1}');
  });

  it('accepts a toJSON that is no function: nothing calls it', () => {
    const value = Object.assign([1], { toJSON: 'x' });
    expect(isAlreadyCanonical(value, FAST_PATH_MAX_DEPTH)).toBe(true);
    expect(stableStringify(value)).toBe('[1]');
  });
});
