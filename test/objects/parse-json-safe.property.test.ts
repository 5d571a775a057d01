import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HardfsError } from '../../src/errors.js';
import { BLOCKED_OBJECT_KEYS, parseJsonSafe } from '../../src/objects/index.js';
import { fcParams } from '../support/fc.js';
import { everyObject, jsonDepth, jsonValue, mutatedJsonText, plain } from './json-arbitraries.js';

const BLOCKED = [...BLOCKED_OBJECT_KEYS];
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

/** How a blocked key is written in the text: plainly, or with escapes JSON.parse undoes. */
const blockedKeySpelling = fc.tuple(fc.constantFrom(...BLOCKED), fc.nat()).map(([key, choice]) => {
  const at = choice % key.length;
  if (choice % 2 === 0) return JSON.stringify(key);
  const escaped = `\\u${key.charCodeAt(at).toString(16).padStart(4, '0')}`;
  return `"${key.slice(0, at)}${escaped}${key.slice(at + 1)}"`;
});

/**
 * A JSON text with blocked keys inserted into random objects, and the value it must parse to.
 * The text is rendered by hand: assigning `__proto__` on a real object would swap its prototype.
 */
const withBlockedKeys = fc
  .tuple(jsonValue, fc.array(fc.tuple(blockedKeySpelling, jsonValue), { minLength: 1, maxLength: 4 }), fc.nat())
  .map(([payload, inserts, seed]) => {
    const root: Record<string, unknown> = { payload };
    const objects: object[] = [];
    everyObject(root, (object) => objects.push(object));
    const render = (current: unknown): string => {
      if (Array.isArray(current)) return `[${current.map(render).join(',')}]`;
      if (typeof current !== 'object' || current === null) return JSON.stringify(current);
      const members = Object.keys(current).map((key) => `${JSON.stringify(key)}:${render((current as Record<string, unknown>)[key])}`);
      const index = objects.indexOf(current);
      inserts.forEach(([spelling, inserted], i) => {
        // Before or after the ordinary members, so a blocked key can also shadow nothing.
        if ((seed + i) % objects.length === index) {
          const member = `${spelling}:${JSON.stringify(inserted)}`;
          if ((seed >> i) % 2 === 0) members.push(member);
          else members.unshift(member);
        }
      });
      return `{${members.join(',')}}`;
    };
    return { text: render(root), value: root };
  });

/** Visits every member of a parsed value with the key that holds it (undefined for array items and the root). */
function everyValue(value: unknown, visit: (member: unknown, key: string | undefined) => void): void {
  const stack: Array<[unknown, string | undefined]> = [[value, undefined]];
  while (stack.length > 0) {
    const [current, key] = stack.pop() as [unknown, string | undefined];
    visit(current, key);
    if (Array.isArray(current)) for (const item of current) stack.push([item, undefined]);
    else if (typeof current === 'object' && current !== null) for (const k of Object.keys(current)) stack.push([(current as Record<string, unknown>)[k], k]);
  }
}

function nestedPrototypesAreNull(value: unknown): void {
  everyObject(value, (object) => expect(Object.getPrototypeOf(object)).toBeNull());
}

describe('parseJsonSafe properties', () => {
  it('equals JSON.parse structurally for JSON without blocked keys, from strings and bytes', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const text = JSON.stringify(value);
        const expected = plain(JSON.parse(text));
        expect(plain(parseJsonSafe(text))).toEqual(expected);
        expect(plain(parseJsonSafe(Buffer.from(text, 'utf8')))).toEqual(plain(JSON.parse(Buffer.from(text, 'utf8').toString('utf8'))));
      }),
      fcParams(300),
    );
  });

  it('returns null-prototype objects at every depth', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        nestedPrototypesAreNull(parseJsonSafe(JSON.stringify(value)));
      }),
      fcParams(300),
    );
  });

  it("with onBlockedKey: 'drop', drops blocked keys anywhere (however spelled) and never touches Object.prototype", () => {
    fc.assert(
      fc.property(withBlockedKeys, ({ text, value }) => {
        const parsed = parseJsonSafe(text, { onBlockedKey: 'drop' });
        everyObject(parsed, (object) => {
          for (const key of BLOCKED) expect(Object.hasOwn(object, key)).toBe(false);
        });
        nestedPrototypesAreNull(parsed);
        expect(plain(parsed)).toEqual(plain(JSON.parse(JSON.stringify(value))));
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      }),
      fcParams(200),
    );
  });

  it('refuses any blocked key by default with EBADNAME, its path ending in the key', () => {
    fc.assert(
      fc.property(withBlockedKeys, ({ text }) => {
        let error: unknown;
        try {
          parseJsonSafe(text);
        } catch (caught) {
          error = caught;
        }
        expect(error).toMatchObject({ code: 'EBADNAME' });
        const path = (error as { path: string }).path;
        expect(BLOCKED.some((key) => path.endsWith(`.${key}`))).toBe(true);
        expect(path.startsWith('$.payload') || path.startsWith('$.')).toBe(true);
      }),
      fcParams(100),
    );
  });

  it('is EDEPTH exactly when nesting exceeds maxDepth', () => {
    fc.assert(
      fc.property(jsonValue, fc.integer({ min: 1, max: 8 }), (value, maxDepth) => {
        const text = JSON.stringify(value);
        if (jsonDepth(value) > maxDepth) {
          expect(() => parseJsonSafe(text, { maxDepth })).toThrow(expect.objectContaining({ code: 'EDEPTH' }) as unknown as Error);
        } else {
          expect(() => parseJsonSafe(text, { maxDepth })).not.toThrow();
        }
      }),
      fcParams(300),
    );
  });

  it('is EDEPTH exactly past the bound for deep chains of [ and {"a":', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 }), fc.boolean(), (depth, maxDepth, objects) => {
        const text = objects ? `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;
        if (depth > maxDepth) {
          expect(() => parseJsonSafe(text, { maxDepth })).toThrow(expect.objectContaining({ code: 'EDEPTH' }) as unknown as Error);
        } else {
          expect(() => parseJsonSafe(text, { maxDepth })).not.toThrow();
        }
      }),
      fcParams(200),
    );
  });

  it('refuses what JSON.parse refuses and numbers it turns into Infinity as ECORRUPT, blocked keys as EBADNAME', () => {
    fc.assert(
      fc.property(mutatedJsonText, (text) => {
        let expected: 'ok' | 'ECORRUPT' | 'EBADNAME' = 'ok';
        try {
          const native: unknown = JSON.parse(text);
          everyValue(native, (member, key) => {
            if (typeof member === 'number' && !Number.isFinite(member)) expected = 'ECORRUPT';
            else if (expected === 'ok' && key !== undefined && BLOCKED_OBJECT_KEYS.has(key)) expected = 'EBADNAME';
          });
        } catch {
          expected = 'ECORRUPT';
        }
        if (expected === 'ok') {
          expect(() => parseJsonSafe(text, { maxDepth: 1000 })).not.toThrow();
        } else {
          expect(() => parseJsonSafe(text, { maxDepth: 1000 })).toThrow(HardfsError);
          if (expected === 'ECORRUPT') expect(() => parseJsonSafe(text, { maxDepth: 1000 })).toThrow(expect.objectContaining({ code: 'ECORRUPT' }) as unknown as Error);
        }
      }),
      fcParams(500),
    );
  });
});
