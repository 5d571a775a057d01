// Delays between attempts to take a busy lock: bounds, growth, jitter, refusals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/locks/backoff.js';
import { fcParams } from '../support/fc.js';
import { caught } from '../support/tmp.js';

describe('Backoff', () => {
  it('stays within [ceiling/2, ceiling], the ceiling doubling from initialMs up to maxMs', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 50, noNaN: true }),
        fc.double({ min: 1, max: 20, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (initialMs, spread, randoms) => {
          const maxMs = initialMs * spread;
          let i = 0;
          const backoff = new Backoff({ initialMs, maxMs, random: () => randoms[i++ % randoms.length]! });
          let ceiling = initialMs;
          for (let n = 0; n < randoms.length; n += 1) {
            const delay = backoff.next();
            expect(delay).toBeGreaterThanOrEqual(ceiling / 2 - 1e-9);
            expect(delay).toBeLessThanOrEqual(ceiling + 1e-9);
            ceiling = Math.min(maxMs, ceiling * 2);
          }
        },
      ),
      fcParams(),
    );
  });

  it('uses defaults of 5 ms growing to 100 ms, and jitters', () => {
    const backoff = new Backoff();
    const delays = Array.from({ length: 12 }, () => backoff.next());
    expect(delays[0]).toBeLessThanOrEqual(5);
    expect(Math.max(...delays)).toBeLessThanOrEqual(100);
    expect(delays.slice(-4).every((d) => d >= 50)).toBe(true);
    expect(new Set(delays.slice(-4)).size).toBeGreaterThan(1);
    backoff.reset();
    expect(backoff.next()).toBeLessThanOrEqual(5);
  });

  it('refuses nonsense parameters', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(TypeError);
    expect(() => new Backoff({ initialMs: Number.NaN })).toThrow(TypeError);
    expect(() => new Backoff({ initialMs: 10, maxMs: 5 })).toThrow(TypeError);
    expect(() => new Backoff({ factor: 0.5 })).toThrow(TypeError);
  });
});

describe('Backoff: refusals name the option and value; factor 1 is allowed', () => {
  it('states what is wrong with each option', async () => {
    // [options, the option named first, the bound it states, the value it got]
    const cases: Array<[ConstructorParameters<typeof Backoff>[0], string, string, string]> = [
      [{ initialMs: 0 }, 'initialMs', 'positive', 'got 0'],
      [{ initialMs: 5, maxMs: 1 }, 'maxMs', '>= initialMs', 'got 1'],
      [{ factor: 0.5 }, 'factor', '>= 1', 'got 0.5'],
    ];
    for (const [options, name, bound, got] of cases) {
      const error = await caught(() => new Backoff(options));
      expect(error, name).toBeInstanceOf(TypeError);
      expect(error.message, name).toMatch(new RegExp(`^${name} `));
      expect(error.message, name).toContain(bound);
      expect(error.message, name).toContain(got);
    }
  });

  it('accepts factor 1: a constant ceiling', () => {
    const backoff = new Backoff({ initialMs: 8, maxMs: 100, factor: 1, random: () => 1 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([8, 8, 8]);
  });
});
