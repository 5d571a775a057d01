import type { BigIntStats, Stats } from 'node:fs';

/**
 * Who may own what the store and its migration read or remove beside the store directory (the
 * legacy file, its lock, the staging directory, backups): the store's owner — the user this
 * process runs as, which openDir's policy already requires of the store directory itself — or
 * root. A parent that other users can write to (a sticky world-writable directory, which
 * openDir accepts) lets them plant files there; those are reported and left alone, never read,
 * merged or removed. On Windows the uid is synthetic: ownership is not judged there.
 */
export function isTrustedOwner(stats: Stats | BigIntStats): boolean {
  /* v8 ignore next -- Windows only (no getuid there) */
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return true;
  const owner = Number(stats.uid);
  return owner === process.getuid() || owner === 0;
}

/** Something found beside the store that is not trusted, or not usable, and was left alone. */
export interface LeftAlone {
  /** Absolute path of the file or directory. */
  path: string;
  /** Why it was left alone (stable fragment first: "not owned by the store's owner", …). */
  reason: string;
  /** Its owner's uid, when that is why. */
  ownerUid?: number;
}
