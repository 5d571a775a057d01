// formatJsonPath: where a value is, named by keys and indexes, never by values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatJsonPath } from '../../src/objects/index.js';
import { framePath } from '../../src/objects/json-path.js';
import { fcParams } from '../support/fc.js';

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
