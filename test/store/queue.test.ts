// In-process contenders for a key (issue 10 items 14, 15; issue 12 guarantee 2): they queue FIFO
// before their mutator runs, each mutator runs once, and lockTimeoutMs bounds the whole wait.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { ALL_KEYS, WriteQueue } from '../../src/store/write-queue.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

async function freshStore(options: Parameters<typeof openStore>[1] = {}): Promise<Store<{ n: number; by?: string[] }>> {
  return openStore(join(await tempDir(), 'store'), { fsync: false, ...options });
}

describe('one key, many callers in one process', () => {
  it('25 concurrent updateMany and update calls on one key all succeed and each mutator runs once', async () => {
    const store = await freshStore();
    await store.update('k', () => ({ n: 0 }));
    const runs = new Map<number, number>();
    const calls = Array.from({ length: 25 }, (_, i) => {
      const count = (): void => void runs.set(i, (runs.get(i) ?? 0) + 1);
      return i % 2 === 0
        ? store.updateMany((record) => {
            count();
            const current = record['k'] as { n: number };
            record['k'] = { n: current.n + 1 };
          })
        : store.update('k', (current) => {
            count();
            return { n: (current?.n ?? 0) + 1 };
          });
    });
    const results = await Promise.allSettled(calls);
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect([...runs.values()]).toEqual(Array.from({ length: 25 }, () => 1));
    expect(await store.get('k')).toEqual({ n: 25 });
    await store.close();
  });

  it('callers of one key run their mutators in arrival order (FIFO), whatever the mix of update and updateMany', async () => {
    const store = await freshStore();
    const order: number[] = [];
    let unblock!: () => void;
    const gate = new Promise<void>((resolve) => (unblock = resolve));
    const first = store.update('k', async () => {
      order.push(0);
      await gate;
      return { n: 0 };
    });
    const rest = Array.from({ length: 8 }, (_, i) =>
      i % 3 === 0
        ? store.updateMany((record) => {
            order.push(i + 1);
            record['k'] = { n: i + 1 };
          })
        : store.update('k', () => {
            order.push(i + 1);
            return { n: i + 1 };
          }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([0]); // nobody overtook the one holding the key
    unblock();
    await Promise.all([first, ...rest]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await store.get('k')).toEqual({ n: 8 });
    await store.close();
  });

  it('lockTimeoutMs bounds the wait in the in-process queue: ELOCKED, and the waiting mutator never runs', async () => {
    const store = await freshStore({ lockTimeoutMs: 150 });
    let unblock!: () => void;
    const stuck = store.update('k', () => new Promise<{ n: number }>((resolve) => (unblock = () => resolve({ n: 1 }))));
    await new Promise((resolve) => setTimeout(resolve, 10));
    let ran = 0;
    const started = Date.now();
    const waiting = [
      caught(store.update('k', () => (ran += 1, { n: 2 }))),
      caught(store.updateMany(() => void (ran += 1))),
      caught(store.delete('k')),
    ];
    const errors = await Promise.all(waiting);
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const error of errors) {
      expect(error.code).toBe('ELOCKED');
      expect(error.message).toContain('lockTimeoutMs bounds the whole wait');
      expect(error.path).toBe(store.path);
    }
    expect(ran).toBe(0);
    unblock();
    await stuck;
    expect(await store.get('k')).toEqual({ n: 1 });
    await store.close();
  });

  it('a per-call timeoutMs overrides lockTimeoutMs for that call only', async () => {
    const store = await freshStore({ lockTimeoutMs: 60_000 });
    let unblock!: () => void;
    const stuck = store.update('k', () => new Promise<{ n: number }>((resolve) => (unblock = () => resolve({ n: 1 }))));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const error = await caught(store.update('k', () => ({ n: 2 }), { timeoutMs: 50 }));
    expect(error.code).toBe('ELOCKED');
    unblock();
    await stuck;
    expect(await store.update('k', (current) => ({ n: (current?.n ?? 0) + 1 }))).toEqual({ n: 2 });
    await store.close();
  });

  it('updates of distinct keys do not queue behind each other', async () => {
    const store = await freshStore();
    let unblock!: () => void;
    const stuck = store.update('a', () => new Promise<{ n: number }>((resolve) => (unblock = () => resolve({ n: 1 }))));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await store.update('b', () => ({ n: 2 }))).toEqual({ n: 2 });
    unblock();
    await stuck;
    await store.close();
  });
});

describe('the write queue itself', () => {
  const PATH = '/store';
  const LONG = 60_000;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  /** Whether `promise` has settled, after the microtasks queued so far. */
  async function settled(promise: Promise<unknown>): Promise<boolean> {
    let done = false;
    void promise.then(
      () => (done = true),
      () => (done = true),
    );
    await sleep(0);
    return done;
  }

  it('a claim overlapping an earlier one in any key waits; a later claim of a free key waits only if it overlaps a waiting one', async () => {
    const queue = new WriteQueue();
    const releaseA = await queue.acquire(['a'], LONG, PATH);
    const ab = queue.acquire(['a', 'b'], LONG, PATH);
    const b = queue.acquire(['b'], LONG, PATH);
    const c = await queue.acquire(['c'], LONG, PATH); // overlaps nothing: granted at once
    expect(await settled(ab)).toBe(false);
    expect(await settled(b)).toBe(false); // b is free, but the waiting [a, b] came first
    expect(queue.size).toBe(4);
    releaseA();
    const releaseAB = await ab;
    expect(await settled(b)).toBe(false);
    releaseAB();
    (await b)();
    c();
    expect(queue.size).toBe(0);
  });

  it('ALL_KEYS waits for every earlier claim and holds back every later one', async () => {
    const queue = new WriteQueue();
    const releaseA = await queue.acquire(['a'], LONG, PATH);
    const all = queue.acquire(ALL_KEYS, LONG, PATH);
    const z = queue.acquire(['z'], LONG, PATH);
    expect(await settled(all)).toBe(false);
    expect(await settled(z)).toBe(false);
    releaseA();
    const releaseAll = await all;
    expect(await settled(z)).toBe(false);
    releaseAll();
    (await z)();
    expect(queue.size).toBe(0);
  });

  it('a claim granted at once and held past its own timeoutMs keeps its keys: the next caller still waits', async () => {
    const queue = new WriteQueue();
    const release = await queue.acquire(['k'], 20, PATH);
    await sleep(120); // well past the claim's timeoutMs: its wait is over, its hold is not
    expect(queue.size).toBe(1);
    const next = queue.acquire(['k'], LONG, PATH);
    await sleep(120);
    expect(await settled(next)).toBe(false);
    expect(queue.size).toBe(2);
    release();
    (await next)();
  });

  it('a claim granted after waiting and held past its own timeoutMs keeps its keys too', async () => {
    const queue = new WriteQueue();
    const first = await queue.acquire(['k'], LONG, PATH);
    const second = queue.acquire(['k'], 20, PATH);
    const third = queue.acquire(['k'], LONG, PATH);
    first();
    const releaseSecond = await second;
    await sleep(120);
    expect(await settled(third)).toBe(false);
    releaseSecond();
    (await third)();
    expect(queue.size).toBe(0);
  });

  it('releasing twice releases only the caller’s own claim', async () => {
    const queue = new WriteQueue();
    const releaseA = await queue.acquire(['k'], LONG, PATH);
    const b = queue.acquire(['k'], LONG, PATH);
    releaseA();
    const releaseB = await b;
    releaseA();
    expect(queue.size).toBe(1);
    const c = queue.acquire(['k'], LONG, PATH);
    expect(await settled(c)).toBe(false);
    releaseB();
    (await c)();
    expect(queue.size).toBe(0);
  });

  it('a claim that times out is ELOCKED naming the path, withdrawn, and lets the claims behind it go', async () => {
    const queue = new WriteQueue();
    const release = await queue.acquire(['a'], LONG, PATH);
    const timedOut = caught(queue.acquire(['a', 'b'], 30, PATH));
    const b = queue.acquire(['b'], LONG, PATH);
    const error = await timedOut;
    expect(error.code).toBe('ELOCKED');
    expect(error.path).toBe(PATH);
    expect(error.message).toContain('waited 30 ms');
    (await b)();
    expect(queue.size).toBe(1);
    release();
    expect(queue.size).toBe(0);
  });
});
