import { HardfsError } from '../index.js';

/** A claim on every key of the store (updateMany, prune: their keys are unknown beforehand). */
export const ALL_KEYS = Symbol('all keys');
export type KeyClaim = readonly string[] | typeof ALL_KEYS;

interface Waiter {
  readonly claim: KeyClaim;
  readonly grant: () => void;
  granted: boolean;
}

/**
 * The in-process queue of writers of one store: a caller claims the keys its mutator may touch
 * (or ALL_KEYS) before the mutator runs, and claims that overlap are granted strictly in
 * arrival order (FIFO), so an in-process contender never runs its mutator on data another
 * in-process writer is about to change — mutators run once, and optimistic re-runs are left
 * for other processes. Claims that do not overlap run together.
 *
 * (KeyedMutex in the locks layer gains FIFO and a whole-wait timeout of its own; this queue is
 * kept because it also needs claims of every key at once.)
 */
export class WriteQueue {
  readonly #waiters: Waiter[] = [];

  /**
   * Resolves to a release function once the claim is granted. Waiting longer than
   * `timeoutMs` is ELOCKED (the claim is withdrawn, nothing ran).
   */
  acquire(claim: KeyClaim, timeoutMs: number, path: string): Promise<() => void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        claim,
        granted: false,
        grant: () => {
          clearTimeout(timer); // undefined when granted at once: nothing to clear
          // Releasing twice is harmless: the second #remove finds nothing to remove.
          resolve(() => {
            this.#remove(waiter);
          });
        },
      };
      this.#waiters.push(waiter);
      this.#pump();
      if (!waiter.granted) {
        // Granted later, the waiter clears this timer (grant): it only ever fires for a waiter
        // still waiting.
        timer = setTimeout(() => {
          this.#remove(waiter);
          reject(
            new HardfsError(
              'ELOCKED',
              `waited ${timeoutMs} ms in this process's queue for ${claim === ALL_KEYS ? 'the store' : 'the key'} (lockTimeoutMs bounds the whole wait)`,
              { path },
            ),
          );
        }, timeoutMs);
        timer.unref();
      }
    });
  }

  /** Claims waiting or running (for tests and diagnostics). */
  get size(): number {
    return this.#waiters.length;
  }

  #remove(waiter: Waiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
    this.#pump();
  }

  // Grants, in order, every waiter whose claim overlaps no earlier claim (granted or waiting):
  // a later claim never overtakes an earlier one it conflicts with.
  #pump(): void {
    const earlier = new Set<string>();
    let any = false;
    for (const waiter of this.#waiters) {
      const claim = waiter.claim;
      const conflicts = claim === ALL_KEYS ? any : claim.some((key) => earlier.has(key));
      if (!waiter.granted && !conflicts) {
        waiter.granted = true;
        waiter.grant();
      }
      if (claim === ALL_KEYS) break; // nothing after it can be granted
      for (const key of claim) earlier.add(key);
      any = true;
    }
  }
}
