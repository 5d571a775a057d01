// jsonErrorOffset: where a text JSON.parse refuses first goes wrong, as V8 would say it.
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset } from '../../src/objects/json-error-position.js';

/** V8's position for a text it refuses, when its message states one. */
function v8Position(text: string): number | undefined {
  try {
    JSON.parse(text);
  } catch (error) {
    const stated = / at position (\d+)/.exec((error as Error).message);
    return stated === null ? undefined : Number(stated[1]);
  }
  throw new Error(`JSON.parse accepted ${text}`);
}

describe('jsonErrorOffset: the offending character, as V8 reports it', () => {
  it.each([
    ['a tab is whitespace', '[\t1\tx]'],
    ['a carriage return is whitespace', '[\r1\r\nx]'],
    ['a member name must be a string', '{:1}'],
    ['a bad escape stops at the escaped character, even a comma', '["\\,1]'],
    ['a \\u escape needs four hex digits', '["\\u12x4"]'],
    ['a \\u escape needs four hex digits, even before a comma', '["\\u1,2]'],
    ['an exponent needs a digit, even before a comma', '[1e,2]'],
    ['a fraction needs a digit', '[1.,2]'],
  ])('%s', (_name, text) => {
    const expected = v8Position(text) ?? text.indexOf('x');
    expect(expected).toBeGreaterThanOrEqual(0);
    expect(jsonErrorOffset(text)).toBe(expected);
  });

  it('points at the offending character inside literals, numbers and escapes', () => {
    expect(jsonErrorOffset('[tru-e]')).toBe(4);
    expect(jsonErrorOffset('-')).toBe(1);
    expect(jsonErrorOffset('1.e5')).toBe(2);
    expect(jsonErrorOffset('1e+')).toBe(3);
    expect(jsonErrorOffset('"\\u12G4"')).toBe(5);
    expect(jsonErrorOffset('"abc')).toBe(4);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset('[[[]]')).toBe(5);
  });

  it('a text that ends inside an escape or a string is refused at its end', () => {
    for (const text of ['"\\u12', '["\\u', '"abc', '["abc']) expect(jsonErrorOffset(text)).toBe(text.length);
  });

  it('after a complete value, the first character that is not whitespace', () => {
    expect(jsonErrorOffset('{"a":1,"b":2} x')).toBe(14);
    expect(jsonErrorOffset('\uFEFF1')).toBe(0);
    expect(jsonErrorOffset('{"a":1,\n"b":tru}')).toBe(15);
  });
});

describe('jsonErrorOffset: edges of strings, numbers and empty containers', () => {
  it.each([
    ['a control character in a string', '"a\u0001b"', 2],
    ['a tab in a string', '["\t"]', 2],
    ['a \\u escape takes four digits, no more', '["\\u0041" x', 10],
    ['a \\u escape cut at the third digit', '"\\u00x"', 5],
    ['a leading zero ends the integer part', '01', 1],
    ['a leading zero, then a letter', '[0x]', 2],
    ['a negative leading zero', '-01', 2],
    ['an upper-case exponent', '[1E5x]', 4],
    ['an upper-case exponent with a sign', '1E+5 x', 5],
    ['an empty object, then junk', '{} x', 3],
    ['an empty array, then junk', '[] x', 3],
    ['an empty object inside an array', '[{}, {} x', 8],
  ])('%s', (_name, text, offset) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(jsonErrorOffset(text)).toBe(offset);
  });
});
