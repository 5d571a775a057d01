import { randomBytes } from 'node:crypto';
import { errnoCode, ensureRealDir, openDir, stableStringify, type SafeDir } from '../index.js';
import type { LockCallOptions } from './options.js';
import {
  defaultTimestamp,
  planRetention,
  type PlannedRemoval,
  type RemovalReason,
  type RetentionRule,
  type TimestampOf,
} from './retention-plan.js';

export {
  planRetention,
  defaultTimestamp,
  type RetentionRule,
  type RetentionPlan,
  type PlannedRemoval,
  type RemovalReason,
  type TimestampOf,
} from './retention-plan.js';

/**
 * What prune needs of a store: its public read and multi-key write. Every removal goes through
 * `updateMany`, so it takes the same locks, rev checks, change records and all-or-nothing
 * commit as any other write; prune adds no write path of its own.
 */
export interface PrunableStore<E> {
  /** Every entry, as {@link Store.loadAll} gives them (copies nothing). */
  loadAll(): Promise<Readonly<Record<string, E>>>;
  /** An all-or-nothing multi-key write, as {@link Store.updateMany}. */
  updateMany<R>(mutator: (record: Record<string, E>) => R | Promise<R>, call?: LockCallOptions): Promise<R>;
}

/** Where prune archives what it removes, and how long archives are kept. No retention by default: archives stay. */
export interface RetentionArchiveOptions {
  /** Directory receiving one JSON file per prune that removed something (created 0o700 if missing). */
  dir: string;
  /** Archive files older than this (by their mtime) are removed after each prune. */
  retentionMs?: number;
  /** Keep at most this many archive files (the newest). */
  maxArchives?: number;
}

/** Options of {@link prune} and {@link Store.prune}: the retention rule and how to apply it. */
export interface PruneOptions<E> extends RetentionRule {
  /** Pruned entries are written here before they are removed from the store. */
  archive?: RetentionArchiveOptions;
  /** The entry's timestamp in milliseconds; default its numeric `updatedAt`. */
  timestamp?: TimestampOf<E>;
  /** Clock for the age rule; default Date.now(). */
  now?: number;
  /** Plan and report only: nothing is archived or removed. */
  dryRun?: boolean;
  /** Lock options of the removal commit (the store's defaults otherwise). */
  lock?: LockCallOptions;
}

/** One entry prune removed. */
export interface PrunedEntry<E> {
  /** Its key. */
  key: string;
  /** The rule that removed it. */
  reason: RemovalReason;
  /** The entry as it was when removed. */
  entry: E;
}

/** What a prune did (or, with `dryRun`, would do). */
export interface PruneReport<E> {
  /** Entries in the store when the plan was made. */
  before: number;
  /** Entries after the removals (before minus removed; concurrent writers may have changed it since). */
  after: number;
  /** What was removed (or, with dryRun, what would be). */
  removed: PrunedEntry<E>[];
  /** Protected keys a rule would have removed. */
  spared: PlannedRemoval[];
  /** Planned removals skipped because a concurrent writer changed or removed the entry meanwhile. */
  skipped: string[];
  /** Archive file holding the removed entries. */
  archivePath?: string;
  /** Archive files removed by the archive's retention. */
  expiredArchives: string[];
}

const ARCHIVE_PREFIX = 'pruned-';
const ARCHIVE_SUFFIX = '.json';

/**
 * Removes the entries a retention rule selects, through the store's commit layer, archiving
 * them first when asked.
 *
 * The plan is made on a `loadAll()` view (which copies nothing); the commit then re-reads each
 * planned key and removes it only if its timestamp is still the one the plan judged, so an
 * entry another writer refreshed meanwhile survives. Ordering against a crash: the archive file
 * is durable before the commit starts, so a crash can leave an archived entry still in the
 * store (a duplicate), never a removed entry missing from the archive.
 *
 * Refuses: a TypeError for a bad rule (see planRetention); for the archive directory, what
 * ensureRealDir refuses (ESYMLINK, ENOTDIR, EINSECURE); for the removal, what
 * {@link Store.updateMany} refuses (ELOCKED …). Nothing is removed when it throws, unless the
 * error is possiblyApplied.
 */
export async function prune<E>(store: PrunableStore<E>, options: PruneOptions<E>): Promise<PruneReport<E>> {
  const timestampOf: TimestampOf<E> = options.timestamp ?? defaultTimestamp;
  const view = await store.loadAll();
  const keys = Object.keys(view);
  const plan = planRetention(
    keys.map((key) => [key, view[key] as E] as const),
    options,
    options.now ?? Date.now(),
    timestampOf,
  );
  const planned = plan.remove.map((removal) => ({ ...removal, entry: view[removal.key] as E }));
  const report: PruneReport<E> = {
    before: keys.length,
    after: keys.length,
    removed: [],
    spared: plan.spared,
    skipped: [],
    expiredArchives: [],
  };
  if (options.dryRun === true) {
    report.removed = planned.map(({ key, reason, entry }) => ({ key, reason, entry }));
    report.after = keys.length - planned.length;
    return report;
  }
  if (planned.length === 0) {
    if (options.archive !== undefined) report.expiredArchives = await expireArchives(options.archive);
    return report;
  }

  const archive = options.archive === undefined ? undefined : { dir: await openArchive(options.archive), name: newArchiveName() };
  // Count removals are planned only under a maxEntries rule.
  const cap = options.maxEntries ?? Number.POSITIVE_INFINITY;
  let committed = false;
  try {
    if (archive !== undefined) await archive.dir.writeFileAtomic(archive.name, archiveText(planned));
    const outcome = await store.updateMany((record) => {
      const removed: PrunedEntry<E>[] = [];
      const skipped: string[] = [];
      let count = Object.keys(record).length;
      for (const removal of planned) {
        const current = record[removal.key];
        if (current === undefined || timestampOf(current) !== removal.timestamp) {
          skipped.push(removal.key);
          continue;
        }
        // A count removal only while the store is still over the cap (other writers may have
        // removed entries since the plan).
        if (removal.reason === 'count' && count <= cap) {
          skipped.push(removal.key);
          continue;
        }
        Reflect.deleteProperty(record, removal.key);
        count -= 1;
        removed.push({ key: removal.key, reason: removal.reason, entry: current });
      }
      return { removed, skipped };
    }, options.lock ?? {});
    committed = true;
    report.removed = outcome.removed;
    report.skipped = outcome.skipped;
    report.after = keys.length - outcome.removed.length;
    if (archive !== undefined) {
      if (outcome.removed.length === 0) {
        await archive.dir.unlink(archive.name);
      } else {
        // Rewritten when the commit removed fewer than were archived, so the archive says
        // exactly what left the store.
        if (outcome.removed.length !== planned.length) await archive.dir.writeFileAtomic(archive.name, archiveText(outcome.removed));
        report.archivePath = `${archive.dir.path}/${archive.name}`;
      }
    }
  } catch (error) {
    // updateMany is all-or-nothing: when it failed, nothing was removed, and an archive file
    // would claim removals that did not happen. After the commit, the archive (a superset of
    // what was removed) stays.
    if (!committed && archive !== undefined) {
      await archive.dir.unlink(archive.name).catch((unlinkError: unknown) => {
        if (errnoCode(unlinkError) !== 'ENOENT') throw unlinkError;
      });
    }
    throw error;
  } finally {
    await archive?.dir.close();
  }
  if (options.archive !== undefined) report.expiredArchives = await expireArchives(options.archive);
  return report;
}

async function openArchive(options: RetentionArchiveOptions): Promise<SafeDir> {
  await ensureRealDir(options.dir); // created 0o700, ensureRealDir's default
  return openDir(options.dir);
}

let archiveSequence = 0;

function newArchiveName(): string {
  archiveSequence += 1;
  // Sortable by time; pid, a sequence and random bytes keep two prunes in one millisecond apart.
  const stamp = new Date().toISOString().replaceAll(':', '-');
  return `${ARCHIVE_PREFIX}${stamp}-${process.pid}-${archiveSequence}-${randomBytes(3).toString('hex')}${ARCHIVE_SUFFIX}`;
}

function archiveText(removed: readonly { key: string; reason: RemovalReason; entry: unknown }[]): string {
  return `${stableStringify({
    v: 1,
    removedAt: new Date().toISOString(),
    entries: removed.map(({ key, reason, entry }) => ({ key, reason, entry })),
  })}\n`;
}

/** Whether `name` is one of prune's archive files (`pruned-<time>-….json`), the only files expireArchives removes. */
export function isArchiveFileName(name: string): boolean {
  return name.startsWith(ARCHIVE_PREFIX) && name.endsWith(ARCHIVE_SUFFIX);
}

/** Applies an archive directory's retention (age, then count). Resolves to the names removed. */
export async function expireArchives(options: RetentionArchiveOptions): Promise<string[]> {
  if (options.retentionMs === undefined && options.maxArchives === undefined) return [];
  let dir: SafeDir;
  try {
    dir = await openDir(options.dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  try {
    const now = Date.now();
    const files: { name: string; mtimeMs: number }[] = [];
    for (const entry of await dir.entries()) {
      if (entry.type !== 'file' || !isArchiveFileName(entry.name)) continue;
      try {
        files.push({ name: entry.name, mtimeMs: (await dir.lstat(entry.name)).mtimeMs });
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
      }
    }
    // Newest name first; names in one directory are distinct, so none compare equal.
    files.sort((a, b) => (a.name < b.name ? 1 : -1));
    const maxAgeMs = options.retentionMs ?? Number.POSITIVE_INFINITY;
    const maxCount = options.maxArchives ?? Number.POSITIVE_INFINITY;
    const expired = files.filter((file, index) => now - file.mtimeMs > maxAgeMs || index >= maxCount);
    for (const file of expired) {
      await dir.unlink(file.name).catch((error: unknown) => {
        if (errnoCode(error) !== 'ENOENT') throw error;
      });
    }
    return expired.map((file) => file.name);
  } finally {
    await dir.close();
  }
}
