// describeTextOffset / firstNonFiniteNumberOffset: positions for messages, never content.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeTextOffset, firstNonFiniteNumberOffset } from '../../src/objects/json-text-location.js';
import { fcParams } from '../support/fc.js';
import { jsonValue } from './json-arbitraries.js';

describe('describeTextOffset', () => {
  it('gives the UTF-8 byte, the line and the column in characters', () => {
    expect(describeTextOffset('abc', 0, 0)).toBe('byte 0 (line 1, column 1)');
    expect(describeTextOffset('a\nbc', 3, 0)).toBe('byte 3 (line 2, column 2)');
    expect(describeTextOffset('é\n😀x', 4, 0)).toBe('byte 7 (line 2, column 3)');
    expect(describeTextOffset('ab', 1, 3)).toBe('byte 4 (line 1, column 2)');
  });

  it('property: agrees with counting by hand, and holds no character of the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '\n', 'é', '😀', '\r') }), fc.nat(), fc.constantFrom(0, 3), (text, at, lead) => {
        const offset = at % (text.length + 1);
        const before = text.slice(0, offset);
        const lines = before.split('\n');
        const expected = `byte ${lead + Buffer.byteLength(before)} (line ${lines.length}, column ${(lines[lines.length - 1] as string).length + 1})`;
        expect(describeTextOffset(text, offset, lead)).toBe(expected);
      }),
      fcParams(300),
    );
  });
});

describe('firstNonFiniteNumberOffset', () => {
  it.each([
    ['[1,2]', -1],
    ['1e400', 0],
    ['[1, -1e400]', 4],
    ['{"1e400":"1e400","n":[0, 1E+309]}', 25],
    ['["\\"1e400", 2e400]', 12],
    ['["\\\\", 2e400]', 7],
    ['[1e-400, 1.5e308]', -1],
    ['[1.5e999]', 1],
    ['[0.5e999]', 1],
    ['[1e+5, 2e999]', 7],
    ['[-0.5E-3, 1E400]', 10],
  ])('%s → %i', (text, offset) => {
    expect(firstNonFiniteNumberOffset(text)).toBe(offset);
  });

  it('property: finds the literal placed at a random member of any JSON text', () => {
    fc.assert(
      fc.property(jsonValue, fc.constantFrom('1e400', '-2E+999', '9'.repeat(400)), (value, literal) => {
        const text = JSON.stringify([value, literal]).replace(`"${literal}"`, literal);
        expect(text.slice(firstNonFiniteNumberOffset(text)).startsWith(literal)).toBe(true);
        expect(firstNonFiniteNumberOffset(JSON.stringify(value))).toBe(-1);
      }),
      fcParams(300),
    );
  });
});

describe('firstNonFiniteNumberOffset: strings are skipped', () => {
  it('does not read a number inside a string', () => {
    expect(firstNonFiniteNumberOffset('["1e400", 1e400]')).toBe(10);
    expect(firstNonFiniteNumberOffset('{"a\\"1e400": 2e400}')).toBe(13);
    expect(firstNonFiniteNumberOffset('"1e400"')).toBe(-1);
  });

  it('stops at the end of a text whose string never closes', () => {
    expect(firstNonFiniteNumberOffset('"1e400')).toBe(-1);
    expect(firstNonFiniteNumberOffset('["a\\')).toBe(-1);
  });
});
