import { setTimeout as sleepTimer } from 'node:timers/promises';
import { errnoCode } from '../errors.js';
import { renameRetrySeam } from './fault-seam.js';

/**
 * On Windows a rename over a file that another process holds open (an antivirus scanner, a
 * search indexer, a reader without FILE_SHARE_DELETE) fails with EPERM, EBUSY or EACCES for as
 * long as that handle stays open. Those codes — and only those, and only on Windows — are
 * retried with jittered exponential backoff for at most RENAME_RETRY_BOUND_MS in total; then
 * the last error is thrown unchanged. Every other error, and every error elsewhere, is thrown
 * at once. A process that holds the file open for longer than the bound still wins.
 */
export const RENAME_RETRY_BOUND_MS = 2000;
const FIRST_DELAY_MS = 5;
const MAX_DELAY_MS = 250;
// `undefined` (an error without a code) is simply not a member.
const RETRIED: ReadonlySet<string | undefined> = new Set(['EPERM', 'EBUSY', 'EACCES']);

/** The delays (ms) the retry sleeps between attempts, summing to at most the bound. */
export function* retryDelays(random: () => number): Generator<number> {
  let spent = 0;
  let ceiling = FIRST_DELAY_MS;
  while (spent < RENAME_RETRY_BOUND_MS) {
    // Full jitter over [ceiling/2, ceiling): writers that collided do not retry in lockstep.
    const delay = Math.min(Math.ceil(ceiling / 2 + random() * (ceiling / 2)), RENAME_RETRY_BOUND_MS - spent);
    spent += delay;
    yield delay;
    ceiling = Math.min(ceiling * 2, MAX_DELAY_MS);
  }
}

function retried(error: unknown): boolean {
  return RETRIED.has(errnoCode(error));
}

export async function renameWithRetry(rename: () => Promise<void>): Promise<void> {
  if (!renameRetrySeam.enabled) return rename();
  const sleep = renameRetrySeam.sleep ?? ((ms: number) => sleepTimer(ms).then(() => undefined));
  const delays = retryDelays(renameRetrySeam.random ?? Math.random);
  for (;;) {
    try {
      await rename(); return;
    } catch (error) {
      const next = retried(error) ? delays.next() : undefined;
      if (next === undefined || next.done === true) throw error;
      await sleep(next.value);
    }
  }
}

const blocker = new Int32Array(new SharedArrayBuffer(4));

export function renameWithRetrySync(rename: () => void): void {
  if (!renameRetrySeam.enabled) { rename(); return; }
  const sleep = renameRetrySeam.sleepSync ?? ((ms: number) => void Atomics.wait(blocker, 0, 0, ms));
  const delays = retryDelays(renameRetrySeam.random ?? Math.random);
  for (;;) {
    try {
      rename(); return;
    } catch (error) {
      const next = retried(error) ? delays.next() : undefined;
      if (next === undefined || next.done === true) throw error;
      sleep(next.value);
    }
  }
}
