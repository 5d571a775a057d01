import { basename, dirname, resolve } from 'node:path';
import { HardfsError, assertSingleComponent } from '../index.js';

/** Names beside a session store directory (DESIGN.md, "Store — contract"): the legacy vocabulary. */
export const STORE_DIR_SUFFIX = '.d';
/** Suffix of a migration's staging directory beside the store (`sessions.d.migrating`): removed or finished by the next run. */
export const STAGING_SUFFIX = '.d.migrating';
export const BACKUP_INFIX = '.bak.';
// The names inside the store directory belong to hardfs/store; re-exported for existing importers.
export { CHANGES_FILE, LEGACY_CHANGES_FILE, SNAPSHOT_FILE, LOCKS_DIR, QUARANTINE_DIR, ENTRY_SUFFIX } from '../store/layout.js';
export { isEntryFileName, isSafeEntryFileName } from '../store/layout.js';
/** @deprecated The change log is `.changes` now (CHANGES_FILE); `.stamp` is LEGACY_CHANGES_FILE. */
export { CHANGES_FILE as STAMP_FILE } from '../store/layout.js';

/** The names a session store uses beside its legacy path (see {@link storeLayout}). */
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

/**
 * The layout named by a legacy store path: `/s/sessions.json` gives the directory
 * `/s/sessions.d`, staging `/s/sessions.d.migrating` and lock `/s/.sessions.migrate.lock`.
 * Touches nothing. EBADNAME for an empty path or a file name that is not one usable component
 * or has an empty stem (`.json`).
 */
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

export function backupName(legacyName: string, now: Date): string {
  // Colons are not portable in file names (Windows); keep an ISO-like sortable stamp.
  const stamp = now.toISOString().replaceAll(':', '-');
  return `${legacyName}${BACKUP_INFIX}${stamp}`;
}
