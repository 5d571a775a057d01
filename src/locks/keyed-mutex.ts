import { HardfsError } from '../errors.js';

/** Options of KeyedMutex#runExclusive; a negative or NaN `timeoutMs` is a TypeError. */
export interface RunExclusiveOptions {
  /**
   * Give up with HardfsError('ELOCKED') if `fn` has not started within this many milliseconds
   * (the time spent queued behind earlier callers of the key). 0: run only if the key is free
   * now. Default: wait as long as it takes.
   */
  timeoutMs?: number | undefined;
  /** Aborting while queued leaves the queue and rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

interface Waiter {
  /** Hands the key to this waiter: called by the release of the task ahead of it. */
  grant(): void;
}

function validate(options: unknown): { timeoutMs: number; signal: AbortSignal | undefined } {
  if (options === undefined) return { timeoutMs: Infinity, signal: undefined };
  if (typeof options !== 'object' || options === null) throw new TypeError('runExclusive options must be an object');
  const { timeoutMs, signal } = options as Record<string, unknown>;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0)) {
    throw new TypeError(`timeoutMs must be a non-negative number of milliseconds, got ${typeof timeoutMs === 'number' ? timeoutMs : typeof timeoutMs}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  return { timeoutMs: timeoutMs ?? Infinity, signal };
}

/**
 * In-process mutual exclusion per key.
 *
 * Each key that is held has exactly one entry in the map: the queue of callers waiting for it.
 * The entry exists only while the key is held, so an idle key costs nothing and the map cannot
 * grow with the number of keys ever used. Release hands the key straight to the oldest waiter
 * (ownership transfer, no barging), which is what makes the order FIFO: a caller arriving while
 * the hand-over is in flight sees the key as held and queues behind. A waiter that times out or
 * is aborted leaves the queue without disturbing the order of the others.
 *
 * To bound a whole wait that continues after the queue (the store: the in-process queue, then
 * the key's lock file), compute one deadline, pass what is left of it as `timeoutMs` here and
 * what is left when `fn` starts to the next wait.
 *
 * @example
 * ```ts
 * const mutex = new KeyedMutex();
 * // Two updates of the same session never interleave; other sessions are not held up.
 * await Promise.all([
 *   mutex.runExclusive('session-1', () => bump('session-1')),
 *   mutex.runExclusive('session-1', () => bump('session-1'), { timeoutMs: 5_000 }),
 * ]);
 * ```
 */
export class KeyedMutex<K = string> {
  readonly #waiters = new Map<K, Waiter[]>();

  /**
   * Runs `fn` once every earlier caller for `key` has finished, and resolves or rejects with its
   * outcome. A throw or rejection in `fn` releases the key like a normal return does, so one
   * failing task never blocks or poisons the tasks queued behind it. Not reentrant: calling
   * runExclusive for the same key from inside `fn` waits for itself (until its timeout).
   *
   * Rejects with HardfsError('ELOCKED') if `fn` has not started within `timeoutMs`, and with the
   * signal's reason if `signal` aborts first; `fn` then never runs. A non-function `fn` is a
   * TypeError.
   *
   * @example
   * ```ts
   * const saved = await mutex.runExclusive(key, async () => {
   *   const entry = await load(key);
   *   entry.count += 1;
   *   await save(key, entry);
   *   return entry;
   * }, { timeoutMs: 2_000 });
   * ```
   */

  async runExclusive<T>(key: K, fn: () => T | PromiseLike<T>, options?: RunExclusiveOptions): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError('fn must be a function');
    const { timeoutMs, signal } = validate(options);
    signal?.throwIfAborted();
    const queue = this.#waiters.get(key);
    if (queue === undefined) {
      this.#waiters.set(key, []);
    } else {
      await this.#wait(queue, timeoutMs, signal);
    }
    try {
      return await fn();
    } finally {
      this.#release(key);
    }
  }

  #wait(queue: Waiter[], timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (): void => {
        queue.splice(queue.indexOf(waiter), 1);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        leave();
        // The signal's reason is passed through as is, as node:timers/promises does.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant() {
          // The release that calls this has already taken the waiter out of the queue.
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      queue.push(waiter);
      if (Number.isFinite(timeoutMs)) {
        // Not unref'd: a caller waiting for a key has work left to do (as abortable-sleep.ts).
        timer = setTimeout(() => {
          const ahead = queue.indexOf(waiter);
          leave();
          reject(
            new HardfsError(
              'ELOCKED',
              `not run within ${timeoutMs} ms: the key is held in this process (${ahead} other callers were queued ahead)`,
            ),
          );
        }, timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Whether `key` is held right now (by a running task, possibly with others queued). */
  isLocked(key: K): boolean {
    return this.#waiters.has(key);
  }

  /** Number of keys held right now. Zero once every task has settled: idle keys leave nothing behind. */
  get size(): number {
    return this.#waiters.size;
  }

  /** Number of callers queued behind the running task of `key` (0 when free or merely held). */
  queued(key: K): number {
    return this.#waiters.get(key)?.length ?? 0;
  }

  /** The keys held right now (a snapshot, for tests and diagnostics). */
  get activeKeys(): K[] {
    return [...this.#waiters.keys()];
  }

  #release(key: K): void {
    const queue = this.#waiters.get(key);
    const next = queue?.shift();
    if (next === undefined) {
      this.#waiters.delete(key);
    } else {
      next.grant();
    }
  }
}
