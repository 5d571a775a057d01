// assertSafeJsonValue: the one rule for what may be written and read as JSON data.
import { describe, expect, it } from 'vitest';
import { assertSafeJsonValue, parseJsonSafe } from '../../src/objects/index.js';
import { expectHardfsError } from './expect-hardfs-error.js';

function withKey(key: string, value: unknown, target: object = {}): object {
  // defineProperty: a `__proto__` key must stay an own key, not swap the prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

describe('assertSafeJsonValue: accepts JSON data', () => {
  it.each([
    ['primitives', [null, true, false, 0, -1.5, 1e308, '', 'text\u0000\ud800']],
    ['plain and null-prototype objects, shared references', { a: [1, { b: 'c' }], n: withKey('x', 1, Object.create(null) as object) }],
    ['a property that is undefined (absent, as JSON.stringify writes it)', { a: undefined, b: 1 }],
    ['a blocked key whose value is undefined (absent too)', withKey('constructor', undefined, { a: 1 })],
    ['a key that only resembles a blocked one, and Object.prototype names', { __proto: 1, Constructor: 2, toString: 3, hasOwnProperty: 4 }],
    ['a toJSON key that is data', { toJSON: 'data' }],
    ['what parseJsonSafe returns', parseJsonSafe('{"a":[1,{"b":null}],"c":"d"}')],
  ])('%s', (_name, value) => {
    expect(() => assertSafeJsonValue(value)).not.toThrow();
  });

  it('accepts a value shared between two members (no cycle)', () => {
    const shared = { x: 1 };
    expect(() => assertSafeJsonValue({ a: shared, b: [shared, shared] })).not.toThrow();
  });
});

describe('assertSafeJsonValue: EBADNAME for a blocked key at any depth', () => {
  it.each([
    ['__proto__', withKey('__proto__', 1), '$.__proto__'],
    ['constructor, nested', { a: [{ b: withKey('constructor', {}) }] }, '$.a[0].b.constructor'],
    ['prototype under an odd key', { 'odd key': { prototype: 1 } }, '$["odd key"].prototype'],
    ['a legacy accessor hook', { a: { __defineGetter__: 1 } }, '$.a.__defineGetter__'],
    ['a parsed __proto__ key', JSON.parse('{"a":{"__proto__":1}}') as unknown, '$.a.__proto__'],
  ])('%s', (_name, value, path) => {
    const error = expectHardfsError(() => assertSafeJsonValue(value), 'EBADNAME');
    expect(error.path).toBe(path);
    expect(error.message).toContain('blocked object key');
  });
});

describe('assertSafeJsonValue: ECORRUPT for what JSON cannot carry back', () => {
  const sparse: unknown[] = [1];
  sparse[2] = 3;
  const named = Object.assign([1, 2], { extra: true });
  const holeAndName = Object.assign([1, , 3], { extra: true }); // as many keys as length
  class Point {
    x = 1;
  }
  it.each([
    ['Infinity', { a: { b: [1, 2, 3, Number.POSITIVE_INFINITY] } }, '$.a.b[3]', 'non-finite number'],
    ['-Infinity at the root', Number.NEGATIVE_INFINITY, '$', 'non-finite number'],
    ['NaN', { n: Number.NaN }, '$.n', 'non-finite number'],
    ['a BigInt', { n: 1n }, '$.n', 'bigint'],
    ['a function as a property', { f: () => 1 }, '$.f', 'function'],
    ['a symbol as a property', { s: Symbol('s') }, '$.s', 'symbol'],
    ['undefined in an array', [1, undefined], '$[1]', 'undefined'],
    ['undefined as the whole value', undefined, '$', 'undefined'],
    ['a hole in an array', sparse, '$', 'named properties or holes'],
    ['an array with a named property', named, '$', 'named properties'],
    ['an array with a hole and a named property', holeAndName, '$[1]', 'undefined'],
    ['an array subclass', { a: new (class extends Array {})() }, '$.a', 'another class'],
    ['a Date', { when: new Date(0) }, '$.when', 'not plain'],
    ['a class instance', [new Point()], '$[0]', 'not plain'],
    ['a boxed number', { n: Object(1) as unknown }, '$.n', 'not plain'],
    ['a Map', { m: new Map() }, '$.m', 'not plain'],
    ['a proxy', { p: new Proxy({}, {}) }, '$.p', 'proxy'],
    ['an own toJSON method', { a: { toJSON: () => 1 } }, '$.a', 'toJSON'],
    ['a toJSON method on an array', { a: Object.assign([], { toJSON: () => 1 }) }, '$.a', 'named properties'],
    ['a symbol key', { a: { [Symbol('k')]: 1 } }, '$.a', 'symbol keys'],
    ['a symbol key on an array', { a: Object.assign([], { [Symbol('k')]: 1 }) }, '$.a', 'symbol keys'],
  ])('%s', (_name, value, path, fragment) => {
    const error = expectHardfsError(() => assertSafeJsonValue(value), 'ECORRUPT');
    expect(error.path).toBe(path);
    expect(error.message).toContain(fragment);
  });

  it('a toJSON method inherited by an array is found too', () => {
    const list = [1];
    Object.setPrototypeOf(list, Object.assign(Object.create(Array.prototype) as object, { toJSON: () => 1 }));
    expect(expectHardfsError(() => assertSafeJsonValue({ list }), 'ECORRUPT').path).toBe('$.list');
  });
});

describe('assertSafeJsonValue: ECYCLE and EDEPTH', () => {
  it('refuses a cycle through objects and arrays, naming where it closes', () => {
    const a: Record<string, unknown> = {};
    a['list'] = [1, { back: a }];
    expect(expectHardfsError(() => assertSafeJsonValue(a), 'ECYCLE').path).toBe('$.list[1].back');
  });

  it('counts a container as one level, default 256, as parseJsonSafe counts them', () => {
    const nest = (levels: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < levels; i += 1) value = i % 2 === 0 ? [value] : { a: value };
      return value;
    };
    expect(() => assertSafeJsonValue(nest(256))).not.toThrow();
    const error = expectHardfsError(() => assertSafeJsonValue(nest(257)), 'EDEPTH');
    expect(error.message).toContain('deeper than 256');
    expect(() => assertSafeJsonValue(nest(3), { maxDepth: 3 })).not.toThrow();
    expect(expectHardfsError(() => assertSafeJsonValue({ a: [1] }, { maxDepth: 1 }), 'EDEPTH').path).toBe('$.a');
    expect(() => assertSafeJsonValue(1, { maxDepth: 1 })).not.toThrow();
    expect(() => assertSafeJsonValue(nest(100_000), { maxDepth: 200_000 })).not.toThrow();
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => assertSafeJsonValue(1, { maxDepth: 0 })).toThrow(TypeError);
  });
});
