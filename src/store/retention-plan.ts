/**
 * Which entries a retention rule removes: a pure function of the entries, the rule and the
 * clock, so it can be property-tested and shared by `prune()` and by policies run on write.
 *
 * Rules, in order:
 * - age: an entry whose timestamp is older than `now - olderThan` goes. An entry without a
 *   timestamp is kept by this rule (its age cannot be judged).
 * - count: of what is left, the `maxEntries` newest stay; entries without a timestamp count
 *   as the oldest. Ties are broken by key so the plan never depends on iteration order.
 * - protect: a protected key is never removed; it still counts toward `maxEntries`, so the
 *   store ends with at most `max(maxEntries, protected keys present)` entries.
 */
export interface RetentionRule {
  /** Milliseconds: entries older than this are removed. */
  olderThan?: number;
  /** Keep at most this many entries (the newest). */
  maxEntries?: number;
  /** Keys never removed (e.g. the session being written). */
  protect?: Iterable<string> | ((key: string) => boolean);
}

/** Which rule removes an entry: `'age'` (older than `olderThan`) or `'count'` (past `maxEntries`). */
export type RemovalReason = 'age' | 'count';

/** One key a retention plan removes (or, in `spared`, would have removed but for `protect`). */
export interface PlannedRemoval {
  /** The entry's key. */
  key: string;
  /** The rule that selected it. */
  reason: RemovalReason;
  /** The timestamp the plan judged (undefined: none). A removal is applied only if it still holds. */
  timestamp: number | undefined;
}

/** What {@link planRetention} decides; nothing is removed by making it. */
export interface RetentionPlan {
  /** The keys to remove, each with its rule. */
  remove: PlannedRemoval[];
  /** Protected keys that a rule would have removed, and which rule. */
  spared: PlannedRemoval[];
}

/** An entry's timestamp in milliseconds, or undefined when it has none (the age rule then keeps it). */
export type TimestampOf<E> = (entry: E) => number | undefined;

/** The default {@link TimestampOf}: the entry's `updatedAt` when it is a finite number, else undefined. */
export function defaultTimestamp(entry: unknown): number | undefined {
  if (entry === null || typeof entry !== 'object') return undefined;
  const updatedAt = (entry as { updatedAt?: unknown }).updatedAt;
  // Number.isFinite is false for anything that is not a number (it does not coerce).
  return Number.isFinite(updatedAt) ? (updatedAt as number) : undefined;
}

export function assertRetentionRule(rule: RetentionRule): void {
  const { olderThan, maxEntries } = rule;
  // Number.isFinite refuses NaN, the infinities and anything that is not a number.
  if (olderThan !== undefined && (!Number.isFinite(olderThan) || olderThan < 0)) {
    throw new TypeError(`olderThan must be a non-negative finite number of milliseconds, got ${String(olderThan)}`);
  }
  if (maxEntries !== undefined && (!Number.isSafeInteger(maxEntries) || maxEntries < 0)) {
    throw new TypeError(`maxEntries must be a non-negative integer, got ${String(maxEntries)}`);
  }
}

function protector(protect: RetentionRule['protect']): (key: string) => boolean {
  if (typeof protect === 'function') return protect;
  const keys = new Set(protect); // empty when protect is undefined
  return (key) => keys.has(key);
}

/**
 * Decides which `entries` the rule removes at time `now` (milliseconds), without touching
 * anything: the rules of {@link RetentionRule}, in order; the result does not depend on the
 * iteration order. A negative or non-finite `olderThan`, or a `maxEntries` that is not a
 * non-negative integer, is a TypeError.
 */
export function planRetention<E>(
  entries: Iterable<readonly [string, E]>,
  rule: RetentionRule,
  now: number,
  timestampOf: TimestampOf<E> = defaultTimestamp,
): RetentionPlan {
  assertRetentionRule(rule);
  const isProtected = protector(rule.protect);
  const remove: PlannedRemoval[] = [];
  const spared: PlannedRemoval[] = [];
  const left: { key: string; timestamp: number | undefined; isProtected: boolean }[] = [];
  // No age rule: a cutoff no timestamp is older than.
  const cutoff = now - (rule.olderThan ?? Number.POSITIVE_INFINITY);
  for (const [key, entry] of entries) {
    const timestamp = timestampOf(entry);
    const guarded = isProtected(key);
    // An entry without a timestamp is never older than the cutoff.
    if ((timestamp ?? Number.POSITIVE_INFINITY) < cutoff) {
      (guarded ? spared : remove).push({ key, reason: 'age', timestamp });
      if (!guarded) continue;
    }
    left.push({ key, timestamp, isProtected: guarded });
  }
  if (rule.maxEntries !== undefined && left.length > rule.maxEntries) {
    // Newest first; no timestamp sorts last (removed first); then by key.
    left.sort((a, b) => {
      const at = a.timestamp ?? Number.NEGATIVE_INFINITY;
      const bt = b.timestamp ?? Number.NEGATIVE_INFINITY;
      if (at !== bt) return bt - at;
      // The keys of one store are distinct, so no two items compare equal.
      return a.key < b.key ? -1 : 1;
    });
    const protectedCount = left.filter((item) => item.isProtected).length;
    let room = Math.max(0, rule.maxEntries - protectedCount);
    for (const [index, item] of left.entries()) {
      if (item.isProtected) {
        // Would it have been cut without protection? (its rank among all is past maxEntries)
        if (index >= rule.maxEntries && !spared.some((s) => s.key === item.key)) {
          spared.push({ key: item.key, reason: 'count', timestamp: item.timestamp });
        }
        continue;
      }
      if (room > 0) {
        room -= 1;
        continue;
      }
      remove.push({ key: item.key, reason: 'count', timestamp: item.timestamp });
    }
  }
  return { remove, spared };
}
