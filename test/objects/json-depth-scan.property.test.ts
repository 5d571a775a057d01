// assertJsonDepthWithin against the depth of the value a text spells.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertJsonDepthWithin } from '../../src/objects/json-depth-scan.js';
import { fcParams } from '../support/fc.js';
import { jsonDepth, jsonValue, mutatedJsonText } from './json-arbitraries.js';

describe('assertJsonDepthWithin properties', () => {
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

  it('is EDEPTH exactly past the bound for chains of [ and {"a": of any length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 }), fc.boolean(), (depth, maxDepth, objects) => {
        const text = objects ? `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;
        if (depth > maxDepth) expect(() => assertJsonDepthWithin(text, maxDepth)).toThrow(expect.objectContaining({ code: 'EDEPTH' }) as unknown as Error);
        else expect(() => assertJsonDepthWithin(text, maxDepth)).not.toThrow();
      }),
      fcParams(200),
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
