/** Temp and lock files older than this are leftovers of a crash (the store uses the same 60 s). */
export const STALE_AFTER_MS = 60_000;

/** "45s", "3m 2s", "5h 0m", "2d 3h": coarse enough to read at a glance. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** An epoch-milliseconds timestamp as ISO 8601, or null when it is not a valid date. */
export function isoOrNull(ms: unknown): string | null {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
