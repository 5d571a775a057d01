// Lock options: defaults, derived values (grace period, heartbeat period) and refusals that name
// the option and the offending value.
import { describe, expect, it } from 'vitest';
import { DEFAULT_STALE_MS, DEFAULT_TIMEOUT_MS, resolveLockOptions } from '../../src/locks/lock-options.js';
import { caught } from '../support/tmp.js';

describe('lock options: validation and derived values', () => {
  it('uses the defaults when staleMs and timeoutMs are left out', () => {
    const defaults = { staleMs: 10_000, timeoutMs: 10_000, signal: undefined, graceMs: 2_000, heartbeatMs: 2_500 };
    expect(resolveLockOptions(undefined)).toEqual(defaults);
    expect(resolveLockOptions({})).toEqual(defaults);
    expect([DEFAULT_STALE_MS, DEFAULT_TIMEOUT_MS]).toEqual([10_000, 10_000]);
  });

  it('caps the grace period for unreadable records by staleMs', () => {
    expect(resolveLockOptions({ staleMs: 500 }).graceMs).toBe(500);
    expect(resolveLockOptions({ staleMs: 60_000 }).graceMs).toBe(2_000);
  });

  it('beats every staleMs/4 (floored), at least every millisecond', () => {
    expect(resolveLockOptions({ staleMs: 60_000 }).heartbeatMs).toBe(15_000);
    expect(resolveLockOptions({ staleMs: 43 }).heartbeatMs).toBe(10);
    expect(resolveLockOptions({ staleMs: 2 }).heartbeatMs).toBe(1);
  });

  it.each([
    [{ staleMs: -1 }, 'staleMs', 'got -1'],
    [{ staleMs: Infinity }, 'staleMs', 'got Infinity'],
    [{ staleMs: Number.NaN }, 'staleMs', 'got NaN'],
    [{ timeoutMs: 0 }, 'timeoutMs', 'got 0'],
    [{ timeoutMs: '5' }, 'timeoutMs', 'got string'],
    [{ staleMs: null }, 'staleMs', 'got object'],
  ])('refuses %o with a TypeError naming %s and the value or type (%s)', async (options, name, got) => {
    const error = await caught(() => resolveLockOptions(options));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain(`${name} must be a positive finite number`);
    expect(error.message).toContain(got);
  });

  it('refuses options that are not an object', async () => {
    for (const options of [null, 5, 'x']) {
      const error = await caught(() => resolveLockOptions(options));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain('lock options must be an object');
    }
  });

  it('refuses a signal that is not an AbortSignal, and keeps a real one', async () => {
    const error = await caught(() => resolveLockOptions({ signal: { aborted: false } }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('signal must be an AbortSignal');
    const signal = new AbortController().signal;
    expect(resolveLockOptions({ signal }).signal).toBe(signal);
  });
});
