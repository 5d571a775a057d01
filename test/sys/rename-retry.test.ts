// The Windows rename retry (issue 14): EPERM / EBUSY / EACCES from a rename over a file held
// open are retried with jittered backoff for at most RENAME_RETRY_BOUND_MS in total, only those
// codes, only where enabled (Windows). Exercised here through the fault seam: the codes are
// injected at the atomic write's rename step, the clock is the seam's.
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RENAME_RETRY_BOUND_MS, isTempFileName, openDir } from '../../src/index.js';
import { setFaultHook, setRenameRetrySeam } from '../../src/sys/fault-seam.js';
import * as loaded from '../../src/sys/rename-retry.js';
import { retryDelays } from '../../src/sys/rename-retry.js';
import fc from 'fast-check';
import { fcParams } from '../support/fc.js';
import { importFresh } from '../support/platform.js';
import { caught, useTempDirs } from '../support/tmp.js';

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

  it('the jitter spans [ceiling/2, ceiling], the ceiling doubling from 5 ms up to 250 ms', () => {
    const first = (random: number): number[] => [...retryDelays(() => random)].slice(0, 9);
    expect(first(0)).toEqual([3, 5, 10, 20, 40, 80, 125, 125, 125]);
    expect(first(0.999_999)).toEqual([5, 10, 20, 40, 80, 160, 250, 250, 250]);
    expect(first(0.5)).toEqual([4, 8, 15, 30, 60, 120, 188, 188, 188]);
    const last = [...retryDelays(() => 0.999_999)];
    expect(last.slice(0, -1).reduce((sum, ms) => sum + ms, 0) + (last.at(-1) ?? 0)).toBe(RENAME_RETRY_BOUND_MS);
    expect(last.at(-1)).toBeLessThanOrEqual(250);
  });
});

/** An errno-shaped error as a Windows rename over a file held open raises it. */
function heldOpenError(code: string, attempt: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: operation not permitted, rename (attempt ${attempt})`), { code, syscall: 'rename' });
}

/**
 * A real rename of `from` to `to` that first fails `times` times with `code` (what Windows
 * answers while another process holds the target open), in both flavours.
 */
function heldOpen(from: string, to: string, code: string | undefined, times: number) {
  let calls = 0;
  const errors: unknown[] = [];
  const attempt = (): void => {
    calls += 1;
    if (calls <= times) {
      const error = code === undefined ? `not an error (attempt ${calls})` : heldOpenError(code, calls);
      errors.push(error);
      throw error;
    }
  };
  return {
    sync: (): void => {
      attempt();
      renameSync(from, to);
    },
    async: async (): Promise<void> => {
      attempt();
      await rename(from, to);
    },
    calls: () => calls,
    lastError: () => errors.at(-1),
  };
}

describe('renameWithRetry / renameWithRetrySync', () => {
  const tempDir = useTempDirs();
  // A copy evaluated by this test file (see importFresh): the retried codes are a module table.
  let retry: typeof loaded;
  beforeAll(async () => {
    retry = await importFresh<typeof loaded>(new URL('../../src/sys/rename-retry.ts', import.meta.url));
  });
  const slept: number[] = [];
  afterEach(() => {
    setRenameRetrySeam(undefined);
    slept.length = 0;
  });
  const enable = (random: () => number = () => 0): void => {
    setRenameRetrySeam({
      enabled: true,
      random,
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
      sleepSync: (ms) => {
        slept.push(ms);
      },
    });
  };
  const flavours = [
    ['async', (r: typeof loaded, held: ReturnType<typeof heldOpen>) => r.renameWithRetry(held.async)],
    // async only to report a throw as a rejection; the retry itself runs synchronously
    ['sync', async (r: typeof loaded, held: ReturnType<typeof heldOpen>) => {
      r.renameWithRetrySync(held.sync);
    }],
  ] as const;

  describe.each(flavours)('%s', (_, run) => {
    it.each(['EPERM', 'EBUSY', 'EACCES'])('%s is retried after the seam\u2019s delays until the rename goes through', async (code) => {
      enable();
      const base = await tempDir();
      writeFileSync(join(base, 'from'), 'moved');
      const held = heldOpen(join(base, 'from'), join(base, 'to'), code, 3);
      await run(retry, held);
      expect(held.calls()).toBe(4);
      expect(slept).toEqual([3, 5, 10]);
      expect(readFileSync(join(base, 'to'), 'utf8')).toBe('moved');
    });

    it('a real ENOENT, another code or a thrown non-error is thrown at once, unchanged', async () => {
      enable();
      const base = await tempDir();
      const missing = heldOpen(join(base, 'missing'), join(base, 'to'), 'ENOENT', 0);
      const error = await caught(run(retry, missing));
      expect([error.code, error.path, missing.calls()]).toEqual(['ENOENT', join(base, 'missing'), 1]);
      for (const code of ['ENOSPC', 'EXDEV', undefined]) {
        writeFileSync(join(base, 'from'), 'x');
        const held = heldOpen(join(base, 'from'), join(base, 'to'), code, 1);
        expect(await caught(run(retry, held))).toBe(held.lastError());
        expect(held.calls()).toBe(1);
      }
      expect(slept).toEqual([]);
    });

    it('gives up once the delays reach the bound, with the last error', async () => {
      enable(() => 0.5);
      const base = await tempDir();
      writeFileSync(join(base, 'from'), 'x');
      const held = heldOpen(join(base, 'from'), join(base, 'to'), 'EBUSY', Number.POSITIVE_INFINITY);
      const error = await caught(run(retry, held));
      expect(error).toBe(held.lastError());
      expect(held.calls()).toBe(slept.length + 1);
      expect(slept.reduce((sum, ms) => sum + ms, 0)).toBe(RENAME_RETRY_BOUND_MS);
      expect(existsSync(join(base, 'from'))).toBe(true);
    });

    it('where the retry is off, the first EBUSY is thrown and nothing sleeps', async () => {
      setRenameRetrySeam({
        enabled: false,
        sleep: (ms) => {
          slept.push(ms);
          return Promise.resolve();
        },
        sleepSync: (ms) => {
          slept.push(ms);
        },
      });
      const base = await tempDir();
      writeFileSync(join(base, 'from'), 'x');
      const held = heldOpen(join(base, 'from'), join(base, 'to'), 'EBUSY', 1);
      expect(await caught(run(retry, held))).toBe(held.lastError());
      expect([held.calls(), slept]).toEqual([1, []]);
      const plain = heldOpen(join(base, 'from'), join(base, 'to'), 'EBUSY', 0);
      await run(retry, plain);
      expect(readFileSync(join(base, 'to'), 'utf8')).toBe('x');
    });

    it('without a seam clock, the delays are really waited for (at least their sum)', async () => {
      // A lower bound on a sleep, not a timing of the code: the retry must wait before it retries.
      setRenameRetrySeam({ enabled: true, random: () => 0.999_999 });
      const base = await tempDir();
      writeFileSync(join(base, 'from'), 'x');
      const held = heldOpen(join(base, 'from'), join(base, 'to'), 'EACCES', 2);
      const started = performance.now();
      await run(retry, held);
      expect(held.calls()).toBe(3);
      // delays 5 + 10 ms; timers may fire up to a millisecond early
      expect(performance.now() - started).toBeGreaterThanOrEqual(13);
    });

    it('without a seam random, the jitter comes from Math.random and stays in [ceiling/2, ceiling]', async () => {
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
      const base = await tempDir();
      writeFileSync(join(base, 'from'), 'x');
      await run(retry, heldOpen(join(base, 'from'), join(base, 'to'), 'EPERM', 3));
      expect(slept).toHaveLength(3);
      [5, 10, 20].forEach((ceiling, index) => {
        expect(slept[index]).toBeGreaterThanOrEqual(Math.ceil(ceiling / 2));
        expect(slept[index]).toBeLessThanOrEqual(ceiling);
      });
    });
  });
});
