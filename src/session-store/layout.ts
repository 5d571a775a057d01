import { basename, dirname, resolve } from 'node:path';
import { HardfsError, assertSingleComponent, isSingleComponent } from '../index.js';

/** Names inside and beside a store directory (DESIGN.md, "Session store — contract"). */
export const STORE_DIR_SUFFIX = '.d';
export const STAGING_SUFFIX = '.d.migrating';
export const STAMP_FILE = '.stamp';
export const SNAPSHOT_FILE = '.snapshot';
export const LOCKS_DIR = '.locks';
export const QUARANTINE_DIR = '.quarantine';
export const ENTRY_SUFFIX = '.json';
export const BACKUP_INFIX = '.bak.';

export interface StoreLayout {
  /** Absolute legacy path, e.g. /state/agents/a/sessions/sessions.json. */
  storePath: string;
  /** Directory holding the legacy file and the store directory. */
  parentPath: string;
  /** Legacy file name, e.g. sessions.json. */
  legacyName: string;
  /** Store directory name, e.g. sessions.d. */
  dirName: string;
  /** Migration staging directory name, e.g. sessions.d.migrating. */
  stagingName: string;
  /** Lock (in the parent) that serializes migrations of this store across processes. */
  migrationLockName: string;
}

export function storeLayout(storePath: string): StoreLayout {
  if (typeof storePath !== 'string' || storePath.length === 0) {
    throw new HardfsError('EBADNAME', 'store path must be a non-empty string');
  }
  const absolute = resolve(storePath);
  const legacyName = basename(absolute);
  assertSingleComponent(legacyName, 'store file name');
  const stem = legacyName.endsWith('.json') ? legacyName.slice(0, -'.json'.length) : legacyName;
  if (stem.length === 0) throw new HardfsError('EBADNAME', 'store file name has an empty stem', { path: absolute });
  return {
    storePath: absolute,
    parentPath: dirname(absolute),
    legacyName,
    dirName: `${stem}${STORE_DIR_SUFFIX}`,
    stagingName: `${stem}${STAGING_SUFFIX}`,
    migrationLockName: `.${stem}.migrate.lock`,
  };
}

export function isEntryFileName(name: string): boolean {
  return name.endsWith(ENTRY_SUFFIX) && !name.startsWith('.') && name.length > ENTRY_SUFFIX.length;
}

/** An entry file name that is also safe to open: what a change record or a lock name may name. */
export function isSafeEntryFileName(name: string): boolean {
  return isEntryFileName(name) && isSingleComponent(name);
}

export function backupName(legacyName: string, now: Date): string {
  // Colons are not portable in file names (Windows); keep an ISO-like sortable stamp.
  const stamp = now.toISOString().replaceAll(':', '-');
  return `${legacyName}${BACKUP_INFIX}${stamp}`;
}
