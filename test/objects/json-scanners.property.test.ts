import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertJsonDepthWithin } from '../../src/objects/json-depth-scan.js';
import { jsonErrorOffset } from '../../src/objects/json-error-position.js';
import { fcParams } from '../support/fc.js';
import { jsonDepth, jsonValue, mutatedJsonText } from './json-arbitraries.js';

// The two internal scanners parseJsonSafe relies on, checked against V8's own parser.

describe('assertJsonDepthWithin', () => {
  it('measures the exact nesting depth of any JSON text, skipping string contents', () => {
    fc.assert(
      fc.property(jsonValue, fc.constantFrom('', ' ', '\n\t'), (value, space) => {
        const text = JSON.stringify(value, null, space);
        const depth = jsonDepth(value);
        expect(() => assertJsonDepthWithin(text, depth)).not.toThrow();
        if (depth > 0) {
          expect(() => assertJsonDepthWithin(text, depth - 1)).toThrow(expect.objectContaining({ code: 'EDEPTH' }) as unknown as Error);
        }
      }),
      fcParams(500),
    );
  });

  it('terminates on any text and throws nothing but EDEPTH', () => {
    fc.assert(
      fc.property(fc.oneof(mutatedJsonText, fc.string({ unit: fc.constantFrom(...'[]{}"\\a'.split('')) })), fc.integer({ min: 0, max: 6 }), (text, maxDepth) => {
        try {
          assertJsonDepthWithin(text, maxDepth);
        } catch (error) {
          expect(error).toMatchObject({ code: 'EDEPTH' });
        }
      }),
      fcParams(300),
    );
  });
});

describe('jsonErrorOffset', () => {
  it('agrees with the position V8 states in its SyntaxError, where it states one', () => {
    let compared = 0;
    fc.assert(
      fc.property(mutatedJsonText, (text) => {
        let message: string;
        try {
          JSON.parse(text);
          return;
        } catch (error) {
          message = (error as Error).message;
        }
        const stated = / at position (\d+)/.exec(message);
        if (stated === null) {
          expect(jsonErrorOffset(text)).toBeLessThanOrEqual(text.length);
          return;
        }
        compared += 1;
        expect(jsonErrorOffset(text)).toBe(Number(stated[1]));
      }),
      fcParams(1000),
    );
    // The property must have had something to compare.
    expect(compared).toBeGreaterThan(0);
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
});
