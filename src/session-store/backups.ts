import { errnoCode, type SafeDir } from '../index.js';
import { BACKUP_INFIX, backupName, type StoreLayout } from './layout.js';
import { isTrustedOwner, type LeftAlone } from './ownership.js';
import { notOwned } from './legacy-file.js';

/** Backups kept by default: the newest few, older ones pruned after each migration. */
export const DEFAULT_KEEP_BACKUPS = 5;

/** How many backups of migrated legacy files a migration keeps (the rest are removed after it). */
export interface BackupRetention {
  /** Keep at most this many backups (the newest). Default 5; Infinity keeps all. */
  keepBackups?: number;
  /** Also remove backups older than this many milliseconds (by the time in their name). Default: no age limit. */
  maxBackupAgeMs?: number;
}

export interface BackupFile {
  name: string;
  /** When the migration that made it ran (from the name). */
  time: number;
}

/**
 * Moves the legacy file to `<name>.bak.<ISO time with '-' for ':'>` (`.N` appended if taken),
 * byte-identical. link + unlink: an existing backup is never overwritten.
 */
export async function backUpLegacy(parent: SafeDir, layout: StoreLayout): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    const name = backupName(layout.legacyName, new Date()) + (attempt === 0 ? '' : `.${attempt}`);
    try {
      await parent.renameNoReplace(layout.legacyName, name);
      await parent.sync();
      return `${parent.path}/${name}`;
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST' || attempt >= 100) throw error;
    }
  }
}

/** The time a backup name carries, or undefined when the name is not one of our backups. */
export function backupTime(legacyName: string, name: string): number | undefined {
  const prefix = `${legacyName}${BACKUP_INFIX}`;
  if (!name.startsWith(prefix)) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2}\.\d{3}Z)(?:\.(\d{1,3}))?$/.exec(name.slice(prefix.length));
  if (match === null) return undefined;
  const time = Date.parse(`${match[1]}:${match[2]}:${match[3]}`);
  return Number.isFinite(time) ? time : undefined;
}

/** The store's backups beside it, oldest first; ones owned by another user are returned apart. */
export async function listBackups(parent: SafeDir, layout: StoreLayout): Promise<{ own: BackupFile[]; foreign: LeftAlone[] }> {
  const own: BackupFile[] = [];
  const foreign: LeftAlone[] = [];
  for (const entry of await parent.entries()) {
    const time = backupTime(layout.legacyName, entry.name);
    if (time === undefined) continue;
    let stats;
    try {
      stats = await parent.lstat(entry.name);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue;
      throw error;
    }
    if (!isTrustedOwner(stats)) {
      foreign.push(notOwned(`${parent.path}/${entry.name}`, stats.uid));
      continue;
    }
    if (stats.isFile()) own.push({ name: entry.name, time });
  }
  // The name sorts by time; the .N suffix breaks ties in creation order.
  own.sort((a, b) => a.time - b.time || suffixOf(a.name) - suffixOf(b.name));
  return { own, foreign };
}

function suffixOf(name: string): number {
  const match = /\.(\d{1,3})$/.exec(name);
  return match === null ? 0 : Number(match[1]);
}

export function resolveRetention(retention: BackupRetention): { keep: number; maxAgeMs: number } {
  const keep = retention.keepBackups ?? DEFAULT_KEEP_BACKUPS;
  if (typeof keep !== 'number' || Number.isNaN(keep) || keep < 1 || (Number.isFinite(keep) && !Number.isSafeInteger(keep))) {
    throw new TypeError(`keepBackups must be a positive integer or Infinity, got ${String(keep)}`);
  }
  const maxAgeMs = retention.maxBackupAgeMs ?? Number.POSITIVE_INFINITY;
  if (typeof maxAgeMs !== 'number' || Number.isNaN(maxAgeMs) || maxAgeMs < 0) {
    throw new TypeError(`maxBackupAgeMs must be a non-negative number, got ${String(maxAgeMs)}`);
  }
  return { keep, maxAgeMs };
}

/**
 * Removes the store's own backups past the retention: beyond the newest `keepBackups`, and
 * older than `maxBackupAgeMs`. The newest backup is always kept, whatever the age limit: it
 * is the one copy of what the last migration did not migrate. Only regular files owned by the
 * store's owner and named exactly as a backup are removed (an unlink of the name, which in a
 * directory others cannot write to, or a sticky one, only the owner could have replaced).
 * Resolves to the paths removed.
 */
export async function pruneBackups(
  parent: SafeDir,
  layout: StoreLayout,
  retention: BackupRetention,
  now = Date.now(),
): Promise<string[]> {
  const { keep, maxAgeMs } = resolveRetention(retention);
  const { own } = await listBackups(parent, layout);
  const removed: string[] = [];
  for (const [index, backup] of own.entries()) {
    const newerCount = own.length - 1 - index;
    if (newerCount === 0) break;
    if (newerCount < keep && now - backup.time <= maxAgeMs) continue;
    try {
      await parent.unlink(backup.name);
      removed.push(`${parent.path}/${backup.name}`);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
  return removed;
}
