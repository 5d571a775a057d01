// formatJsonPath: where a value is, named by keys and indexes, never by values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatJsonPath } from '../../src/objects/index.js';
import { framePath } from '../../src/objects/json-path.js';
import { fcParams } from '../support/fc.js';
import { importFresh } from '../support/platform.js';

const MODULE = new URL('../../src/objects/json-path.ts', import.meta.url);

describe('formatJsonPath', () => {
  it.each([
    [[], '$'],
    [['a', 'b', 3], '$.a.b[3]'],
    [[0, 'x_1', '$y'], '$[0].x_1.$y'],
    [['odd key', '1a', '', 'é'], '$["odd key"]["1a"][""]["é"]'],
    [['q"\\'], '$["q\\"\\\\"]'],
  ] as const)('%j → %s', (segments, text) => {
    expect(formatJsonPath(segments)).toBe(text);
  });

  it('cuts a key longer than 40 characters, so a path cannot carry a long string', () => {
    expect(formatJsonPath(['k'.repeat(41)])).toBe(`$["${'k'.repeat(40)}…"]`);
    expect(formatJsonPath(['k'.repeat(40)])).toBe(`$.${'k'.repeat(40)}`);
  });

  it('property: short keys read back from the path, in order', () => {
    const segment = fc.oneof(fc.nat(), fc.string({ maxLength: 40 }));
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
        const text = formatJsonPath(segments);
        const read: Array<string | number> = [];
        const token = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
        token.lastIndex = 1;
        for (let match = token.exec(text); match !== null; match = token.exec(text)) {
          read.push(match[1] ?? (match[2] !== undefined ? Number(match[2]) : (JSON.parse(match[3] as string) as string)));
        }
        expect(text.startsWith('$')).toBe(true);
        expect(read).toEqual(segments);
      }),
      fcParams(300),
    );
  });
});

describe('framePath', () => {
  it('names each open container by the member it is visiting', () => {
    expect(framePath([])).toBe('$');
    expect(
      framePath([
        { keys: ['a', 'b'], index: 2 },
        { keys: undefined, index: 1 },
      ]),
    ).toBe('$.b[0]');
  });
});

describe('formatJsonPath: identifiers and cut keys', () => {
  // A copy evaluated by this test (see importFresh): the identifier pattern is built when the
  // module loads.
  it('writes a key with a dot exactly when it is an identifier, as the module loads', async () => {
    const fresh = await importFresh<typeof import('../../src/objects/json-path.js')>(MODULE);
    for (const format of [fresh.formatJsonPath, formatJsonPath]) {
      expect(format(['a', 'ab1', '$x', '_', 'a_$9'])).toBe('$.a.ab1.$x._.a_$9');
      expect(format(['1a'])).toBe('$["1a"]');
      expect(format(['a-b'])).toBe('$["a-b"]');
      expect(format(['-a'])).toBe('$["-a"]');
      expect(format(['ab-'])).toBe('$["ab-"]');
      expect(format(['a b c'])).toBe('$["a b c"]');
      expect(format(['a--'])).toBe('$["a--"]');
      expect(format([''])).toBe('$[""]');
      expect(format([0, 12, 'a'])).toBe('$[0][12].a');
    }
  });

  it('cuts a key only past 40 characters', () => {
    expect(formatJsonPath(['k'.repeat(40)])).toBe(`$.${'k'.repeat(40)}`);
    expect(formatJsonPath(['k'.repeat(41)])).toBe(`$["${'k'.repeat(40)}…"]`);
  });
});
