import { basename, dirname, resolve } from 'node:path';
import { HardfsError, errnoCode, openDir, stableStringify, withFileLock, type SafeDir } from '../index.js';
import { backupName, storeLayout, type StoreLayout } from './layout.js';
import { DEFAULT_MAX_LEGACY_BYTES, planLegacyEntries, readLegacyFile, updatedAtOf } from './legacy-file.js';
import { withLegacyWriterLock } from './legacy-lock.js';
import { resolveStoreOptions, type SessionStoreOptions } from './options.js';
import type { LeftAlone } from './ownership.js';
import { openSessionStore } from './session-store.js';
import type { SessionEntry } from './entry-record.js';

/** Options of {@link exportSessionStore}: where to write, and the store's read bounds. */
export interface ExportOptions extends Pick<SessionStoreOptions, 'logger' | 'maxEntryBytes' | 'maxEntryDepth' | 'fsync'> {
  /** Where to write. Default `<dir>/<stem>.export.json` beside the store; never the legacy file itself (rollback does that). */
  output?: string;
}

/** What {@link exportSessionStore} wrote. */
export interface ExportResult {
  /** Absolute path written. */
  path: string;
  /** Number of entries in the written file. */
  entries: number;
}

/** The legacy sessions.json text for a record of entries: keys sorted, two-space indent, as the gateway writes it. */
function legacyText(entries: Readonly<Record<string, unknown>>, maxDepth: number): string {
  const canonical = stableStringify(entries, { maxDepth: maxDepth + 1 });
  if (canonical === undefined) throw new TypeError('entries do not serialize to JSON');
  return `${JSON.stringify(JSON.parse(canonical), null, 2)}\n`;
}

async function assertDirectoryStore(parent: SafeDir, layout: StoreLayout): Promise<void> {
  try {
    const stats = await parent.lstat(layout.dirName);
    if (!stats.isDirectory()) throw new HardfsError('ENOTDIR', 'the store directory is not a directory', { path: `${parent.path}/${layout.dirName}` });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      // A native-style ENOENT (the code callers already handle), with the caller's path.
      const path = `${parent.path}/${layout.dirName}`;
      throw Object.assign(new Error(`ENOENT: no store directory (the store was never migrated): ${path}`), { code: 'ENOENT', path });
    }
    throw error;
  }
}

async function readDirectoryEntries(layout: StoreLayout, options: SessionStoreOptions): Promise<Record<string, SessionEntry>> {
  // migrateOnOpen: false — an export or rollback reads the directory as it is.
  const store = await openSessionStore(layout.storePath, { ...options, migrateOnOpen: false });
  try {
    return { ...(await store.loadAll()) };
  } finally {
    await store.close();
  }
}

/**
 * Writes a `sessions.json` equivalent of the store directory (every entry, keyed as stored),
 * atomically (temp file, fsync, rename), for third-party readers or to keep as a rollback
 * point. The directory is only read. The output is never the legacy file itself: a
 * sessions.json beside the directory would be merged back by the next open (see
 * rollbackSessionStore to restore the legacy layout).
 */
export async function exportSessionStore(storePath: string, options: ExportOptions = {}): Promise<ExportResult> {
  const layout = storeLayout(storePath);
  const resolved = resolveStoreOptions(options);
  const output = resolve(options.output ?? `${layout.parentPath}/${layout.dirName.slice(0, -'.d'.length)}.export.json`);
  if (output === layout.storePath) {
    throw new HardfsError('EBADNAME', 'export would write the legacy file itself; use rollback to restore the legacy layout', { path: output });
  }
  const parent = await openDir(layout.parentPath);
  try {
    await assertDirectoryStore(parent, layout);
  } finally {
    await parent.close();
  }
  const entries = await readDirectoryEntries(layout, options);
  const text = legacyText(entries, resolved.maxEntryDepth);
  const target = await openDir(dirname(output));
  try {
    await target.writeFileAtomic(basename(output), text, { mode: 0o600, fsync: resolved.fsync });
  } finally {
    await target.close();
  }
  return { path: output, entries: Object.keys(entries).length };
}

/** What {@link rollbackSessionStore} restored, and what it kept. */
export interface RollbackResult {
  /** The legacy file written. */
  storePath: string;
  /** Entries in it. */
  entries: number;
  /** Entries taken from a legacy file that was already there because it was newer (or only there). */
  fromLegacy: number;
  /** Where a legacy file that was already there was copied first (byte-identical). */
  previousLegacyBackup: string | undefined;
  /** The store directory, left in place as a backup until you remove it. */
  directoryKept: string;
}

/**
 * Restores the legacy layout: writes `sessions.json` from the store directory, atomically,
 * holding the migration lock and the legacy writer's lock. Newest data wins: when a legacy file
 * is already there (a legacy writer kept writing after the migration), each key takes the entry
 * with the newer updatedAt, ties going to the directory, and keys only in the legacy file are
 * kept; that file is first copied, byte-identical, to a `.bak.<time>` backup. Nothing is
 * deleted: the directory stays where it is. Stop every process using the store first — an
 * openSessionStore with migrateOnOpen (the default) migrates the restored file again.
 */
export async function rollbackSessionStore(storePath: string, options: SessionStoreOptions & { maxLegacyBytes?: number } = {}): Promise<RollbackResult> {
  const layout = storeLayout(storePath);
  const resolved = resolveStoreOptions(options);
  const parent = await openDir(layout.parentPath);
  try {
    await assertDirectoryStore(parent, layout);
    const lockOptions = { staleMs: resolved.lockStaleMs, timeoutMs: Math.max(resolved.lockTimeoutMs, 60_000) };
    // The directory is read before the locks: opening a store may itself take the migration lock.
    const store = await openSessionStore(layout.storePath, { ...options, migrateOnOpen: false });
    try {
      return await withFileLock(
        parent,
        layout.migrationLockName,
        async () => {
          const locked = await withLegacyWriterLock(parent, layout, { timeoutMs: lockOptions.timeoutMs }, async () => {
            const merged: Record<string, unknown> = { ...(await store.loadAll()) };
            let fromLegacy = 0;
            let previousLegacyBackup: string | undefined;
            const read = await readLegacyFile(parent, layout, options.maxLegacyBytes ?? DEFAULT_MAX_LEGACY_BYTES);
            if (read.kind === 'left-alone') return read.leftAlone;
            if (read.kind === 'read') {
              previousLegacyBackup = await copyToBackup(parent, layout, read.bytes, resolved.fsync);
              const plan = planLegacyEntries(read.bytes, layout, resolved);
              for (const [key, entry] of plan.entries) {
                const current = merged[key] as SessionEntry | undefined;
                if (current === undefined || updatedAtOf(entry) > updatedAtOf(current)) {
                  merged[key] = entry;
                  fromLegacy += 1;
                }
              }
            }
            const text = legacyText(merged, resolved.maxEntryDepth);
            await parent.writeFileAtomic(layout.legacyName, text, { mode: 0o600, fsync: resolved.fsync });
            return {
              storePath: layout.storePath,
              entries: Object.keys(merged).length,
              fromLegacy,
              previousLegacyBackup,
              directoryKept: `${parent.path}/${layout.dirName}`,
            };
          });
          if (locked.kind === 'left-alone') throw untrusted(locked.leftAlone);
          const value = locked.value;
          if ('reason' in value) throw untrusted(value);
          return value;
        },
        lockOptions,
      );
    } finally {
      await store.close();
    }
  } finally {
    await parent.close();
  }
}

function untrusted(leftAlone: LeftAlone): HardfsError {
  return new HardfsError('EINSECURE', `not rolled back: ${leftAlone.reason}; left alone`, { path: leftAlone.path });
}

async function copyToBackup(parent: SafeDir, layout: StoreLayout, bytes: Buffer, fsync: boolean): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    const name = backupName(layout.legacyName, new Date()) + (attempt === 0 ? '' : `.${attempt}`);
    try {
      const handle = await parent.createFileExclusive(name, bytes, { mode: 0o600, fsync });
      await handle.close();
      return `${parent.path}/${name}`;
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST' || attempt >= 100) throw error;
    }
  }
}
