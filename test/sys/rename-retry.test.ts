// The Windows rename retry (issue 14): EPERM / EBUSY / EACCES from a rename over a file held
// open are retried with jittered backoff for at most RENAME_RETRY_BOUND_MS in total, only those
// codes, only where enabled (Windows). Exercised here through the fault seam: the codes are
// injected at the atomic write's rename step, the clock is the seam's.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RENAME_RETRY_BOUND_MS, isTempFileName, openDir } from '../../src/index.js';
import { setFaultHook, setRenameRetrySeam } from '../../src/sys/fault-seam.js';
import { retryDelays } from '../../src/sys/rename-retry.js';
import fc from 'fast-check';
import { fcParams } from '../support/fc.js';
import { useTempDirs } from '../support/tmp.js';

function failing(code: string, times: number): { calls: () => number } {
  let calls = 0;
  setFaultHook((step) => {
    if (step !== 'rename') return;
    calls += 1;
    if (calls <= times) throw Object.assign(new Error(`${code}: injected, rename`), { code, syscall: 'rename' });
  });
  return { calls: () => calls };
}

function caughtSync(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, nothing was thrown');
}

describe('rename retry', () => {
  const tempDir = useTempDirs();
  const slept: number[] = [];
  afterEach(() => {
    setFaultHook(undefined);
    setRenameRetrySeam(undefined);
    slept.length = 0;
  });
  const enable = (): void => {
    setRenameRetrySeam({
      enabled: true,
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
      sleepSync: (ms) => {
        slept.push(ms);
      },
    });
  };

  it.each(['EPERM', 'EBUSY', 'EACCES'])('%s is retried until the rename succeeds', async (code) => {
    enable();
    const base = await tempDir();
    const dir = await openDir(base);
    const fault = failing(code, 3);
    await dir.writeFile('f', 'content');
    expect(fault.calls()).toBe(4);
    expect(slept).toHaveLength(3);
    expect(readFileSync(join(base, 'f'), 'utf8')).toBe('content');
    dir.writeFileSync('g', 'sync too');
    expect(readFileSync(join(base, 'g'), 'utf8')).toBe('sync too');
    await dir.close();
  });

  it('with the real clock and Math.random (no seam overrides), the async and sync retries wait and then succeed', async () => {
    setRenameRetrySeam({ enabled: true });
    const base = await tempDir();
    const dir = await openDir(base);
    const fault = failing('EBUSY', 2);
    await dir.writeFile('f', 'async');
    expect(fault.calls()).toBe(3);
    const again = failing('EACCES', 2);
    dir.writeFileSync('g', 'sync');
    expect(again.calls()).toBe(3);
    expect(readFileSync(join(base, 'f'), 'utf8')).toBe('async');
    expect(readFileSync(join(base, 'g'), 'utf8')).toBe('sync');
    expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
    await dir.close();
  });

  it('the sync retry gives up at the bound too, and never retries another code', async () => {
    enable();
    const base = await tempDir();
    const dir = await openDir(base);
    failing('EPERM', Number.POSITIVE_INFINITY);
    expect((caughtSync(() => dir.writeFileSync('f', 'x')) as NodeJS.ErrnoException).code).toBe('EPERM');
    expect(slept.reduce((sum, ms) => sum + ms, 0)).toBe(RENAME_RETRY_BOUND_MS);
    slept.length = 0;
    const other = failing('EIO', 1);
    expect((caughtSync(() => dir.writeFileSync('f', 'x')) as NodeJS.ErrnoException).code).toBe('EIO');
    expect(other.calls()).toBe(1);
    // An error without an errno code is not one a held handle causes: not retried either.
    let codeless = 0;
    setFaultHook((step) => {
      if (step !== 'rename') return;
      codeless += 1;
      throw new Error('injected, no code');
    });
    expect((caughtSync(() => dir.writeFileSync('f', 'x')) as Error).message).toContain('no code');
    expect(codeless).toBe(1);
    expect(slept).toEqual([]);
    expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
    await dir.close();
  });

  it('gives up at the bound with the last error, and leaves no temp file', async () => {
    enable();
    const base = await tempDir();
    const dir = await openDir(base);
    failing('EBUSY', Number.POSITIVE_INFINITY);
    const error = (await dir.writeFile('f', 'x').catch((failure: unknown) => failure)) as NodeJS.ErrnoException;
    expect(error.code).toBe('EBUSY');
    expect(slept.reduce((sum, ms) => sum + ms, 0)).toBe(RENAME_RETRY_BOUND_MS);
    expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
    await dir.close();
  });

  it('other codes are not retried, and nothing is retried where the retry is off (every platform but Windows)', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    enable();
    const other = failing('ENOSPC', 1);
    expect(((await dir.writeFile('f', 'x').catch((failure: unknown) => failure)) as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(other.calls()).toBe(1);
    setRenameRetrySeam({ enabled: false });
    const off = failing('EBUSY', 1);
    expect(((await dir.writeFile('f', 'x').catch((failure: unknown) => failure)) as NodeJS.ErrnoException).code).toBe('EBUSY');
    expect(off.calls()).toBe(1);
    expect(slept).toEqual([]);
    await dir.close();
  });

  it('the delays are positive and sum to exactly the bound whatever the jitter', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 0.999_999, noNaN: true }), { minLength: 1, maxLength: 50 }), (randoms) => {
        let index = 0;
        const delays = [...retryDelays(() => randoms[index++ % randoms.length] as number)];
        expect(delays.every((ms) => ms > 0)).toBe(true);
        expect(delays.reduce((sum, ms) => sum + ms, 0)).toBe(RENAME_RETRY_BOUND_MS);
      }),
      fcParams(),
    );
  });
});
