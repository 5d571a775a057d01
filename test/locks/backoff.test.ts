import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { abortableSleep } from '../../src/locks/abortable-sleep.js';
import { Backoff } from '../../src/locks/backoff.js';
import { fcParams } from '../support/fc.js';

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

describe('abortableSleep', () => {
  it('resolves after the delay', async () => {
    await expect(abortableSleep(1)).resolves.toBeUndefined();
  });

  it('rejects with the reason of an already aborted or later aborted signal, and detaches its listener', async () => {
    const reason = new Error('stop');
    await expect(abortableSleep(10, AbortSignal.abort(reason))).rejects.toBe(reason);
    const controller = new AbortController();
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);

    const shared = new AbortController();
    let added = 0;
    let removed = 0;
    const add = shared.signal.addEventListener.bind(shared.signal);
    const remove = shared.signal.removeEventListener.bind(shared.signal);
    shared.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added += 1;
      add(...args);
    }) as typeof add;
    shared.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed += 1;
      remove(...args);
    }) as typeof remove;
    for (let i = 0; i < 5; i += 1) await abortableSleep(0, shared.signal);
    expect(added).toBe(5);
    expect(removed).toBe(5);
  });
});
