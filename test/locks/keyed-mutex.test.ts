// In-process mutual exclusion per key: FIFO hand-over, isolation between keys, failure
// containment, no state for idle keys, and a bounded, abortable wait in the queue.
import { describe, expect, it } from 'vitest';
import { isHardfsError } from '../../src/errors.js';
import { KeyedMutex } from '../../src/locks/keyed-mutex.js';
import { caught } from '../support/tmp.js';
import { isPending, sleep } from './support.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('KeyedMutex', () => {
  it('returns what fn returns', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.runExclusive('a', () => 42)).resolves.toBe(42);
    await expect(mutex.runExclusive('a', async () => 'x')).resolves.toBe('x');
  });

  it('runs the callers of one key one at a time, in submission order', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const order: number[] = [];
    let inside = 0;
    let maxInside = 0;
    const first = mutex.runExclusive('k', async () => {
      await gate.promise;
      order.push(0);
    });
    const rest = [1, 2, 3, 4, 5].map((n) =>
      mutex.runExclusive('k', async () => {
        inside += 1;
        maxInside = Math.max(maxInside, inside);
        await sleep(n % 2); // some yield to the event loop, some only to microtasks
        order.push(n);
        inside -= 1;
      }),
    );
    expect(await isPending(first)).toBe(true);
    expect(order).toEqual([]); // nobody overtook the holder
    gate.resolve();
    await Promise.all([first, ...rest]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(maxInside).toBe(1);
  });

  it('lets another key run to completion while one key is held for 500 ms', async () => {
    const mutex = new KeyedMutex();
    let slowRunning = false;
    const slow = mutex.runExclusive('slow', async () => {
      slowRunning = true;
      await sleep(500);
      slowRunning = false;
    });
    let slowRunningWhenFastFinished: boolean | undefined;
    await mutex.runExclusive('fast', () => {
      slowRunningWhenFastFinished = slowRunning;
    });
    expect(slowRunningWhenFastFinished).toBe(true);
    expect(await isPending(slow)).toBe(true);
    expect(mutex.activeKeys).toEqual(['slow']);
    await slow;
  });

  it('releases the key when fn throws or rejects, and the queue behind it still runs', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const holder = mutex.runExclusive('k', () => gate.promise);
    const syncThrow = mutex.runExclusive('k', () => {
      throw new Error('sync boom');
    });
    const asyncReject = mutex.runExclusive('k', async () => {
      await sleep(1);
      throw new Error('async boom');
    });
    const after = mutex.runExclusive('k', () => 'still runs');
    gate.resolve();
    await holder;
    await expect(syncThrow).rejects.toThrow('sync boom');
    await expect(asyncReject).rejects.toThrow('async boom');
    await expect(after).resolves.toBe('still runs');
    expect(mutex.size).toBe(0);
    await expect(mutex.runExclusive('k', () => 'fresh')).resolves.toBe('fresh');
  });

  it('keeps no entry for idle keys', async () => {
    const mutex = new KeyedMutex<number>();
    const gate = deferred();
    const held = Array.from({ length: 1000 }, (_, key) => mutex.runExclusive(key, () => gate.promise));
    const queued = Array.from({ length: 1000 }, (_, key) => mutex.runExclusive(key, () => key));
    expect(mutex.size).toBe(1000);
    expect(mutex.isLocked(999)).toBe(true);
    gate.resolve();
    await Promise.all(held);
    expect(await Promise.all(queued)).toEqual(Array.from({ length: 1000 }, (_, key) => key));
    expect(mutex.size).toBe(0);
    expect(mutex.activeKeys).toEqual([]);
    expect(mutex.isLocked(999)).toBe(false);
    await Promise.allSettled(Array.from({ length: 100 }, (_, key) => mutex.runExclusive(key, () => Promise.reject(new Error('x')))));
    expect(mutex.size).toBe(0);
  });

  it('refuses a non-function with its own TypeError, without taking the key', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.runExclusive('k', 'nope' as unknown as () => void)).rejects.toThrow(TypeError);
    const error = await caught(mutex.runExclusive('k', 42 as unknown as () => number));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('fn must be a function');
    expect(mutex.size).toBe(0);
  });
});

describe('KeyedMutex: the wait in the queue is bounded (timeoutMs) and abortable (signal)', () => {
  it('a caller stuck behind a holder that never finishes gets ELOCKED after timeoutMs, and its fn never runs', async () => {
    const mutex = new KeyedMutex();
    const stuck = deferred();
    const holder = mutex.runExclusive('k', () => stuck.promise);
    let ran = false;
    const started = performance.now();
    const error = await caught(
      mutex.runExclusive('k', () => {
        ran = true;
      }, { timeoutMs: 150 }),
    );
    const waited = performance.now() - started;
    expect(isHardfsError(error, 'ELOCKED')).toBe(true);
    expect(error.message).toContain('not run within 150 ms');
    expect(error.message).toContain('held in this process');
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(5_000);
    expect(ran).toBe(false);
    expect(mutex.queued('k')).toBe(0);
    stuck.resolve();
    await holder;
    expect(mutex.size).toBe(0);
  });

  it('a timed-out waiter leaves the queue without disturbing the FIFO order of the others', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const order: string[] = [];
    const holder = mutex.runExclusive('k', () => gate.promise);
    const a = mutex.runExclusive('k', () => void order.push('a'));
    const quitter = mutex.runExclusive('k', () => void order.push('quitter'), { timeoutMs: 50 });
    const b = mutex.runExclusive('k', () => void order.push('b'), { timeoutMs: 60_000 });
    expect(mutex.queued('k')).toBe(3);
    expect(isHardfsError(await caught(quitter), 'ELOCKED')).toBe(true);
    expect(mutex.queued('k')).toBe(2);
    const c = mutex.runExclusive('k', () => void order.push('c'));
    gate.resolve();
    await Promise.all([holder, a, b, c]);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(mutex.size).toBe(0);
  });

  it('a waiter granted the key before its timeout runs normally, and its timer does not fire later', async () => {
    const mutex = new KeyedMutex();
    const holder = mutex.runExclusive('k', () => sleep(30));
    const result = await mutex.runExclusive('k', async () => {
      await sleep(150); // runs past its own timeoutMs: the bound is on the wait, not on fn
      return 'ran';
    }, { timeoutMs: 100 });
    await holder;
    expect(result).toBe('ran');
    expect(mutex.size).toBe(0);
  });

  it('timeoutMs 0 runs at once on a free key and refuses a held one', async () => {
    const mutex = new KeyedMutex();
    expect(await mutex.runExclusive('k', () => 1, { timeoutMs: 0 })).toBe(1);
    const gate = deferred();
    const holder = mutex.runExclusive('k', () => gate.promise);
    expect(isHardfsError(await caught(mutex.runExclusive('k', () => 2, { timeoutMs: 0 })), 'ELOCKED')).toBe(true);
    gate.resolve();
    await holder;
  });

  it('the timeout of one key does not start while another key is held', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const other = mutex.runExclusive('other', () => gate.promise);
    expect(await mutex.runExclusive('k', () => 'free', { timeoutMs: 1 })).toBe('free');
    gate.resolve();
    await other;
  });

  it('an abort while queued rejects with the reason, leaves the queue, and the rest still run in order', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const order: string[] = [];
    const holder = mutex.runExclusive('k', () => gate.promise);
    const controller = new AbortController();
    const aborted = mutex.runExclusive('k', () => void order.push('aborted'), { signal: controller.signal, timeoutMs: 60_000 });
    const next = mutex.runExclusive('k', () => void order.push('next'));
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(await caught(aborted)).toBe(reason);
    expect(mutex.queued('k')).toBe(1);
    gate.resolve();
    await Promise.all([holder, next]);
    expect(order).toEqual(['next']);
  });

  it('an already aborted signal rejects before taking even a free key', async () => {
    const mutex = new KeyedMutex();
    const reason = new Error('too late');
    let ran = false;
    expect(await caught(mutex.runExclusive('k', () => void (ran = true), { signal: AbortSignal.abort(reason) }))).toBe(reason);
    expect(ran).toBe(false);
    expect(mutex.size).toBe(0);
  });

  it('a real AbortSignal.timeout bounds the wait as timeoutMs does', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const holder = mutex.runExclusive('k', () => gate.promise);
    const error = await caught(mutex.runExclusive('k', () => 1, { signal: AbortSignal.timeout(50) }));
    expect(error.name).toBe('TimeoutError');
    gate.resolve();
    await holder;
    expect(mutex.size).toBe(0);
  });

  it.each([
    [{ timeoutMs: -1 }, 'timeoutMs', 'got -1'],
    [{ timeoutMs: Number.NaN }, 'timeoutMs', 'got NaN'],
    [{ timeoutMs: '5' }, 'timeoutMs', 'got string'],
    [{ signal: {} }, 'signal must be an AbortSignal', ''],
    [5, 'options must be an object', ''],
  ])('refuses options %o with a TypeError (%s %s), without taking the key', async (options, fragment, got) => {
    const mutex = new KeyedMutex();
    const error = await caught(mutex.runExclusive('k', () => 1, options as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain(fragment);
    expect(error.message).toContain(got);
    expect(mutex.size).toBe(0);
  });

  it('25 concurrent callers of one key with a generous timeout all run, once each, in order', async () => {
    const mutex = new KeyedMutex();
    const runs: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        mutex.runExclusive('k', async () => {
          runs.push(i);
          await sleep(1);
          return i;
        }, { timeoutMs: 30_000 }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(runs).toEqual(results);
  });
});
