import type { SessionEntry } from '../entry-record.js';

/**
 * The gateway's patch merge for `updateSessionStoreEntry`: the patch's fields replace the
 * entry's (a field patched to `undefined` is cleared: JSON drops it), and `updatedAt` becomes
 * the newest of the entry's, the patch's and now — a patched session counts as active, and a
 * clock step backwards never makes it look older.
 */
export function mergeSessionEntryPatch<E extends SessionEntry>(existing: E, patch: Partial<E>, now: number = Date.now()): E {
  const updatedAt = Math.max(numberOr0(existing.updatedAt), numberOr0(patch.updatedAt), now);
  return { ...existing, ...patch, updatedAt };
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
