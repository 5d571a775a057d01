import { openChangeLog, type ChangeLog, type SafeDir } from '../index.js';
import { STAMP_FILE } from './layout.js';
import type { SessionStoreLogger } from './options.js';

/**
 * The store's coherence stamp is a change log (`.stamp`, see io/change-log.ts): every commit
 * appends one record naming the entry files it changed, after the files themselves changed.
 * A process that caches `loadAll()` reads the records appended since its last look and re-reads
 * only those files; anything it cannot account for (rotation, a garbled record, a backlog)
 * makes it read every file again. No fsync: after a power loss no cache survives anyway.
 *
 * A record is entry file names joined by '/', which no file name contains; ALL_CHANGED asks
 * every reader to reload everything (a commit touching more files than a record should list,
 * or a migration that merged into the directory).
 */
export const ALL_CHANGED = '*';

/** Above this, a record says ALL_CHANGED instead of listing names: re-reading most files anyway. */
const MAX_LISTED_BYTES = 32 * 1024;

export function changeRecordFor(fileNames: readonly string[]): string {
  if (fileNames.length === 0) return ALL_CHANGED;
  const record = fileNames.join('/');
  return Buffer.byteLength(record) > MAX_LISTED_BYTES ? ALL_CHANGED : record;
}

export function openStoreChangeLog(dir: SafeDir, logger: SessionStoreLogger): Promise<ChangeLog> {
  return openChangeLog(dir, STAMP_FILE, {
    onReplace: (reason) => {
      logger.warn(`hardfs session store: replaced the change log (${reason})`, { file: `${dir.path}/${STAMP_FILE}` });
    },
  });
}

/** Asks every process caching this store to read all of it again (after a bulk change). */
export async function announceAllChanged(dir: SafeDir, logger: SessionStoreLogger): Promise<void> {
  const log = await openStoreChangeLog(dir, logger);
  try {
    await log.append(ALL_CHANGED);
  } finally {
    await log.close();
  }
}
