import {
  HardfsError,
  errnoCode,
  openDir,
  parseJsonSafe,
  withFileLock,
  type SafeDir,
} from '../index.js';
import {
  entryFileName,
  isPlainEntry,
  normalizeStoreKey,
  parseRecord,
  serializeEntry,
  serializeRecord,
  type SessionEntry,
} from './entry-record.js';
import { LOCKS_DIR, backupName, storeLayout, type StoreLayout } from './layout.js';
import { resolveStoreOptions, type ResolvedStoreOptions, type SessionStoreOptions } from './options.js';
import { announceAllChanged, openStoreChangeLog } from './change-records.js';

export interface SkippedLegacyEntry {
  key: string;
  reason: string;
}

export interface MigrationResult {
  /** True when the legacy file was moved to its backup (its entries are in the directory). */
  migrated: boolean;
  /** Entries written to the directory. */
  entries: number;
  /** Legacy entries not written, and why (null, not an object, bad key, older case variant, older than the directory's). */
  skipped: SkippedLegacyEntry[];
  /** Where the legacy file now is, byte-identical. */
  backupPath?: string;
  /** Why nothing was migrated. */
  reason?: string;
  /** 'fresh': staged then renamed into place; 'merge': written into an existing directory. */
  mode?: 'fresh' | 'merge';
}

export interface MigrationOptions extends SessionStoreOptions {
  /** Plan and report only; write and rename nothing. */
  dryRun?: boolean;
  /** Called after each entry is written (for progress bars). */
  onProgress?: (done: number, total: number) => void;
  /** Largest legacy file accepted, in bytes. Default 1 GiB. */
  maxLegacyBytes?: number;
}

interface MigrationPlan {
  entries: Map<string, SessionEntry>;
  skipped: SkippedLegacyEntry[];
}

const DEFAULT_MAX_LEGACY_BYTES = 1024 * 1024 * 1024;

/**
 * Moves a legacy `sessions.json` into the directory layout. Fresh: every entry is written and
 * fsynced into `sessions.d.migrating/`, which is renamed to `sessions.d/` in one step; only then
 * is the legacy file renamed to its backup. A crash at any instant leaves the legacy file intact
 * (and a staging directory the next run discards) or a complete directory (and the legacy file,
 * which the next run merges idempotently and then backs up). Nothing is deleted.
 */
export async function migrateSessionStoreToDirectory(
  storePath: string,
  options: MigrationOptions = {},
): Promise<MigrationResult> {
  const layout = storeLayout(storePath);
  const resolved = resolveStoreOptions(options);
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
  extra: Pick<MigrationOptions, 'dryRun' | 'onProgress' | 'maxLegacyBytes'> = {},
): Promise<MigrationResult> {
  // Cheap check first: opening a store with no legacy file must not take any lock.
  if (!(await exists(parent, layout.legacyName))) {
    return { migrated: false, entries: 0, skipped: [], reason: 'no legacy store file' };
  }
  const lockOptions = { staleMs: options.lockStaleMs, timeoutMs: Math.max(options.lockTimeoutMs, 60_000) };
  return withFileLock(parent, layout.migrationLockName, async () => {
    let bytes: Buffer;
    try {
      bytes = await parent.readFile(layout.legacyName, { maxBytes: extra.maxLegacyBytes ?? DEFAULT_MAX_LEGACY_BYTES });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') {
        return { migrated: false, entries: 0, skipped: [], reason: 'no legacy store file' };
      }
      throw error;
    }
    const plan = planMigration(bytes, layout, options);
    if (plan.entries.size === 0) {
      if (plan.skipped.length > 0) {
        options.logger.warn('hardfs session store: legacy store has no valid entry; left untouched', {
          file: layout.storePath,
          skipped: plan.skipped.length,
        });
      }
      return {
        migrated: false,
        entries: 0,
        skipped: plan.skipped,
        reason: 'legacy store holds no valid entry; left untouched',
      };
    }
    for (const skipped of plan.skipped) {
      options.logger.warn('hardfs session store: legacy entry not migrated', { file: layout.storePath, ...skipped });
    }
    const directoryExists = await isDirectory(parent, layout.dirName);
    if (extra.dryRun) {
      return { migrated: false, entries: plan.entries.size, skipped: plan.skipped, reason: 'dry run', mode: directoryExists ? 'merge' : 'fresh' };
    }
    let mode: 'fresh' | 'merge' = 'merge';
    let written: number;
    if (!directoryExists && (await stageAndRename(parent, layout, plan, options, extra.onProgress))) {
      mode = 'fresh';
      written = plan.entries.size;
    } else {
      written = await mergeIntoDirectory(parent, layout, plan, options, extra.onProgress);
    }
    const backupPath = await backUpLegacy(parent, layout);
    return { migrated: true, entries: written, skipped: plan.skipped, backupPath, mode };
  }, lockOptions);
}

/** Discards a staging directory left by a crashed migration whose legacy file is gone. */
export async function removeLeftoverStaging(parent: SafeDir, layout: StoreLayout, options: ResolvedStoreOptions): Promise<void> {
  if (!(await isDirectory(parent, layout.stagingName))) return;
  if (await exists(parent, layout.legacyName)) return; // a migration will use (and clear) it
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

function planMigration(bytes: Buffer, layout: StoreLayout, options: ResolvedStoreOptions): MigrationPlan {
  let parsed: unknown;
  const droppedTopLevel: string[] = [];
  try {
    parsed = parseJsonSafe(bytes, {
      maxBytes: bytes.length,
      maxDepth: options.maxEntryDepth + 1,
      onDroppedKey: (key, topLevel) => {
        if (topLevel) droppedTopLevel.push(key);
      },
    });
  } catch (error) {
    // Unparseable legacy JSON is never "migrated" into an empty store: refuse, touch nothing.
    throw new HardfsError('ECORRUPT', `legacy store is not valid JSON (${(error as Error).message}); left untouched`, {
      path: layout.storePath,
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HardfsError('ECORRUPT', 'legacy store is not a JSON object; left untouched', { path: layout.storePath });
  }
  const entries = new Map<string, SessionEntry>();
  const rawKeyOf = new Map<string, string>();
  // Entries under a blocked key never reach us (the safe parser drops them): report them so
  // that nothing leaves the legacy file unaccounted for.
  const skipped: SkippedLegacyEntry[] = droppedTopLevel.map((key) => ({ key, reason: 'blocked object key' }));
  for (const [rawKey, value] of Object.entries(parsed as Record<string, unknown>)) {
    let key: string;
    try {
      key = normalizeStoreKey(rawKey, options.normalizeKey);
    } catch (error) {
      skipped.push({ key: rawKey, reason: `invalid key: ${(error as Error).message}` });
      continue;
    }
    if (!isPlainEntry(value)) {
      skipped.push({ key: rawKey, reason: value === null ? 'null entry' : 'entry is not a JSON object' });
      continue;
    }
    const updatedAt = (value as { updatedAt?: unknown }).updatedAt;
    if (updatedAt !== undefined && (typeof updatedAt !== 'number' || !Number.isFinite(updatedAt))) {
      skipped.push({ key: rawKey, reason: 'updatedAt is not a finite number' });
      continue;
    }
    const existing = entries.get(key);
    if (existing !== undefined) {
      // Case variants of one key: the newest updatedAt wins; the loser is reported, and stays
      // readable in the byte-identical backup.
      const keepNew = updatedAtOf(value) > updatedAtOf(existing);
      const loser = keepNew ? (rawKeyOf.get(key) ?? key) : rawKey;
      skipped.push({ key: loser, reason: `older case variant of ${JSON.stringify(key)}` });
      if (!keepNew) continue;
    }
    entries.set(key, value);
    rawKeyOf.set(key, rawKey);
  }
  return { entries, skipped };
}

function updatedAtOf(entry: SessionEntry): number {
  return typeof entry.updatedAt === 'number' ? entry.updatedAt : Number.NEGATIVE_INFINITY;
}

async function stageAndRename(
  parent: SafeDir,
  layout: StoreLayout,
  plan: MigrationPlan,
  options: ResolvedStoreOptions,
  onProgress: ((done: number, total: number) => void) | undefined,
): Promise<boolean> {
  if (await isDirectory(parent, layout.stagingName)) await parent.removeTree(layout.stagingName);
  const staging = await parent.openSubdir(layout.stagingName, { create: true, mode: 0o700 });
  try {
    let done = 0;
    for (const [key, entry] of plan.entries) {
      const text = serializeRecord(key, 1, serializeEntry(entry, options.maxEntryDepth));
      // Every file is fsynced; the staging directory is fsynced once below, before the rename
      // that publishes it.
      await staging.writeFileAtomic(entryFileName(key), text, { fsync: options.fsync, syncDirectory: false });
      done += 1;
      onProgress?.(done, plan.entries.size);
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
  return true;
}

async function mergeIntoDirectory(
  parent: SafeDir,
  layout: StoreLayout,
  plan: MigrationPlan,
  options: ResolvedStoreOptions,
  onProgress: ((done: number, total: number) => void) | undefined,
): Promise<number> {
  const dir = await parent.openSubdir(layout.dirName, { create: true, mode: 0o700 });
  const locks = await dir.openSubdir(LOCKS_DIR, { create: true, mode: 0o700 });
  let written = 0;
  let done = 0;
  try {
    for (const [key, entry] of plan.entries) {
      const fileName = entryFileName(key);
      const wrote = await withFileLock(
        locks,
        `${fileName}.lock`,
        async () => {
          const existing = await readExisting(dir, fileName, options);
          // Never overwrite an entry the directory already has unless the legacy one is
          // strictly newer: a re-run after a crash, or a store that moved on, keeps its data.
          if (existing !== undefined && !(updatedAtOf(entry) > updatedAtOf(existing.entry))) {
            if (serializeEntry(existing.entry, options.maxEntryDepth) !== serializeEntry(entry, options.maxEntryDepth)) {
              plan.skipped.push({ key, reason: 'directory already holds an entry at least as new' });
            }
            return false;
          }
          const text = serializeRecord(key, (existing?.rev ?? 0) + 1, serializeEntry(entry, options.maxEntryDepth));
          await dir.writeFileAtomic(fileName, text, { fsync: options.fsync, syncDirectory: false });
          return true;
        },
        { staleMs: options.lockStaleMs, timeoutMs: options.lockTimeoutMs },
      );
      if (wrote) written += 1;
      done += 1;
      onProgress?.(done, plan.entries.size);
    }
    await dir.sync();
    await announceAllChanged(dir, options.logger);
  } finally {
    await locks.close();
    await dir.close();
  }
  return written;
}

async function readExisting(
  dir: SafeDir,
  fileName: string,
  options: ResolvedStoreOptions,
): Promise<{ entry: SessionEntry; rev: number } | undefined> {
  let bytes: Buffer;
  try {
    bytes = await dir.readFile(fileName, { maxBytes: options.maxEntryBytes });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  // A corrupt existing file is not silently overwritten: the store's own read path will
  // quarantine it; the migration refuses loudly instead of guessing.
  const record = parseRecord(bytes, fileName, { maxBytes: options.maxEntryBytes, maxDepth: options.maxEntryDepth });
  return { entry: record.entry, rev: record.rev };
}

async function backUpLegacy(parent: SafeDir, layout: StoreLayout): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    const name = backupName(layout.legacyName, new Date()) + (attempt === 0 ? '' : `.${attempt}`);
    try {
      // link + unlink: a backup that already exists is never overwritten.
      await parent.renameNoReplace(layout.legacyName, name);
      await parent.sync();
      return `${parent.path}/${name}`;
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST' || attempt >= 100) throw error;
    }
  }
}

async function exists(dir: SafeDir, name: string): Promise<boolean> {
  try {
    await dir.stat(name);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

async function isDirectory(dir: SafeDir, name: string): Promise<boolean> {
  let stats;
  try {
    stats = await dir.stat(name);
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
