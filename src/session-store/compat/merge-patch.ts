import type { SessionEntry } from '../entry-record.js';

/**
 * The gateway's patch merge for `updateSessionStoreEntry`: the patch's fields replace the
 * entry's, a field patched to `undefined` is removed (the gateway's JSON file dropped it; the
 * store refuses `undefined` rather than drop it silently), and `updatedAt` becomes
 * the newest of the entry's, the patch's and now — a patched session counts as active, and a
 * clock step backwards never makes it look older.
 */
export function mergeSessionEntryPatch<E extends SessionEntry>(existing: E, patch: Partial<E>, now: number = Date.now()): E {
  const updatedAt = Math.max(numberOr0(existing.updatedAt), numberOr0(patch.updatedAt), now);
  const merged: Record<string, unknown> = { ...existing, ...patch, updatedAt };
  for (const [field, value] of Object.entries(patch)) if (value === undefined && field !== 'updatedAt') Reflect.deleteProperty(merged, field);
  return merged as E;
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
