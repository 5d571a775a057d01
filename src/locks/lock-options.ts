/** Options of acquireFileLock and withFileLock. */
export interface FileLockOptions {
  /**
   * A lock whose heartbeat (the lock file's mtime) is older than this many milliseconds is
   * considered abandoned and may be taken over. Must exceed the longest pause the holder's event
   * loop can suffer (the heartbeat is a timer), plus clock skew between hosts sharing the
   * directory. Default 10 000.
   */
  staleMs?: number;
  /** Give up with HardfsError('ELOCKED') after waiting this many milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** Aborting stops the wait and rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

export interface ResolvedLockOptions {
  staleMs: number;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** How old an unreadable record must be before it is judged abandoned. */
  graceMs: number;
  /** Heartbeat period: several beats per staleMs, so one late timer does not make a live lock look stale. */
  heartbeatMs: number;
}

/** FileLockOptions.staleMs when not given: 10 000 ms. */
export const DEFAULT_STALE_MS = 10_000;
/** FileLockOptions.timeoutMs when not given: 10 000 ms. */
export const DEFAULT_TIMEOUT_MS = 10_000;


/**
 * A holder writes its record right after creating the file, so an unreadable record older than
 * this has no writer coming. Short, so a crash there costs little; capped by staleMs so that a
 * small staleMs is never undercut by it.
 */
const UNREADABLE_GRACE_MS = 2_000;

function positiveFinite(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive finite number of milliseconds, got ${typeof value === 'number' ? value : typeof value}`);
  }
  return value;
}

export function resolveLockOptions(options: unknown): ResolvedLockOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('lock options must be an object');
  }
  const { staleMs: rawStale, timeoutMs: rawTimeout, signal } = options as Record<string, unknown>;
  const staleMs = positiveFinite(rawStale, 'staleMs', DEFAULT_STALE_MS);
  const timeoutMs = positiveFinite(rawTimeout, 'timeoutMs', DEFAULT_TIMEOUT_MS);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError('signal must be an AbortSignal');
  }
  return {
    staleMs,
    timeoutMs,
    signal,
    graceMs: Math.min(staleMs, UNREADABLE_GRACE_MS),
    heartbeatMs: Math.max(1, Math.floor(staleMs / 4)),
  };
}
