// Temp file names: `.hardfs-<32 lowercase hex>.tmp`, 128 random bits each, and the predicate
// that recognizes exactly that shape (what a crash can leave beside a target).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as loaded from '../../src/sys/temp-names.js';
import { fcParams } from '../support/fc.js';
import { importFresh } from '../support/platform.js';

const hex32 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => Buffer.from(bytes).toString('hex'));

describe('temp file names', () => {
  // A copy evaluated by this test file (see importFresh): the pattern is built when it loads.
  let names: typeof loaded;
  beforeAll(async () => {
    names = await importFresh<typeof loaded>(new URL('../../src/sys/temp-names.ts', import.meta.url));
  });
  it('makeTempFileName gives hidden names of the temp shape, never the same twice', () => {
    const made = Array.from({ length: 200 }, () => names.makeTempFileName());
    for (const name of made) {
      expect(name).toMatch(/^\.hardfs-[0-9a-f]{32}\.tmp$/);
      expect(names.isTempFileName(name)).toBe(true);
    }
    expect(new Set(made).size).toBe(made.length);
    expect(loaded.isTempFileName(names.makeTempFileName())).toBe(true);
    expect(names.isTempFileName(loaded.makeTempFileName())).toBe(true);
  });

  it('every name of the shape is a temp name, whatever its 128 bits', () => {
    fc.assert(
      fc.property(hex32, (hex) => {
        expect(names.isTempFileName(`.hardfs-${hex}.tmp`)).toBe(true);
      }),
      fcParams(),
    );
  });

  it('a name with anything before or after the shape is not one', () => {
    fc.assert(
      fc.property(hex32, fc.string({ minLength: 1, maxLength: 8 }), fc.boolean(), (hex, extra, before) => {
        const name = before ? `${extra}.hardfs-${hex}.tmp` : `.hardfs-${hex}.tmp${extra}`;
        expect(names.isTempFileName(name)).toBe(false);
      }),
      fcParams(),
    );
  });

  it('a name with too few or too many digits, uppercase or non-hex digits is not one', () => {
    fc.assert(
      fc.property(hex32, fc.integer({ min: 0, max: 31 }), (hex, at) => {
        expect(names.isTempFileName(`.hardfs-${hex.slice(1)}.tmp`)).toBe(false);
        expect(names.isTempFileName(`.hardfs-${hex}0.tmp`)).toBe(false);
        expect(names.isTempFileName(`.hardfs-${hex.slice(0, at)}g${hex.slice(at + 1)}.tmp`)).toBe(false);
        const upper = `${hex.slice(0, at)}A${hex.slice(at + 1)}`;
        expect(names.isTempFileName(`.hardfs-${upper}.tmp`)).toBe(false);
      }),
      fcParams(),
    );
    expect(names.isTempFileName('.hardfs-.tmp')).toBe(false);
    expect(names.isTempFileName('.hardfs-0.tmp')).toBe(false);
    expect(names.isTempFileName('hardfs-0123456789abcdef0123456789abcdef.tmp')).toBe(false);
    expect(names.isTempFileName('')).toBe(false);
  });
});
