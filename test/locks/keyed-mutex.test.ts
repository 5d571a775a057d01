import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../../src/locks/keyed-mutex.js';
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

  it('refuses a non-function without taking the key', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.runExclusive('k', 'nope' as unknown as () => void)).rejects.toThrow(TypeError);
    expect(mutex.size).toBe(0);
  });
});
