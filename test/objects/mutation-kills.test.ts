// Assertions added for mutants Stryker found surviving in src/objects (npm run mutate): exact
// error offsets of the JSON scanners, the UTF-8 edge ranges, the wording of each refusal, and
// the callbacks' arguments. Pure code: unit cases pin the edges, properties check them
// against V8's own decoder and parser.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HardfsError } from '../../src/errors.js';
import { dictFromEntries, parseJsonSafe, stableStringify } from '../../src/objects/index.js';
import { assertJsonDepthWithin } from '../../src/objects/json-depth-scan.js';
import { jsonErrorOffset } from '../../src/objects/json-error-position.js';
import { resolveJsonMaxBytes, resolveMaxDepth } from '../../src/objects/json-limits.js';
import { decodeUtf8Text, firstInvalidUtf8Offset } from '../../src/objects/utf8-text.js';
import { fcParams } from '../support/fc.js';
import { expectHardfsError } from './expect-hardfs-error.js';

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

  it('a text that ends inside an escape or a string is refused at its end', () => {
    for (const text of ['"\\u12', '["\\u', '"abc', '["abc']) expect(jsonErrorOffset(text)).toBe(text.length);
  });

  it('agrees with every position V8 states for short texts over the JSON alphabet', () => {
    const alphabet = fc.constantFrom(...'[]{}",:\\u0123456789abcdefABCDEFeE.+-tnrl \t\r\n'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 14 }), (text) => {
        let stated: number | undefined;
        try {
          JSON.parse(text);
          return;
        } catch (error) {
          const match = / at position (\d+)/.exec((error as Error).message);
          if (match === null) return;
          stated = Number(match[1]);
        }
        expect(jsonErrorOffset(text)).toBe(stated);
      }),
      fcParams(),
    );
  });
});

describe('parseJsonSafe: the position in ECORRUPT messages', () => {
  it('keeps every digit of a position V8 states (two and more)', () => {
    const error = expectHardfsError(() => parseJsonSafe('{"a":1,"b":2} x'), 'ECORRUPT');
    expect(error.message).toMatch(/^ECORRUPT: malformed JSON at position 14 \(line 1 column 15\): /);
  });

  it('finds the line and column of a position past a newline', () => {
    const error = expectHardfsError(() => parseJsonSafe('{\n  "a": 1,\n  "b" 2\n}'), 'ECORRUPT');
    expect(error.message).toMatch(/^ECORRUPT: malformed JSON at position 18 \(line 3 column 7\): /);
  });
});

describe('assertJsonDepthWithin: stops where JSON.parse would', () => {
  const deep = '['.repeat(6);

  it('an unmatched closer ends the count (JSON.parse refuses the text anyway)', () => {
    expect(() => assertJsonDepthWithin(`]${deep}`, 2)).not.toThrow();
    expectHardfsError(() => parseJsonSafe(`]${deep}`, { maxDepth: 2 }), 'ECORRUPT');
  });

  it('a closed container does not end the count', () => {
    expectHardfsError(() => assertJsonDepthWithin(`[]${deep}`, 2), 'EDEPTH');
    expectHardfsError(() => assertJsonDepthWithin(`{}${deep}`, 2), 'EDEPTH');
  });

  it('a string with escaped quotes and backslashes is skipped whole', () => {
    expect(() => assertJsonDepthWithin(`["\\"[[[[[[\\\\", "\\\\\\"[[[[[["]`, 1)).not.toThrow();
    expectHardfsError(() => assertJsonDepthWithin(`["\\\\"${deep}`, 2), 'EDEPTH');
  });
});

describe('UTF-8: the narrowed second-byte ranges (WHATWG)', () => {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  const cases: Array<[string, number[], number]> = [
    ['E0 needs A0..BF (no overlong 3-byte form)', [0x61, 0xe0, 0x9f, 0x80], 1],
    ['E0 A0 80 is valid', [0xe0, 0xa0, 0x80], -1],
    ['ED needs 80..9F (no surrogates)', [0x61, 0x62, 0xed, 0xa0, 0x80], 2],
    ['ED 9F BF is valid', [0xed, 0x9f, 0xbf], -1],
    ['F0 needs 90..BF (no overlong 4-byte form)', [0xf0, 0x8f, 0x80, 0x80], 0],
    ['F0 90 80 80 is valid', [0xf0, 0x90, 0x80, 0x80], -1],
    ['F4 needs 80..8F (nothing past U+10FFFF)', [0x61, 0xf4, 0x90, 0x80, 0x80], 1],
    ['F4 8F BF BF is valid', [0xf4, 0x8f, 0xbf, 0xbf], -1],
    ['F5 never starts a sequence', [0x61, 0xf5, 0x80, 0x80, 0x80], 1],
    ['C1 never starts a sequence', [0xc1, 0x81], 0],
  ];

  it.each(cases)('%s', (_name, bytes, offset) => {
    const input = Uint8Array.from(bytes);
    expect(firstInvalidUtf8Offset(input)).toBe(offset);
    let valid = true;
    try {
      fatal.decode(input);
    } catch {
      valid = false;
    }
    expect(valid).toBe(offset === -1);
  });

  it('ECORRUPT names the offset and keeps the decoder error as its cause', () => {
    const error = expectHardfsError(() => decodeUtf8Text(Uint8Array.of(0x61, 0xed, 0xa0, 0x80)), 'ECORRUPT');
    expect(error.message).toBe('ECORRUPT: text is not valid UTF-8 at byte 1');
    expect(error.cause).toBeInstanceOf(TypeError);
  });
});

describe('refusals say what was wrong', () => {
  it('bounds: the option, the rule and the value', () => {
    expect(() => resolveMaxDepth(0)).toThrow(new TypeError('maxDepth must be a positive safe integer, got 0'));
    expect(() => resolveJsonMaxBytes(-1)).toThrow(new TypeError('maxBytes must be a non-negative safe integer, got -1'));
    expect(expectHardfsError(() => parseJsonSafe('[[1]]', { maxDepth: 1 }), 'EDEPTH').message).toBe('EDEPTH: nesting is deeper than 1 levels');
  });

  it('parseJsonSafe: input type, onBlockedKey, size bounds and blocked keys', () => {
    expect(() => parseJsonSafe('1', { onBlockedKey: 'keep' as never })).toThrow(new TypeError('onBlockedKey must be "drop" or "throw", got keep'));
    expect(() => parseJsonSafe(42 as never)).toThrow(new TypeError('JSON input must be a string or a Uint8Array'));
    expect(expectHardfsError(() => parseJsonSafe('"abcdef"', { maxBytes: 2 }), 'ETOOBIG').message).toBe('ETOOBIG: JSON text is over the 2-byte bound');
    expect(expectHardfsError(() => parseJsonSafe(Buffer.from('"abcdef"'), { maxBytes: 2 }), 'ETOOBIG').message).toBe(
      'ETOOBIG: JSON text is 8 bytes, over the 2-byte bound',
    );
    const blocked = expectHardfsError(() => parseJsonSafe('{"a":{"__proto__":1}}', { onBlockedKey: 'throw' }), 'EBADNAME');
    expect(blocked.message).toBe('EBADNAME: JSON contains a blocked object key: __proto__');
  });

  it('stableStringify: cycles and BigInt', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(expectHardfsError(() => stableStringify(cyclic), 'ECYCLE').message).toBe('ECYCLE: cannot serialize a cyclic structure');
    expect(() => stableStringify({ n: 1n })).toThrow(new TypeError('Do not know how to serialize a BigInt'));
  });
});

describe('parseJsonSafe: onDroppedKey', () => {
  it('tells top-level keys from nested ones', () => {
    const dropped: Array<[string, boolean]> = [];
    parseJsonSafe('{"__proto__":1,"a":{"constructor":2,"b":[{"prototype":3}]}}', {
      onDroppedKey: (key, topLevel) => dropped.push([key, topLevel]),
    });
    expect(dropped.sort()).toEqual([
      ['__proto__', true],
      ['constructor', false],
      ['prototype', false],
    ]);
  });

  it('arrays of nulls and primitives come back unchanged', () => {
    expect(parseJsonSafe('[null,1,"s",true,[null]]')).toEqual([null, 1, 's', true, [null]]);
  });
});

describe('dictFromEntries: keys that are not strings', () => {
  it('are dropped, not stored as symbol or number properties', () => {
    const symbol = Symbol('s');
    const dict = dictFromEntries([
      [symbol, 1],
      [7, 2],
      ['a', 3],
    ] as unknown as Array<[string, number]>);
    expect(Reflect.ownKeys(dict)).toEqual(['a']);
  });
});

describe('stableStringify: null members', () => {
  it('keeps null in objects and arrays, as JSON.stringify does', () => {
    const value = { b: null, a: [null, { c: null }] };
    expect(stableStringify(value)).toBe('{"a":[null,{"c":null}],"b":null}');
    expect(stableStringify(null)).toBe('null');
  });
});

it('HardfsError is what every refusal above throws', () => {
  expect(expectHardfsError(() => parseJsonSafe('x'), 'ECORRUPT')).toBeInstanceOf(HardfsError);
});
