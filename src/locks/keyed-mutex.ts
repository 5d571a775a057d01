/**
 * In-process mutual exclusion per key.
 *
 * Each key that is held has exactly one entry in the map: the queue of callers waiting for it.
 * The entry exists only while the key is held, so an idle key costs nothing and the map cannot
 * grow with the number of keys ever used. Release hands the key straight to the oldest waiter
 * (ownership transfer, no barging), which is what makes the order FIFO: a caller arriving while
 * the hand-over is in flight sees the key as held and queues behind.
 */
export class KeyedMutex<K = string> {
  readonly #waiters = new Map<K, Array<() => void>>();

  /**
   * Runs `fn` once every earlier caller for `key` has finished, and resolves or rejects with its
   * outcome. A throw or rejection in `fn` releases the key like a normal return does, so one
   * failing task never blocks or poisons the tasks queued behind it. Not reentrant: calling
   * runExclusive for the same key from inside `fn` waits for itself forever.
   */
  async runExclusive<T>(key: K, fn: () => T | PromiseLike<T>): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError('fn must be a function');
    const queue = this.#waiters.get(key);
    if (queue === undefined) {
      this.#waiters.set(key, []);
    } else {
      await new Promise<void>((resume) => {
        queue.push(resume);
      });
    }
    try {
      return await fn();
    } finally {
      this.#release(key);
    }
  }

  /** Whether `key` is held right now (by a running task, possibly with others queued). */
  isLocked(key: K): boolean {
    return this.#waiters.has(key);
  }

  /** Number of keys held right now. Zero once every task has settled: idle keys leave nothing behind. */
  get size(): number {
    return this.#waiters.size;
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
      next();
    }
  }
}
