// The size and depth bounds: defaults, and which option values are bounds at all.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_JSON_MAX_BYTES, DEFAULT_JSON_MAX_DEPTH } from '../../src/objects/index.js';
import { depthError, resolveJsonMaxBytes, resolveMaxDepth } from '../../src/objects/json-limits.js';
import { fcParams } from '../support/fc.js';
import { importFresh } from '../support/platform.js';

const MODULE = new URL('../../src/objects/json-limits.ts', import.meta.url);

describe('resolveMaxDepth / resolveJsonMaxBytes', () => {
  it('default to 256 levels and 16 MiB', () => {
    expect(resolveMaxDepth(undefined)).toBe(DEFAULT_JSON_MAX_DEPTH);
    expect(DEFAULT_JSON_MAX_DEPTH).toBe(256);
    expect(resolveJsonMaxBytes(undefined)).toBe(DEFAULT_JSON_MAX_BYTES);
    expect(DEFAULT_JSON_MAX_BYTES).toBe(16 * 1024 * 1024);
  });

  it('refuse a value that is not a bound with a TypeError naming the option and the value', () => {
    expect(() => resolveMaxDepth(0)).toThrow(/maxDepth .*got 0/);
    expect(() => resolveJsonMaxBytes(-1)).toThrow(/maxBytes .*got -1/);
    expect(() => resolveMaxDepth(0)).toThrow(TypeError);
    expect(() => resolveJsonMaxBytes(-1)).toThrow(TypeError);
  });

  it('accept exactly the positive (depth) and non-negative (bytes) safe integers', () => {
    const candidate = fc.oneof(
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 1.5, -0.5, Number.NaN, Number.POSITIVE_INFINITY, -0),
      fc.double(),
    );
    fc.assert(
      fc.property(candidate, (value) => {
        const safe = Number.isSafeInteger(value);
        if (safe && value >= 1) expect(resolveMaxDepth(value)).toBe(value);
        else expect(() => resolveMaxDepth(value)).toThrow(TypeError);
        if (safe && value >= 0) expect(resolveJsonMaxBytes(value)).toBe(value);
        else expect(() => resolveJsonMaxBytes(value)).toThrow(TypeError);
      }),
      fcParams(300),
    );
  });
});

describe('depthError', () => {
  it('is EDEPTH naming the bound, with the value path where a walk of a value found it', () => {
    expect(depthError(3)).toMatchObject({ code: 'EDEPTH', path: undefined });
    expect(depthError(3).message).toContain('deeper than 3');
    expect(depthError(3, '$.a[0]')).toMatchObject({ code: 'EDEPTH', path: '$.a[0]' });
  });
});

describe('the defaults as the module loads them', () => {
  // A copy evaluated by this test (see importFresh): the constants are computed when it loads.
  it('are 16 MiB and 256 levels', async () => {
    const fresh = await importFresh<typeof import('../../src/objects/json-limits.js')>(MODULE);
    expect(fresh.DEFAULT_JSON_MAX_BYTES).toBe(16_777_216);
    expect(fresh.resolveJsonMaxBytes(undefined)).toBe(16_777_216);
    expect(fresh.DEFAULT_JSON_MAX_DEPTH).toBe(256);
    expect(DEFAULT_JSON_MAX_BYTES).toBe(16_777_216);
  });
});
