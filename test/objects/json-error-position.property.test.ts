// jsonErrorOffset checked against V8's own parser, wherever V8 states a position.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset } from '../../src/objects/json-error-position.js';
import { fcParams } from '../support/fc.js';
import { mutatedJsonText } from './json-arbitraries.js';

/** V8's stated position, undefined when its message has none; null when V8 accepts the text. */
function v8Position(text: string): number | undefined | null {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    const stated = / at position (\d+)/.exec((error as Error).message);
    return stated === null ? undefined : Number(stated[1]);
  }
}

describe('jsonErrorOffset properties', () => {
  it('agrees with the position V8 states for edited JSON texts, and stays within the text otherwise', () => {
    let compared = 0;
    fc.assert(
      fc.property(mutatedJsonText, (text) => {
        const stated = v8Position(text);
        if (stated === null) return;
        if (stated === undefined) {
          expect(jsonErrorOffset(text)).toBeLessThanOrEqual(text.length);
          return;
        }
        compared += 1;
        expect(jsonErrorOffset(text)).toBe(stated);
      }),
      fcParams(1000),
    );
    // The property must have had something to compare.
    expect(compared).toBeGreaterThan(0);
  });

  it('agrees with every position V8 states for short texts over the JSON alphabet', () => {
    const alphabet = fc.constantFrom(...'[]{}",:\\u0123456789abcdefABCDEFeE.+-tnrl \t\r\n'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 14 }), (text) => {
        const stated = v8Position(text);
        if (typeof stated === 'number') expect(jsonErrorOffset(text)).toBe(stated);
      }),
      fcParams(),
    );
  });
});
