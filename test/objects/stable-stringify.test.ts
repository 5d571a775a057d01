import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { HardfsError } from '../../src/errors.js';
import { createDict, stableStringify } from '../../src/objects/index.js';
import { expectHardfsError } from './expect-hardfs-error.js';

function nestedArrays(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i += 1) value = [value];
  return value;
}

describe('stableStringify: ordering', () => {
  it('sorts keys at every depth, by UTF-16 code units', () => {
    expect(stableStringify({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
    expect(stableStringify({ b: 1, B: 2, é: 3, a: 4 })).toBe('{"B":2,"a":4,"b":1,"é":3}');
  });

  it('keeps a __proto__ key of a null-prototype record as data', () => {
    const dict = createDict<number>();
    dict['__proto__'] = 1;
    dict['a'] = 2;
    expect(stableStringify(dict)).toBe('{"__proto__":1,"a":2}');
  });
});

describe('stableStringify: ECYCLE', () => {
  it('refuses a real cycle through objects and arrays', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = { back: cyclic };
    expectHardfsError(() => stableStringify(cyclic), 'ECYCLE');
    const list: unknown[] = [];
    list.push([list]);
    expectHardfsError(() => stableStringify(list), 'ECYCLE');
  });

  it('accepts a shared, non-cyclic reference, however often it repeats', () => {
    const shared = { x: 1 };
    expect(stableStringify({ a: shared, b: [shared, shared], c: { d: shared } })).toBe('{"a":{"x":1},"b":[{"x":1},{"x":1}],"c":{"d":{"x":1}}}');
  });

  it('detects a cycle through what toJSON returns', () => {
    const inner: Record<string, unknown> = {};
    const holder = { toJSON: () => inner };
    inner['back'] = holder;
    expectHardfsError(() => stableStringify(holder), 'ECYCLE');
  });

  it('bounds a toJSON that returns ever-new nesting (JSON.stringify would overflow the stack)', () => {
    const endless: { toJSON: () => unknown } = { toJSON: () => ({ again: endless }) };
    expectHardfsError(() => stableStringify(endless), 'EDEPTH');
  });
});

describe('stableStringify: EDEPTH', () => {
  it('counts a container as one level; the default bound is 256', () => {
    expect(stableStringify([[1]], { maxDepth: 2 })).toBe('[[1]]');
    expectHardfsError(() => stableStringify([[1]], { maxDepth: 1 }), 'EDEPTH');
    expect(stableStringify(1, { maxDepth: 1 })).toBe('1');
    expect(stableStringify(nestedArrays(256))).toBeTypeOf('string');
    expectHardfsError(() => stableStringify(nestedArrays(257)), 'EDEPTH');
  });

  it('is EDEPTH, never a stack overflow, for 200,000 levels', () => {
    expectHardfsError(() => stableStringify(nestedArrays(200_000)), 'EDEPTH');
  });

  it('serializes 100,000 levels under a large bound without recursion', () => {
    const text = stableStringify(nestedArrays(100_000), { maxDepth: 1_000_000 }) as string;
    expect(text.length).toBe(200_001);
    expect(text.startsWith('[[[')).toBe(true);
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const maxDepth of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => stableStringify(1, { maxDepth })).toThrow(TypeError);
    }
  });
});

describe('stableStringify: JSON.stringify semantics', () => {
  it('drops undefined, functions and symbols in objects, writes null for them in arrays', () => {
    expect(stableStringify({ u: undefined, f: () => 1, s: Symbol('x'), k: 1 })).toBe('{"k":1}');
    expect(stableStringify([undefined, () => 1, Symbol('x')])).toBe('[null,null,null]');
    expect(stableStringify(undefined)).toBeUndefined();
    expect(stableStringify(() => 1)).toBeUndefined();
    expect(stableStringify({ [Symbol('key')]: 1 })).toBe('{}');
  });

  it('writes -0 as 0 and large numbers in exponent form', () => {
    expect(stableStringify([-0, 1e21, 5e-324])).toBe('[0,1e+21,5e-324]');
  });

  it('keeps null in objects and arrays, as JSON.stringify does', () => {
    expect(stableStringify({ b: null, a: [null, { c: null }] })).toBe('{"a":[null,{"c":null}],"b":null}');
    expect(stableStringify(null)).toBe('null');
  });

  it('honours toJSON with the property key, on objects, functions and BigInt', () => {
    const keys: string[] = [];
    const probe = {
      toJSON(key: string) {
        keys.push(key);
        return key;
      },
    };
    expect(stableStringify({ b: probe, a: [probe] })).toBe('{"a":["0"],"b":"b"}');
    expect(keys).toEqual(['0', 'b']);
    expect(stableStringify(probe)).toBe('""');
    expect(stableStringify({ d: new Date(0) })).toBe('{"d":"1970-01-01T00:00:00.000Z"}');
    expect(stableStringify({ f: Object.assign(() => 1, { toJSON: () => 'called' }) })).toBe('{"f":"called"}');
    const bigintProto = BigInt.prototype as unknown as { toJSON?: () => string };
    bigintProto.toJSON = function (this: bigint) {
      return this.toString();
    };
    try {
      expect(stableStringify({ n: 12n })).toBe('{"n":"12"}');
    } finally {
      delete bigintProto.toJSON;
    }
  });

  it('unboxes boxed primitives by internal slot, also from another realm', () => {
    const boxed = [Object(1), Object('s'), Object(false)];
    expect(stableStringify(boxed)).toBe('[1,"s",false]');
    const foreign = runInNewContext('[new Number(2), new String("t"), new Boolean(true)]') as unknown[];
    expect(stableStringify(foreign)).toBe('[2,"t",true]');
    // A Number.prototype lookalike has no [[NumberData]]: it is an object, as JSON.stringify says.
    const lookalike = Object.create(Number.prototype) as object;
    expect(stableStringify([lookalike])).toBe(JSON.stringify([lookalike]));
  });

  it('escapes strings as JSON.stringify does, lone surrogates included', () => {
    const text = 'q"\\\n\u0001\uD800é';
    expect(stableStringify({ [text]: text })).toBe(`{${JSON.stringify(text)}:${JSON.stringify(text)}}`);
  });

  it('reads array length up front and holes as null', () => {
    // eslint-disable-next-line no-sparse-arrays -- a hole is the case under test
    expect(stableStringify([1, , 3])).toBe('[1,null,3]');
    expect(stableStringify(new Array(2))).toBe('[null,null]');
  });
});

describe('stableStringify: values JSON cannot carry back', () => {
  it.each([
    ['NaN', { a: { b: [1, 2, 3, Number.NaN] } }, '$.a.b[3]'],
    ['Infinity', { a: Number.POSITIVE_INFINITY }, '$.a'],
    ['-Infinity at the root', Number.NEGATIVE_INFINITY, '$'],
    ['a boxed Infinity', [Object(Number.POSITIVE_INFINITY) as unknown], '$[0]'],
    ['Infinity from toJSON', { t: { toJSON: () => Number.POSITIVE_INFINITY } }, '$.t'],
    ['Infinity under an odd key', { 'odd key': [Number.NaN] }, '$["odd key"][0]'],
  ])('a non-finite number is ECORRUPT naming its path, not null: %s', (_name, value, path) => {
    const error = expectHardfsError(() => stableStringify(value), 'ECORRUPT');
    expect(error.path).toBe(path);
    expect(error.message).toContain('non-finite number');
  });

  it('a BigInt, boxed or not, is ECORRUPT naming its path (JSON.stringify throws a TypeError)', () => {
    expect(expectHardfsError(() => stableStringify({ a: 1n }), 'ECORRUPT').path).toBe('$.a');
    expect(expectHardfsError(() => stableStringify([Object(1n)]), 'ECORRUPT').message).toContain('BigInt');
    expect(() => JSON.stringify([Object(1n)])).toThrow(TypeError);
  });

  it('a cycle is ECYCLE at the member that closes it', () => {
    const list: unknown[] = [];
    list.push(1, { again: list });
    const error = expectHardfsError(() => stableStringify(list), 'ECYCLE');
    expect(error).toBeInstanceOf(HardfsError);
    expect(error.path).toBe('$[1].again');
    expect(error.message).toContain('cyclic');
  });

  it('EDEPTH names the member past the bound', () => {
    expect(expectHardfsError(() => stableStringify({ a: [[1]] }, { maxDepth: 2 }), 'EDEPTH').path).toBe('$.a[0]');
  });
});
