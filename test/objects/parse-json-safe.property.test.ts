import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCKED_OBJECT_KEYS, HardfsError, isBlockedObjectKey, parseJsonSafe } from '../../src/index.js';
import { fcParams } from '../support/fc.js';

const BLOCKED = [...BLOCKED_OBJECT_KEYS];
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();
const safeKey = fc.string().filter((key) => !isBlockedObjectKey(key));
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string(),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(safeKey, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Structural equality that ignores prototypes (JSON.parse gives Object.prototype, we give null). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value).map((key) => [key, plain((value as Record<string, unknown>)[key])]));
  }
  return value;
}

function everyObject(value: unknown, visit: (object: object) => void): void {
  const stack = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null) continue;
    if (!Array.isArray(current)) visit(current);
    for (const key of Object.keys(current)) stack.push((current as Record<string, unknown>)[key]);
  }
}

/** Inserts blocked keys at random object positions of a JSON text's value. */
const withBlockedKeys = fc.tuple(jsonValue, fc.array(fc.tuple(fc.constantFrom(...BLOCKED), jsonValue), { minLength: 1, maxLength: 4 }), fc.nat()).map(([value, inserts, seed]) => {
  const root: Record<string, unknown> = { payload: value };
  const objects: Array<Record<string, unknown>> = [];
  everyObject(root, (object) => objects.push(object as Record<string, unknown>));
  const pieces: string[] = [];
  // Build text by hand: assigning `__proto__` on a real object would change its prototype.
  const render = (current: unknown): string => {
    if (Array.isArray(current)) return `[${current.map(render).join(',')}]`;
    if (typeof current === 'object' && current !== null) {
      const own = Object.keys(current).map((key) => `${JSON.stringify(key)}:${render((current as Record<string, unknown>)[key])}`);
      const index = objects.indexOf(current as Record<string, unknown>);
      inserts.forEach(([key, inserted], i) => {
        if ((seed + i) % objects.length === index) own.push(`${JSON.stringify(key)}:${JSON.stringify(inserted)}`);
      });
      return `{${own.join(',')}}`;
    }
    return JSON.stringify(current);
  };
  pieces.push(render(root));
  return { text: pieces.join(''), value: root };
});

describe('parseJsonSafe properties', () => {
  it('equals JSON.parse structurally for JSON without blocked keys', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const text = JSON.stringify(value);
        expect(plain(parseJsonSafe(text))).toEqual(plain(JSON.parse(text)));
      }),
      fcParams(300),
    );
  });

  it('returns null-prototype objects at every depth', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        everyObject(parseJsonSafe(JSON.stringify(value)), (object) => expect(Object.getPrototypeOf(object)).toBeNull());
      }),
      fcParams(300),
    );
  });

  it('drops blocked keys anywhere and never touches Object.prototype', () => {
    fc.assert(
      fc.property(withBlockedKeys, ({ text, value }) => {
        const parsed = parseJsonSafe(text);
        everyObject(parsed, (object) => {
          for (const key of BLOCKED) expect(Object.hasOwn(object, key)).toBe(false);
        });
        expect(plain(parsed)).toEqual(plain(JSON.parse(JSON.stringify(value))));
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      }),
      fcParams(200),
    );
  });

  it("throws EBADNAME for a blocked key with onBlockedKey: 'throw'", () => {
    fc.assert(
      fc.property(withBlockedKeys, ({ text }) => {
        expect(() => parseJsonSafe(text, { onBlockedKey: 'throw' })).toThrow(expect.objectContaining({ code: 'EBADNAME' }) as unknown as Error);
      }),
      fcParams(100),
    );
  });

  it('is EDEPTH exactly when nesting exceeds maxDepth', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }), fc.boolean(), (depth, maxDepth, objects) => {
        const open = objects ? '{"a":' : '[';
        const close = objects ? '}' : ']';
        const text = `${open.repeat(depth - 1)}${objects ? '{}' : '[]'}${close.repeat(depth - 1)}`;
        if (depth > maxDepth) {
          expect(() => parseJsonSafe(text, { maxDepth })).toThrow(expect.objectContaining({ code: 'EDEPTH' }) as unknown as Error);
        } else {
          expect(() => parseJsonSafe(text, { maxDepth })).not.toThrow();
        }
      }),
      fcParams(200),
    );
  });
});

describe('parseJsonSafe examples', () => {
  it('never pollutes through __proto__ or constructor.prototype', () => {
    const parsed = parseJsonSafe('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"a":{"__proto__":{"x":1}}}') as Record<string, unknown>;
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(parsed)).toEqual(['a']);
    expect(Object.keys(parsed['a'] as object)).toEqual([]);
    expect(Object.getPrototypeOf(parsed['a'])).toBeNull();
  });

  it('100,000 levels of [ or {"a": are EDEPTH, not a RangeError', () => {
    for (const text of ['['.repeat(100_000), '{"a":'.repeat(100_000), `${'['.repeat(100_000)}${']'.repeat(100_000)}`]) {
      try {
        parseJsonSafe(text);
        throw new Error('expected EDEPTH');
      } catch (error) {
        expect(error).toBeInstanceOf(HardfsError);
        expect((error as HardfsError).code).toBe('EDEPTH');
      }
    }
  });

  it('brackets inside strings do not count as depth', () => {
    expect(parseJsonSafe(JSON.stringify({ a: '[[[[[[[[[[{{{{{{\\"' }), { maxDepth: 1 })).toEqual(Object.assign(Object.create(null), { a: '[[[[[[[[[[{{{{{{\\"' }));
  });

  it('bounds size in UTF-8 bytes, for strings and buffers', () => {
    expect(() => parseJsonSafe('"ééé"', { maxBytes: 7 })).toThrow(expect.objectContaining({ code: 'ETOOBIG' }) as unknown as Error);
    expect(parseJsonSafe('"ééé"', { maxBytes: 8 })).toBe('ééé');
    expect(() => parseJsonSafe(Buffer.from('[1,2,3]'), { maxBytes: 6 })).toThrow(expect.objectContaining({ code: 'ETOOBIG' }) as unknown as Error);
    expect(parseJsonSafe(Buffer.from('[1,2,3]'), { maxBytes: 7 })).toEqual([1, 2, 3]);
  });

  it('reports malformed JSON and invalid UTF-8 as ECORRUPT with the position', () => {
    for (const [text, position] of [['{"a":}', 5], ['[1,2', 4], ['', 0], ['{"a":1,}', 7], ['[1 2]', 3], ['{"a":1} x', 8]] as const) {
      try {
        parseJsonSafe(text);
        throw new Error(`expected ECORRUPT for ${text}`);
      } catch (error) {
        expect((error as HardfsError).code).toBe('ECORRUPT');
        expect((error as HardfsError).message).toContain(`position ${position}`);
      }
    }
    expect(() => parseJsonSafe(Buffer.from([0x22, 0xff, 0x22]))).toThrow(expect.objectContaining({ code: 'ECORRUPT' }) as unknown as Error);
  });

  it('validates its options', () => {
    expect(() => parseJsonSafe('1', { maxDepth: 0 })).toThrow(TypeError);
    expect(() => parseJsonSafe('1', { maxBytes: -1 })).toThrow(TypeError);
    expect(() => parseJsonSafe('1', { onBlockedKey: 'keep' as 'drop' })).toThrow(TypeError);
    expect(() => parseJsonSafe(42 as unknown as string)).toThrow(TypeError);
  });
});
