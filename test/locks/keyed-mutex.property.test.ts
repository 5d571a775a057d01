import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHardfsError } from '../../src/errors.js';
import { KeyedMutex } from '../../src/locks/keyed-mutex.js';
import { fcParams } from '../support/fc.js';

interface Task {
  key: number;
  /** Macrotask delay inside the section; 0 yields only to microtasks. */
  workMs: number;
  /** Delay before submitting the next task. */
  gapMs: number;
  fails: boolean;
}

const taskArb: fc.Arbitrary<Task> = fc.record({
  key: fc.integer({ min: 0, max: 3 }),
  workMs: fc.constantFrom(0, 0, 1, 2, 3),
  gapMs: fc.constantFrom(0, 0, 0, 1),
  fails: fc.boolean(),
});

type Event = { kind: 'start' | 'end'; task: number };

const tick = (ms: number): Promise<void> =>
  ms === 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));

describe('KeyedMutex against a model', () => {
  it('per key: never overlaps and starts in submission order; every outcome reaches its caller; nothing left behind', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(taskArb, { minLength: 1, maxLength: 25 }), async (tasks) => {
        const mutex = new KeyedMutex<number>();
        const events: Event[] = [];
        const outcomes: Array<Promise<PromiseSettledResult<number>>> = [];
        for (const [index, task] of tasks.entries()) {
          const run = mutex.runExclusive(task.key, async () => {
            events.push({ kind: 'start', task: index });
            await tick(task.workMs);
            await tick(0);
            events.push({ kind: 'end', task: index });
            if (task.fails) throw new Error(`task ${index}`);
            return index;
          });
          outcomes.push(
            run.then(
              (value) => ({ status: 'fulfilled', value }) as const,
              (reason: unknown) => ({ status: 'rejected', reason }) as const,
            ),
          );
          if (task.gapMs > 0) await tick(task.gapMs);
        }
        const settled = await Promise.all(outcomes);

        // Model: per key, a running flag and the submission-ordered list of task indices.
        const running = new Map<number, number>();
        const started = new Map<number, number[]>();
        for (const event of events) {
          const key = tasks[event.task]!.key;
          if (event.kind === 'start') {
            expect(running.has(key)).toBe(false); // no overlap on a key
            running.set(key, event.task);
            started.set(key, [...(started.get(key) ?? []), event.task]);
          } else {
            expect(running.get(key)).toBe(event.task);
            running.delete(key);
          }
        }
        for (const [key, order] of started) {
          const submitted = tasks.flatMap((task, index) => (task.key === key ? [index] : []));
          expect(order).toEqual(submitted); // FIFO, and every task ran exactly once
        }
        settled.forEach((result, index) => {
          if (tasks[index]!.fails) {
            expect(result.status).toBe('rejected');
            expect(result.status === 'rejected' && (result.reason as Error).message).toBe(`task ${index}`);
          } else {
            expect(result).toEqual({ status: 'fulfilled', value: index });
          }
        });
        expect(mutex.size).toBe(0);
      }),
      fcParams(60),
    );
  });

  it('a key whose queue is empty starts at once, even while other keys are busy', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 5 }),
        async (busyKeys, freeKey) => {
          fc.pre(!busyKeys.includes(freeKey));
          const mutex = new KeyedMutex<number>();
          let release!: () => void;
          const gate = new Promise<void>((resolve) => {
            release = resolve;
          });
          const busy = busyKeys.map((key) => mutex.runExclusive(key, () => gate));
          let ran = false;
          await mutex.runExclusive(freeKey, () => {
            ran = true;
          });
          expect(ran).toBe(true);
          expect(new Set(mutex.activeKeys)).toEqual(new Set(busyKeys));
          release();
          await Promise.all(busy);
          expect(mutex.size).toBe(0);
        },
      ),
      fcParams(),
    );
  });

  it('with queue timeouts and aborts: those that give up never run, the rest never overlap and start in submission order', async () => {
    const bounded = fc.record({
      key: fc.integer({ min: 0, max: 2 }),
      workMs: fc.constantFrom(0, 1, 2, 4),
      gapMs: fc.constantFrom(0, 0, 1),
      timeoutMs: fc.option(fc.constantFrom(0, 1, 3, 8), { nil: undefined }),
      abortAfterMs: fc.option(fc.constantFrom(0, 2, 5), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(bounded, { minLength: 1, maxLength: 20 }), async (tasks) => {
        const mutex = new KeyedMutex<number>();
        const events: Event[] = [];
        const outcomes: Array<Promise<'ran' | 'timeout' | 'abort'>> = [];
        for (const [index, task] of tasks.entries()) {
          const controller = new AbortController();
          const reason = new Error(`abort ${index}`);
          if (task.abortAfterMs !== undefined) setTimeout(() => controller.abort(reason), task.abortAfterMs);
          const run = mutex.runExclusive(
            task.key,
            async () => {
              events.push({ kind: 'start', task: index });
              await tick(task.workMs);
              events.push({ kind: 'end', task: index });
            },
            { timeoutMs: task.timeoutMs, signal: controller.signal },
          );
          outcomes.push(
            run.then(
              () => 'ran' as const,
              (error: unknown) => {
                if (error === reason) return 'abort' as const;
                expect(isHardfsError(error, 'ELOCKED')).toBe(true);
                return 'timeout' as const;
              },
            ),
          );
          if (task.gapMs > 0) await tick(task.gapMs);
        }
        const settled = await Promise.all(outcomes);
        const running = new Map<number, number>();
        const started: number[] = [];
        for (const event of events) {
          const key = tasks[event.task]!.key;
          if (event.kind === 'start') {
            expect(running.has(key)).toBe(false);
            running.set(key, event.task);
            started.push(event.task);
          } else {
            running.delete(key);
          }
        }
        // Exactly the tasks that resolved ran, each once; those that gave up never ran.
        expect([...started].sort((a, b) => a - b)).toEqual(settled.flatMap((outcome, index) => (outcome === 'ran' ? [index] : [])));
        for (const key of new Set(tasks.map((task) => task.key))) {
          const order = started.filter((index) => tasks[index]!.key === key);
          expect(order).toEqual([...order].sort((a, b) => a - b)); // FIFO among those that ran
        }
        expect(mutex.size).toBe(0);
      }),
      fcParams(60),
    );
  });
});
