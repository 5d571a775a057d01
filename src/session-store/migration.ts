import { HardfsError, errnoCode, isHardfsError, withFileLock, openDir, type SafeDir } from '../index.js';
import { entryFileName, serializeEntry, serializeRecord, type SessionEntry } from './entry-record.js';
import { openStore } from '../store/index.js';
import { assertStorableEntry } from '../store/entry-record.js';
import { LOCKS_DIR, storeLayout, type StoreLayout } from './layout.js';
import { resolveStoreOptions, type ResolvedStoreOptions, type SessionStoreOptions } from './options.js';
import { openStoreChangeLog } from './change-records.js';
import {
  DEFAULT_MAX_LEGACY_BYTES,
  foreignAt,
  planLegacyEntries,
  readLegacyFile,
  updatedAtOf,
  type LegacyPlan,
  type SkippedLegacyEntry,
} from './legacy-file.js';
import { clearStaleLegacyWriterLock, withLegacyWriterLock } from './legacy-lock.js';
import { backUpLegacy, pruneBackups, resolveRetention, type BackupRetention } from './backups.js';
import type { LeftAlone } from './ownership.js';

export type { SkippedLegacyEntry } from './legacy-file.js';
export type { LeftAlone } from './ownership.js';

/** What {@link migrateSessionStoreToDirectory} did (or, with `dryRun`, would do). */
export interface MigrationResult {
  /** True when the legacy file was moved to its backup (its entries are in the directory). */
  migrated: boolean;
  /** Entries written to the directory. */
  entries: number;
  /** Legacy entries not written, and why (null, not an object, bad key, blocked key inside, older case variant, older than the directory's). */
  skipped: SkippedLegacyEntry[];
  /** Where the legacy file now is, byte-identical. */
  backupPath?: string;
  /** Why nothing was migrated. */
  reason?: string;
  /** 'fresh': staged then renamed into place; 'merge': written into an existing directory. */
  mode?: 'fresh' | 'merge';
  /**
   * Files beside the store that were not trusted and were left alone (not read, merged or
   * removed): owned by another user, or hard-linked. Each was also logged.
   */
  leftAlone: LeftAlone[];
  /** Old backups removed after this migration (see keepBackups / maxBackupAgeMs). */
  prunedBackups: string[];
}

/** Where a migration is, for a caller that must say what an interruption left behind. */
export type MigrationPhase = 'reading' | 'staging' | 'published' | 'merging' | 'merged' | 'backed-up';

/** Options of {@link migrateSessionStoreToDirectory}: the store's, backup retention, and these. */
export interface MigrationOptions extends SessionStoreOptions, BackupRetention {
  /** Plan and report only; write and rename nothing (and take no lock a legacy writer would see). */
  dryRun?: boolean;
  /** Called after each entry is written (for progress bars). */
  onProgress?: (done: number, total: number) => void;
  /** Called as the migration enters each phase. */
  onPhase?: (phase: MigrationPhase) => void;
  /** Largest legacy file accepted, in bytes (ETOOBIG names this option). Default 128 MiB. */
  maxLegacyBytes?: number;
  /**
   * How long the migration waits for its own lock and the legacy writer's (ELOCKED after).
   * Default: lockTimeoutMs, but at least 60 s.
   */
  migrationTimeoutMs?: number;
}

type Extra = Pick<
  MigrationOptions,
  'dryRun' | 'onProgress' | 'onPhase' | 'maxLegacyBytes' | 'keepBackups' | 'maxBackupAgeMs' | 'migrationTimeoutMs'
>;

const NO_LEGACY = 'no legacy store file';

function notMigrated(reason: string, extra: Partial<MigrationResult> = {}): MigrationResult {
  return { migrated: false, entries: 0, skipped: [], reason, leftAlone: [], prunedBackups: [], ...extra };
}

/**
 * Moves a legacy `sessions.json` into the directory layout. Fresh: every entry is written and
 * fsynced into `sessions.d.migrating/`, which is renamed to `sessions.d/` in one step; only then
 * is the legacy file renamed to its backup. A crash at any instant leaves the legacy file intact
 * (and a staging directory the next run discards) or a complete directory (and the legacy file,
 * which the next run merges idempotently and then backs up). Nothing is deleted but backups
 * past the retention (keepBackups, default 5).
 *
 * Only what the store's owner (or root) owns is read or removed: a legacy file, lock or staging
 * directory planted by another user in a shared parent is reported (`leftAlone`, and the
 * logger) and left alone. The legacy writer's lock (`sessions.json.lock`) is held from the read
 * to the backup, so a gateway still writing the file cannot lose an update in between.
 *
 * No legacy file is no error: `migrated: false` with a `reason`. Refuses (HardfsError):
 * EBADNAME for a bad store path; ECORRUPT for a legacy file that is not a JSON object (left
 * untouched); ETOOBIG past `maxLegacyBytes` (default 128 MiB); ELOCKED when the migration lock
 * or the legacy writer's lock stays held past `migrationTimeoutMs`; ESYMLINK or ENOTDIR for a
 * store directory that is a symlink or not a directory; ESYMLINK or EINSECURE for a legacy
 * file of the store's owner that is a symlink or not a regular file; what writing the entries
 * refuses (see Store). A bad option is a TypeError, before anything is touched.
 *
 * @example
 * ```ts
 * import { migrateSessionStoreToDirectory } from 'hardfs/session-store';
 *
 * const plan = await migrateSessionStoreToDirectory(storePath, { dryRun: true });
 * console.log(`${plan.entries} entries, ${plan.skipped.length} skipped`);
 * const result = await migrateSessionStoreToDirectory(storePath, { keepBackups: 3 });
 * if (result.migrated) console.log(`legacy file kept at ${result.backupPath}`);
 * for (const { path, reason } of result.leftAlone) console.warn(`left alone: ${path}: ${reason}`);
 * ```
 */
export async function migrateSessionStoreToDirectory(
  storePath: string,
  options: MigrationOptions = {},
): Promise<MigrationResult> {
  const layout = storeLayout(storePath);
  const resolved = resolveStoreOptions(options);
  resolveRetention(options); // refuse bad retention options before anything is touched
  const parent = await openDir(layout.parentPath);
  try {
    return await migrateWithParent(parent, layout, resolved, options);
  } finally {
    await parent.close();
  }
}

/** @internal The migration on an already pinned parent directory (openSessionStore uses it). */
export async function migrateWithParent(
  parent: SafeDir,
  layout: StoreLayout,
  options: ResolvedStoreOptions,
  extra: Extra = {},
): Promise<MigrationResult> {
  // Cheap check first: opening a store with no legacy file must not take any lock.
  if (!(await exists(parent, layout.legacyName))) {
    await clearDeadMigrationLock(parent, layout, options);
    await clearStaleLegacyWriterLock(parent, layout);
    return notMigrated(NO_LEGACY);
  }
  const untrusted = await firstUntrusted(parent, [layout.legacyName, layout.migrationLockName]);
  if (untrusted !== undefined) return leaveAlone(untrusted, options);
  const lockOptions = { staleMs: options.lockStaleMs, timeoutMs: migrationTimeout(options, extra) };
  return withFileLock(
    parent,
    layout.migrationLockName,
    async () => {
      if (extra.dryRun) return migrateLocked(parent, layout, options, extra);
      const locked = await withLegacyWriterLock(parent, layout, { timeoutMs: lockOptions.timeoutMs }, () =>
        migrateLocked(parent, layout, options, extra),
      );
      return locked.kind === 'done' ? locked.value : leaveAlone(locked.leftAlone, options);
    },
    lockOptions,
  );
}

/**
 * A migration killed after its backup rename leaves its lock behind with no legacy file left to
 * migrate. Only when such a lock file exists (and is ours): take it over if its holder is gone,
 * release it; a live holder is left alone (it is finishing) after a short wait.
 */
async function clearDeadMigrationLock(parent: SafeDir, layout: StoreLayout, options: ResolvedStoreOptions): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await parent.lstat(layout.migrationLockName)).isFile();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  if (!isFile || (await firstUntrusted(parent, [layout.migrationLockName])) !== undefined) return;
  try {
    await withFileLock(parent, layout.migrationLockName, () => Promise.resolve(), { staleMs: options.lockStaleMs, timeoutMs: 200 });
  } catch (error) {
    // A cleanup, never a reason for the open to fail: whatever the lock layer refuses stays.
    if (!isHardfsError(error)) throw error;
  }
}

async function firstUntrusted(parent: SafeDir, names: readonly string[]): Promise<LeftAlone | undefined> {
  for (const name of names) {
    const foreign = await foreignAt(parent, name, `${parent.path}/${name}`);
    if (foreign !== undefined) return foreign;
  }
  return undefined;
}

function migrationTimeout(options: ResolvedStoreOptions, extra: Extra): number {
  const timeout = extra.migrationTimeoutMs ?? Math.max(options.lockTimeoutMs, 60_000);
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw new TypeError(`migrationTimeoutMs must be a positive finite number, got ${String(timeout)}`);
  }
  return timeout;
}

function leaveAlone(leftAlone: LeftAlone, options: ResolvedStoreOptions): MigrationResult {
  warnLeftAlone(leftAlone, options);
  return notMigrated(`not migrated: ${leftAlone.path} is ${leftAlone.reason}; left alone`, { leftAlone: [leftAlone] });
}

function warnLeftAlone(leftAlone: LeftAlone, options: ResolvedStoreOptions): void {
  options.logger.warn('hardfs session store: left alone a file beside the store that is not trusted', {
    file: leftAlone.path,
    reason: leftAlone.reason,
    ...(leftAlone.ownerUid === undefined ? {} : { ownerUid: leftAlone.ownerUid }),
  });
}

async function migrateLocked(parent: SafeDir, layout: StoreLayout, options: ResolvedStoreOptions, extra: Extra): Promise<MigrationResult> {
  extra.onPhase?.('reading');
  const read = await readLegacyFile(parent, layout, extra.maxLegacyBytes ?? DEFAULT_MAX_LEGACY_BYTES);
  if (read.kind === 'absent') return notMigrated(NO_LEGACY);
  if (read.kind === 'left-alone') return leaveAlone(read.leftAlone, options);
  const plan = planLegacyEntries(read.bytes, layout, options);
  if (plan.empty !== undefined) {
    options.logger.warn(`hardfs session store: ${plan.empty}; opened without it, file left untouched`, { file: layout.storePath });
    return notMigrated(`${plan.empty}; left untouched`);
  }
  if (plan.entries.size === 0) {
    if (plan.skipped.length > 0) {
      options.logger.warn('hardfs session store: legacy store has no valid entry; left untouched', {
        file: layout.storePath,
        skipped: plan.skipped.length,
      });
    }
    return notMigrated('legacy store holds no valid entry; left untouched', { skipped: plan.skipped });
  }
  for (const skipped of plan.skipped) {
    options.logger.warn('hardfs session store: legacy entry not migrated', { file: layout.storePath, ...skipped });
  }
  const leftAlone: LeftAlone[] = [];
  const directoryExists = await isDirectory(parent, layout.dirName);
  // A staging directory someone else made cannot be used (or removed, in a sticky parent): the
  // entries are merged straight into the store directory instead, which is crash-safe too (the
  // legacy file stays until the end; a re-run merges idempotently).
  const foreignStaging = await foreignAt(parent, layout.stagingName, `${parent.path}/${layout.stagingName}`);
  if (foreignStaging !== undefined) {
    warnLeftAlone(foreignStaging, options);
    leftAlone.push(foreignStaging);
  }
  const canStage = !directoryExists && foreignStaging === undefined;
  if (extra.dryRun) {
    return {
      ...notMigrated('dry run', { entries: plan.entries.size, skipped: plan.skipped, leftAlone }),
      mode: canStage ? 'fresh' : 'merge',
    };
  }
  let mode: 'fresh' | 'merge' = 'merge';
  let written: number;
  if (canStage && (await stageAndRename(parent, layout, plan, options, extra))) {
    mode = 'fresh';
    written = plan.entries.size;
  } else {
    written = await mergeIntoDirectory(parent, layout, plan, options, extra);
  }
  const backupPath = await backUpLegacy(parent, layout);
  extra.onPhase?.('backed-up');
  const prunedBackups = await pruneBackups(parent, layout, extra);
  return { migrated: true, entries: written, skipped: plan.skipped, backupPath, mode, leftAlone, prunedBackups };
}

/** Discards a staging directory left by a crashed migration whose legacy file is gone. */
export async function removeLeftoverStaging(parent: SafeDir, layout: StoreLayout, options: ResolvedStoreOptions): Promise<void> {
  // Whose it is first: a symlink another user planted at the name must not make the store
  // unopenable (isDirectory refuses a symlink).
  const foreign = await firstUntrusted(parent, [layout.stagingName]);
  if (foreign !== undefined) {
    warnLeftAlone(foreign, options);
    return;
  }
  if (!(await isDirectory(parent, layout.stagingName))) return;
  const foreignLock = await firstUntrusted(parent, [layout.migrationLockName]);
  if (foreignLock !== undefined) {
    warnLeftAlone(foreignLock, options);
    return;
  }
  // A migration will use (and clear) it — unless the legacy file is not one it would read.
  if ((await exists(parent, layout.legacyName)) && (await foreignAt(parent, layout.legacyName, layout.storePath)) === undefined) return;
  await withFileLock(
    parent,
    layout.migrationLockName,
    async () => {
      if (!(await isDirectory(parent, layout.stagingName))) return;
      await parent.removeTree(layout.stagingName);
      options.logger.warn('hardfs session store: removed an incomplete migration staging directory', {
        dir: `${parent.path}/${layout.stagingName}`,
      });
    },
    { staleMs: options.lockStaleMs, timeoutMs: Math.max(options.lockTimeoutMs, 60_000) },
  );
}

async function stageAndRename(
  parent: SafeDir,
  layout: StoreLayout,
  plan: LegacyPlan,
  options: ResolvedStoreOptions,
  extra: Extra,
): Promise<boolean> {
  if (await isDirectory(parent, layout.stagingName)) await parent.removeTree(layout.stagingName);
  extra.onPhase?.('staging');
  const staging = await parent.openSubdir(layout.stagingName, { create: true, mode: 0o700 });
  try {
    let done = 0;
    for (const [key, legacy] of plan.entries) {
      // The write hook runs on every write, this one included (the merge's commit runs it too).
      const entry = options.normalizeEntry === undefined ? legacy : (options.normalizeEntry(legacy, key) as SessionEntry);
      // The store's one rule for what it writes, as on every other write (the hook may add what
      // the parser never let in).
      assertStorableEntry(entry, key, options.maxEntryDepth);
      const text = serializeRecord(key, 1, serializeEntry(entry, options.maxEntryDepth));
      // Every file is fsynced; the staging directory is fsynced once below, before the rename
      // that publishes it.
      await staging.writeFileAtomic(entryFileName(key), text, { fsync: options.fsync, syncDirectory: false });
      done += 1;
      extra.onProgress?.(done, plan.entries.size);
    }
    const locks = await staging.openSubdir(LOCKS_DIR, { create: true, mode: 0o700 });
    await locks.close();
    await (await openStoreChangeLog(staging, options.logger)).close();
    await staging.sync();
  } finally {
    await staging.close();
  }
  try {
    // rename(2) onto a missing or empty directory is atomic; a directory that some other
    // process filled meanwhile (ENOTEMPTY/EEXIST) is merged into instead.
    await parent.rename(layout.stagingName, layout.dirName);
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    await parent.removeTree(layout.stagingName);
    return false;
  }
  await parent.sync();
  extra.onPhase?.('published');
  return true;
}

/** Keys per commit when merging: bounded work (and memory) per commit, few change records. */
const MERGE_BATCH = 256;

/**
 * Merges the planned entries into an existing store directory through the store's one commit
 * layer (Store#commit: key locks, the current value read under them, change record first,
 * rev + 1), in batches. An entry the directory already holds at least as new is kept and
 * reported; a corrupt or non-regular file where an entry goes is quarantined by the store, as
 * on any read, never overwritten in place.
 */
async function mergeIntoDirectory(
  parent: SafeDir,
  layout: StoreLayout,
  plan: LegacyPlan,
  options: ResolvedStoreOptions,
  extra: Extra,
): Promise<number> {
  extra.onPhase?.('merging');
  const store = await openStore<SessionEntry>(`${parent.path}/${layout.dirName}`, {
    // Keys are normalized already (the session vocabulary); the store must not change them.
    normalizeKey: (key) => key,
    ...(options.normalizeEntry === undefined ? {} : { normalizeEntry: options.normalizeEntry }),
    ...(options.transformEntry === undefined ? {} : { transformEntry: options.transformEntry }),
    maxEntryBytes: options.maxEntryBytes,
    maxEntryDepth: options.maxEntryDepth,
    fsync: options.fsync,
    lockStaleMs: options.lockStaleMs,
    lockTimeoutMs: options.lockTimeoutMs,
    logger: options.logger,
    allowNetworkFilesystem: options.allowNetworkFilesystem,
  });
  let written = 0;
  let done = 0;
  try {
    const keys = [...plan.entries.keys()];
    for (let start = 0; start < keys.length; start += MERGE_BATCH) {
      const batch = keys.slice(start, start + MERGE_BATCH);
      written += await store.commit(batch, (current) => {
        const writes = new Map<string, SessionEntry>();
        for (const key of batch) {
          const incoming = plan.entries.get(key) as SessionEntry;
          const existing = current.get(key)?.entry;
          // Never overwrite an entry the directory already has unless the legacy one is
          // strictly newer: a re-run after a crash, or a store that moved on, keeps its data.
          if (existing === undefined || updatedAtOf(incoming) > updatedAtOf(existing)) {
            writes.set(key, incoming);
          } else if (serializeEntry(existing, options.maxEntryDepth) !== serializeEntry(incoming, options.maxEntryDepth)) {
            plan.skipped.push({ key, reason: 'directory already holds an entry at least as new' });
          }
        }
        return writes;
      });
      for (let index = 0; index < batch.length; index += 1) {
        done += 1;
        extra.onProgress?.(done, plan.entries.size);
      }
    }
  } finally {
    await store.close();
  }
  extra.onPhase?.('merged');
  return written;
}

async function exists(dir: SafeDir, name: string): Promise<boolean> {
  try {
    await dir.lstat(name);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

async function isDirectory(dir: SafeDir, name: string): Promise<boolean> {
  let stats;
  try {
    stats = await dir.lstat(name);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
  if (stats.isSymbolicLink()) {
    throw new HardfsError('ESYMLINK', 'refusing a symlinked store directory', { path: `${dir.path}/${name}` });
  }
  if (!stats.isDirectory()) {
    throw new HardfsError('ENOTDIR', 'store directory path is not a directory', { path: `${dir.path}/${name}` });
  }
  return true;
}
