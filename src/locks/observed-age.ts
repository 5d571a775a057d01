import { performance } from 'node:perf_hooks';

/**
 * How long this process has itself seen a lock file unchanged — the age of a lock measured on
 * our own monotonic clock instead of the file's mtime.
 *
 * Why it exists: a lock's age is normally `now - mtime`, and a live holder keeps the mtime
 * fresh (the heartbeat). But an mtime in the future (a holder on a host whose clock runs ahead,
 * a clock stepped back after the lock was written, a planted `touch -d 2099`) makes that age
 * negative for as long as the future lasts: an abandoned lock would block every acquirer for
 * hours or forever. Clamping the mtime to "now" would not help (the age would stay 0 forever).
 *
 * What is measured instead is the one thing a heartbeat must change: a live holder rewrites the
 * mtime every staleMs/4 through its descriptor, and every such write also moves the ctime
 * (which the kernel sets from its own clock, whatever time was written). So if the file at a
 * name keeps the same identity, size, mtime, ctime and content for longer than staleMs by our
 * own clock, nobody has beaten it for staleMs — it is abandoned by the same contract as an old
 * mtime, and no skew between any two clocks enters the judgment. The judged age is the larger
 * of the two measures; neither can make a heartbeating lock look older than the time since its
 * last beat.
 *
 * The table is per process, so that successive acquirers (each with a timeout shorter than
 * staleMs, as a store's commits may be) add up their observations. It is bounded: the oldest
 * observation is forgotten first, which can only make a lock look younger, never older.
 */

/** Everything about a lock file that a heartbeat, a rewrite or a replacement would change. */
export interface LockFingerprint {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** The record's bytes, as read (at most a few KiB). */
  content: string;
}

interface Observation {
  fingerprint: string;
  firstSeen: number;
}

const MAX_OBSERVATIONS = 1024;
const observations = new Map<string, Observation>();

function keyOf(print: LockFingerprint): string {
  return `${print.dev}:${print.ino}`;
}

function textOf(print: LockFingerprint): string {
  return `${print.size}:${print.mtimeNs}:${print.ctimeNs}:${print.content}`;
}

/**
 * Records that the file `print` describes was seen now, and returns for how many milliseconds
 * (by this process's monotonic clock) it has been seen with exactly this fingerprint: 0 the
 * first time, or whenever anything in it changed since the last look.
 */
export function observeUnchanged(print: LockFingerprint, now: number = performance.now()): number {
  const key = keyOf(print);
  const text = textOf(print);
  const known = observations.get(key);
  if (known !== undefined && known.fingerprint === text) return Math.max(0, now - known.firstSeen);
  // Re-inserted at the end: the Map's order is then the order of last change, oldest first.
  observations.delete(key);
  observations.set(key, { fingerprint: text, firstSeen: now });
  if (observations.size > MAX_OBSERVATIONS) {
    const oldest = observations.keys().next().value;
    // Stryker disable next-line ConditionalExpression: the map is over its bound here, so it has a first key
    if (oldest !== undefined) observations.delete(oldest);
  }
  return 0;
}

/** Number of lock files this process is tracking (for tests of the bound). */
export function observedCount(): number {
  return observations.size;
}
