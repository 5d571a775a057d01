import { errnoCode, isHardfsError, openChangeLog, type ChangeLog, type SafeDir } from '../index.js';
import { CHANGES_FILE, LEGACY_CHANGES_FILE, QUARANTINE_DIR, isIntentId, isSafeEntryFileName } from './layout.js';
import type { StoreLogger } from './options.js';

/**
 * What a store writes into its change log (`.changes`, see change-log/change-log.ts): one
 * record per commit, appended before the commit changes any file, naming the entry files it
 * changes:
 *
 *   a.json/b.json          a commit of these files
 *   @<id>/a.json/b.json    a multi-key commit, whose intent is `.locks/<id>.txn` while it is
 *                          under way (a reader that meets it waits for it or completes it)
 *   *                      everything changed: every reader reloads (a bulk change)
 *
 * Entry file names never contain '/' and never start with '@' or '*'.
 */
export const ALL_CHANGED = '*';

/** Above this, a record says ALL_CHANGED instead of listing names: re-reading most files anyway. */
const MAX_LISTED_BYTES = 32 * 1024;

export function changeRecordFor(fileNames: readonly string[]): string {
  if (fileNames.length === 0) return ALL_CHANGED;
  const record = fileNames.join('/');
  return Buffer.byteLength(record) > MAX_LISTED_BYTES ? ALL_CHANGED : record;
}

export function intentRecordFor(id: string, fileNames: readonly string[]): string {
  const record = `@${id}/${fileNames.join('/')}`;
  // Too long to list: still says which commit, so that readers wait for it before reloading.
  return Buffer.byteLength(record) > MAX_LISTED_BYTES ? `@${id}/${ALL_CHANGED}` : record;
}

export interface ParsedChangeRecord {
  /** undefined: everything may have changed. */
  files: string[] | undefined;
  /** The multi-key commit that wrote it, if any. */
  txn: string | undefined;
}

/** undefined when the record is not one a store writes (garbage: reload everything). */
export function parseChangeRecord(record: string): ParsedChangeRecord | undefined {
  if (record === ALL_CHANGED) return { files: undefined, txn: undefined };
  const parts = record.split('/');
  let txn: string | undefined;
  if (record.startsWith('@')) {
    // split gives one part at least: the first, `@<id>`, names the commit.
    txn = String(parts.shift()).slice(1);
    if (!isIntentId(txn)) return undefined;
    if (parts.length === 1 && parts[0] === ALL_CHANGED) return { files: undefined, txn };
  }
  for (const name of parts) if (!isSafeEntryFileName(name)) return undefined;
  return { files: parts, txn };
}

/**
 * Opens the store's change log. A store made before the log had its own name keeps it in
 * `.stamp`: that file is renamed to `.changes` (it is a hint, never data; a process of an
 * older version still appending to `.stamp` stops being followed, which makes its readers of
 * this store reload from the files — the safe direction). A directory or socket planted at the
 * name is moved to `.quarantine/` and a fresh log created, with a warning.
 */
export async function openStoreChangeLog(dir: SafeDir, logger: StoreLogger): Promise<ChangeLog> {
  await migrateLegacyName(dir, logger);
  const open = (): Promise<ChangeLog> =>
    openChangeLog(dir, CHANGES_FILE, {
      onReplace: (reason) => {
        logger.warn(`hardfs store: replaced the change log (${reason})`, { file: `${dir.path}/${CHANGES_FILE}` });
      },
    });
  try {
    return await open();
  } catch (error) {
    if (!isHardfsError(error, 'EINSECURE')) throw error;
    const quarantine = await dir.openSubdir(QUARANTINE_DIR, { create: true, mode: 0o700 });
    const target = `${CHANGES_FILE}.${Date.now()}.${process.pid}`;
    try {
      await dir.rename(CHANGES_FILE, target, { targetDir: quarantine });
    } finally {
      await quarantine.close();
    }
    logger.warn('hardfs store: replaced the change log (a directory was at its name; moved to .quarantine)', {
      file: `${dir.path}/${CHANGES_FILE}`,
    });
    return open();
  }
}

async function migrateLegacyName(dir: SafeDir, logger: StoreLogger): Promise<void> {
  try {
    const legacy = await dir.lstat(LEGACY_CHANGES_FILE);
    if (!legacy.isFile()) return;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  try {
    await dir.lstat(CHANGES_FILE);
    return; // both: the new name wins; the old one is left for the older processes using it
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  try {
    // rename, not renameNoReplace: that one links then unlinks, and a concurrent opener that
    // met `.changes` with its second link would take it for a planted hard link and replace it.
    // Replacing a `.changes` another process created meanwhile is what a rotation does: its
    // appenders append again to the file at the name, its readers reset.
    await dir.rename(LEGACY_CHANGES_FILE, CHANGES_FILE);
    logger.warn('hardfs store: renamed the change log from .stamp to .changes', { file: `${dir.path}/${CHANGES_FILE}` });
  } catch (error) {
    // ENOENT: another opener renamed it first. A directory at `.changes`: the open that follows
    // moves it aside.
    const code = errnoCode(error);
    if (code !== 'ENOENT' && code !== 'EEXIST' && code !== 'EISDIR' && code !== 'ENOTEMPTY') throw error;
  }
}

/** Asks every process caching this store to read all of it again (after a bulk change). */
export async function announceAllChanged(dir: SafeDir, logger: StoreLogger): Promise<void> {
  const log = await openStoreChangeLog(dir, logger);
  try {
    await log.append(ALL_CHANGED);
  } finally {
    await log.close();
  }
}
