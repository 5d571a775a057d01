import { randomBytes } from 'node:crypto';
import {
  HardfsError,
  KeyedMutex,
  errnoCode,
  isHardfsError,
  isTempFileName,
  openDir,
  parseJsonSafe,
  withFileLock,
  type ChangeLog,
  type ChangeLogCursor,
  type SafeDir,
} from '../index.js';
import { ChangeTracker, type SessionRecord } from './change-tracker.js';
import { Snapshot, type StoredEntry } from './snapshot.js';
import {
  MAX_SNAPSHOT_BYTES,
  parseSnapshotBody,
  readSnapshotFile,
  readSnapshotHeader,
  writeSnapshotFile,
} from './snapshot-file.js';
import { freezeEntry } from './freeze-entry.js';
import {
  assertStorableEntry,
  entryFileName,
  normalizeStoreKey,
  parseRecord,
  serializeEntry,
  serializeRecord,
  type EntryRecord,
  type SessionEntry,
} from './entry-record.js';
import { LOCKS_DIR, QUARANTINE_DIR, SNAPSHOT_FILE, STAMP_FILE, isEntryFileName, isSafeEntryFileName, storeLayout, type StoreLayout } from './layout.js';
import { migrateWithParent, removeLeftoverStaging } from './migration.js';
import { resolveStoreOptions, type ResolvedStoreOptions, type SessionStoreOptions } from './options.js';
import { ALL_CHANGED, changeRecordFor, openStoreChangeLog } from './change-records.js';

export type EntryMutator<E extends SessionEntry> = (current: E | undefined) => E | undefined | Promise<E | undefined>;
export type StoreMutator<E extends SessionEntry, R> = (store: SessionRecord<E>) => R | Promise<R>;

/** What this process has cached, and how far into the change log it is up to date. */
interface CacheState<E extends SessionEntry> {
  cursor: ChangeLogCursor;
  view: Snapshot<E>;
  /** Entry files whose lock file existed at the last refresh: a commit may have been under way. */
  inFlight: ReadonlySet<string>;
}

interface LoadedRecord<E extends SessionEntry> {
  record: EntryRecord<E>;
  entryJson: string;
}

export class SessionStore<E extends SessionEntry = SessionEntry> {
  readonly #layout: StoreLayout;
  readonly #options: ResolvedStoreOptions;
  readonly #parent: SafeDir;
  readonly #dir: SafeDir;
  readonly #locks: SafeDir;
  readonly #changes: ChangeLog;
  readonly #mutex = new KeyedMutex();
  #cache: CacheState<E> | undefined;
  /** Files to re-read at the next refresh whatever the log says (found changed by a commit check). */
  readonly #suspect = new Set<string>();
  #queuedRefresh: Promise<Snapshot<E>> | undefined;
  /** Generation of the change log the snapshot file was last known to belong to. */
  #snapshotGeneration: string | undefined;
  #replaceSnapshot = false;
  #refreshes: Promise<unknown> = Promise.resolve();
  #closed = false;

  /** @internal Use openSessionStore(). */
  constructor(
    layout: StoreLayout,
    options: ResolvedStoreOptions,
    parent: SafeDir,
    dir: SafeDir,
    locks: SafeDir,
    changes: ChangeLog,
  ) {
    this.#layout = layout;
    this.#options = options;
    this.#parent = parent;
    this.#dir = dir;
    this.#locks = locks;
    this.#changes = changes;
  }

  get storePath(): string {
    return this.#layout.storePath;
  }

  /** Absolute path of the store directory (`<dir>/sessions.d`). */
  get directoryPath(): string {
    return this.#dir.path;
  }

  /** One entry, read from its own file: O(1) in the store size. A fresh, mutable copy. */
  async get(key: string): Promise<E | undefined> {
    this.#assertOpen();
    const normalized = normalizeStoreKey(key, this.#options.normalizeKey);
    return (await this.#readRecord(entryFileName(normalized)))?.record.entry;
  }

  /** `updatedAt` of one entry (undefined when absent or not a number): O(1) in the store size. */
  async getUpdatedAt(key: string): Promise<number | undefined> {
    const entry = await this.get(key);
    const updatedAt = entry?.updatedAt;
    return typeof updatedAt === 'number' ? updatedAt : undefined;
  }

  /**
   * Every entry, as a frozen null-prototype record of frozen entries (nested values are shared
   * with the cache: treat them as read-only; change data through update/updateMany). The
   * snapshot is cached but revalidated against the change log on every call, so a commit in any
   * process is visible to the very next call here; only the entries named since the last call
   * are read again.
   */
  async loadAll(): Promise<Readonly<Record<string, E>>> {
    this.#assertOpen();
    return (await this.#currentView()).record();
  }

  /**
   * Read-modify-write of one key under its in-process and cross-process lock. The mutator gets
   * a fresh copy of the current entry (or undefined) and returns the new entry; returning
   * undefined keeps the current entry (mutated in place, if it was). Nothing is written when
   * the entry did not change. Resolves to the stored entry.
   */
  async update(key: string, mutator: EntryMutator<E>): Promise<E | undefined> {
    this.#assertOpen();
    if (typeof mutator !== 'function') throw new TypeError('mutator must be a function');
    const normalized = normalizeStoreKey(key, this.#options.normalizeKey);
    const fileName = entryFileName(normalized);
    return this.#withKeyLocks([normalized], async () => {
      const current = await this.#readRecord(fileName);
      const currentEntry = current?.record.entry;
      const returned = await mutator(currentEntry);
      const next = returned === undefined ? currentEntry : returned;
      if (next === undefined) return undefined;
      assertStorableEntry(next, normalized);
      const entryJson = serializeEntry(next, this.#options.maxEntryDepth);
      if (current !== undefined && current.entryJson === entryJson) return next;
      await this.#writeRecord(fileName, normalized, (current?.record.rev ?? 0) + 1, entryJson, true);
      await this.#recordChange([fileName]);
      return next;
    });
  }

  /**
   * Multi-key update. The mutator gets a record that looks like the whole store but copies an
   * entry only when touched; only keys whose content changed are written, under their locks
   * taken in a fixed order. If another writer committed one of those keys after the snapshot
   * the mutator saw, the mutator runs again on fresh data (optimistic concurrency), so no
   * concurrent update is ever lost. Resolves to what the mutator returned.
   */
  async updateMany<R>(mutator: StoreMutator<E, R>): Promise<R> {
    this.#assertOpen();
    if (typeof mutator !== 'function') throw new TypeError('mutator must be a function');
    for (let attempt = 0; attempt <= this.#options.maxUpdateRetries; attempt += 1) {
      const view = await this.#currentView();
      const tracker = new ChangeTracker<E>(view, (entry) => this.#copyEntry(entry));
      const result = await mutator(tracker.record);
      const writes = this.#plannedWrites(tracker, view);
      if (writes.length === 0) return result;
      const committed = await this.#withKeyLocks(
        writes.map((write) => write.key),
        () => this.#commitIfUnchanged(writes),
      );
      if (committed) return result;
    }
    throw new HardfsError(
      'ELOCKED',
      `updateMany gave up after ${this.#options.maxUpdateRetries + 1} attempts: concurrent writers kept changing the same keys`,
      { path: this.#dir.path },
    );
  }

  /** Removes one entry under its locks. Resolves to whether it existed. */
  async delete(key: string): Promise<boolean> {
    this.#assertOpen();
    const normalized = normalizeStoreKey(key, this.#options.normalizeKey);
    const fileName = entryFileName(normalized);
    return this.#withKeyLocks([normalized], async () => {
      // Read first: a corrupt or mismatched file is quarantined (and reported), never deleted
      // silently as if it were this key's entry.
      if ((await this.#readRecord(fileName)) === undefined) return false;
      try {
        await this.#dir.unlink(fileName);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return false;
        throw error;
      }
      if (this.#options.fsync) await this.#dir.sync();
      await this.#recordChange([fileName]);
      return true;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache = undefined;
    await this.#changes.close();
    await this.#locks.close();
    await this.#dir.close();
    await this.#parent.close();
  }

  // ---------------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new HardfsError('ECLOSED', 'session store is closed', { path: this.#layout.storePath });
  }

  #copyEntry(entry: E): E {
    return parseJsonSafe(serializeEntry(entry, this.#options.maxEntryDepth), {
      maxDepth: this.#options.maxEntryDepth + 1,
      maxBytes: Number.MAX_SAFE_INTEGER,
    }) as E;
  }

  #plannedWrites(tracker: ChangeTracker<E>, view: Snapshot<E>): PlannedWrite[] {
    const byKey = new Map<string, PlannedWrite>();
    for (const change of tracker.changes()) {
      const key = normalizeStoreKey(change.key, this.#options.normalizeKey);
      if (change.key !== key && view.has(change.key)) {
        // Snapshot keys are normalized already; this can only be a caller-added variant.
        throw new TypeError(`key ${JSON.stringify(change.key)} is not normalized`);
      }
      let entryJson: string | undefined;
      if (change.value !== undefined) {
        assertStorableEntry(change.value, key);
        entryJson = serializeEntry(change.value, this.#options.maxEntryDepth);
      }
      const originalJson =
        change.original === undefined ? undefined : serializeEntry(change.original, this.#options.maxEntryDepth);
      if (entryJson === originalJson) continue;
      if (byKey.has(key)) {
        throw new TypeError(`keys ${JSON.stringify(change.key)} and ${JSON.stringify(byKey.get(key)?.rawKey)} normalize to the same key`);
      }
      byKey.set(key, {
        key,
        rawKey: change.key,
        entryJson,
        expectedRev: view.stored(key)?.rev ?? 0,
        expectedJson: view.has(key) ? originalJson : undefined,
      });
    }
    return [...byKey.values()];
  }

  async #commitIfUnchanged(writes: PlannedWrite[]): Promise<boolean> {
    const current = await Promise.all(writes.map((write) => this.#readRecord(entryFileName(write.key))));
    for (const [index, write] of writes.entries()) {
      // rev alone is not enough: a key deleted and re-created meanwhile starts again at rev 1.
      const now = current[index];
      if ((now?.record.rev ?? 0) !== write.expectedRev || now?.entryJson !== write.expectedJson) {
        // Re-read it at the next refresh even if no change record names it (a writer that died
        // between its rename and its record leaves exactly this).
        this.#suspect.add(entryFileName(write.key));
        return false;
      }
    }
    for (const [index, write] of writes.entries()) {
      const fileName = entryFileName(write.key);
      if (write.entryJson === undefined) {
        await this.#dir.unlink(fileName).catch((error: unknown) => {
          if (errnoCode(error) !== 'ENOENT') throw error;
        });
      } else {
        await this.#writeRecord(fileName, write.key, (current[index]?.record.rev ?? 0) + 1, write.entryJson, false);
      }
    }
    // One directory fsync covers every rename and unlink above.
    if (this.#options.fsync) await this.#dir.sync();
    await this.#recordChange(writes.map((write) => entryFileName(write.key)));
    return true;
  }

  async #writeRecord(fileName: string, key: string, rev: number, entryJson: string, syncDirectory: boolean): Promise<void> {
    const text = serializeRecord(key, rev, entryJson);
    if (Buffer.byteLength(text) > this.#options.maxEntryBytes) {
      throw new HardfsError('ETOOBIG', `entry is over the ${this.#options.maxEntryBytes}-byte bound`, { path: key });
    }
    // exactMode: false — 0o600 can only be narrowed by a umask, never widened; skipping the
    // fchmod saves one of the few syscalls a commit makes besides its two fsyncs.
    await this.#dir.writeFileAtomic(fileName, text, {
      fsync: this.#options.fsync,
      syncDirectory: syncDirectory && this.#options.fsync,
      exactMode: false,
    });
  }

  async #readRecord(fileName: string): Promise<LoadedRecord<E> | undefined> {
    let bytes: Buffer;
    try {
      bytes = await this.#dir.readFile(fileName, { maxBytes: this.#options.maxEntryBytes });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      if (isQuarantinable(error)) {
        await this.#quarantine(fileName, error);
        return undefined;
      }
      throw error;
    }
    return this.#parseOrQuarantine(bytes, fileName);
  }

  async #parseOrQuarantine(bytes: Buffer, fileName: string): Promise<LoadedRecord<E> | undefined> {
    const record = await this.#parseRecordOrQuarantine(bytes, fileName);
    return record === undefined ? undefined : { record, entryJson: serializeEntry(record.entry, this.#options.maxEntryDepth) };
  }

  async #parseRecordOrQuarantine(bytes: Buffer, fileName: string): Promise<EntryRecord<E> | undefined> {
    try {
      return parseRecord<E>(bytes, fileName, {
        maxBytes: this.#options.maxEntryBytes,
        maxDepth: this.#options.maxEntryDepth,
      });
    } catch (error) {
      if (!isQuarantinable(error)) throw error;
      await this.#quarantine(fileName, error);
      return undefined;
    }
  }

  async #quarantine(fileName: string, reason: unknown): Promise<void> {
    const quarantine = await this.#dir.openSubdir(QUARANTINE_DIR, { create: true, mode: 0o700 });
    // Random bytes too: two bad files of one name quarantined in the same millisecond must not
    // overwrite each other's copy.
    const target = `${fileName}.${Date.now()}.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      await this.#dir.rename(fileName, target, { targetDir: quarantine });
      await this.#recordChange([fileName]);
      this.#options.logger.warn(`hardfs session store: quarantined ${fileName}`, {
        file: `${this.#dir.path}/${fileName}`,
        movedTo: `${quarantine.path}/${target}`,
        reason: reason instanceof Error ? reason.message : String(reason),
      });
    } catch (error) {
      // Another reader quarantined (or a writer replaced) it first: nothing left to move.
      if (errnoCode(error) !== 'ENOENT') throw error;
    } finally {
      await quarantine.close();
    }
  }

  // One refresh at a time per store object: a refresh that starts after a call began reflects
  // every commit that finished before it, so callers arriving while one runs share the next.
  #currentView(): Promise<Snapshot<E>> {
    if (this.#queuedRefresh !== undefined) return this.#queuedRefresh;
    const refresh = this.#refreshes.then(() => {
      this.#queuedRefresh = undefined;
      return this.#refresh();
    });
    this.#queuedRefresh = refresh;
    this.#refreshes = refresh.catch(() => undefined);
    return refresh;
  }

  /**
   * Brings the cache up to date. Order matters: the log position is taken first, then the lock
   * directory is listed, then files are read; a commit finishing after any step is named after
   * the position taken, so the next refresh sees it. Re-read besides the files the log names:
   * files locked now or at the last refresh (a commit under way, or one whose writer died
   * between its rename and its change record, which leaves its lock file behind).
   */
  async #refresh(): Promise<Snapshot<E>> {
    this.#assertOpen();
    const cached = this.#cache ?? (await this.#seedFromSnapshotFile());
    const read = await this.#changes.read(cached?.cursor);
    const named = read.reset || cached === undefined ? undefined : this.#namedFiles(read.records);
    const inFlight = await this.#lockedEntryFiles();
    let view: Snapshot<E>;
    if (cached === undefined || named === undefined) {
      this.#suspect.clear();
      const loaded = await this.#readAll();
      view = loaded.view;
      if (loaded.files !== undefined) await this.#saveSnapshotFile(read.cursor, inFlight, loaded.files);
    } else {
      for (const name of [...cached.inFlight, ...inFlight, ...this.#suspect]) named.add(name);
      this.#suspect.clear();
      const changes = new Map<string, StoredEntry<E> | undefined>();
      for (const name of named) changes.set(name, await this.#loadEntryFile(name));
      view = cached.view.with(changes);
    }
    if (!this.#closed) this.#cache = { cursor: read.cursor, view, inFlight };
    return view;
  }

  /** Entry files named by change records; undefined when everything must be read again. */
  #namedFiles(records: readonly string[]): Set<string> | undefined {
    const names = new Set<string>();
    for (const record of records) {
      if (record === ALL_CHANGED) return undefined;
      for (const name of record.split('/')) {
        if (!isSafeEntryFileName(name)) {
          this.#options.logger.warn('hardfs session store: a change record names no entry file; reloading every entry', {
            file: this.#changes.path,
          });
          return undefined;
        }
        names.add(name);
      }
    }
    return names;
  }

  async #lockedEntryFiles(): Promise<Set<string>> {
    const locked = new Set<string>();
    for (const name of await this.#locks.list()) {
      if (!name.endsWith(LOCK_SUFFIX)) continue;
      const entryFile = name.slice(0, -LOCK_SUFFIX.length);
      if (isSafeEntryFileName(entryFile)) locked.add(entryFile);
    }
    return locked;
  }

  // The files changed already; a record that cannot be appended would leave other processes'
  // caches stale, so fall back to rotating the log (every cache rebuilds). Only if that fails
  // too does the caller hear of it — with the entry committed on disk.
  async #recordChange(fileNames: string[]): Promise<void> {
    try {
      await this.#changes.append(changeRecordFor(fileNames));
    } catch (error) {
      try {
        await this.#changes.rotate();
      } catch {
        throw error;
      }
      this.#options.logger.warn('hardfs session store: could not append to the change log; rotated it instead', {
        file: this.#changes.path,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Every entry file; with their bytes, for the snapshot file, unless that would be too large. */
  async #readAll(): Promise<{ view: Snapshot<E>; files: Buffer[] | undefined }> {
    const base = new Map<string, StoredEntry<E>>();
    let files: Buffer[] | undefined = [];
    let totalBytes = 0;
    for (const dirent of await this.#dir.entries()) {
      if (!isEntryFileName(dirent.name)) continue;
      if (dirent.type !== 'file') {
        await this.#quarantine(dirent.name, new HardfsError('EINSECURE', `not a regular file (${dirent.type})`));
        continue;
      }
      const loaded = await this.#loadEntryFileBytes(dirent.name);
      if (loaded === undefined) continue;
      base.set(dirent.name, loaded.stored);
      totalBytes += loaded.bytes.byteLength;
      if (totalBytes > MAX_SNAPSHOT_BYTES) files = undefined;
      files?.push(loaded.bytes);
    }
    return { view: new Snapshot(base), files: files?.length === 0 ? undefined : files };
  }

  /**
   * A newly opened store starts from `.snapshot` when it belongs to the change log's current
   * generation (checked on its header before the body is read); the refresh that follows
   * applies the change records appended since. Anything unusable is reported and ignored.
   */
  async #seedFromSnapshotFile(): Promise<CacheState<E> | undefined> {
    try {
      const header = await readSnapshotHeader(this.#dir);
      if (header === undefined || (await this.#changes.read(header.cursor)).reset) return undefined;
      const file = readSnapshotFile(this.#dir);
      if (file === undefined) return undefined;
      const base = parseSnapshotBody<E>(file.body, this.#options, freezeEntry);
      this.#snapshotGeneration = file.header.cursor.generation;
      return { cursor: file.header.cursor, view: new Snapshot(base), inFlight: new Set(file.header.inFlight) };
    } catch (error) {
      if (!isQuarantinable(error)) throw error;
      this.#replaceSnapshot = true; // or every process opened later would trip over it again
      this.#options.logger.warn('hardfs session store: ignored an unusable snapshot; reading every entry file', {
        file: `${this.#dir.path}/${SNAPSHOT_FILE}`,
        reason: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    }
  }

  /** Saves what a full load read, once per change-log generation (it is a cache: failures only warn). */
  async #saveSnapshotFile(cursor: ChangeLogCursor, inFlight: ReadonlySet<string>, files: Buffer[]): Promise<void> {
    if (this.#snapshotGeneration === cursor.generation) return;
    try {
      const existing = this.#replaceSnapshot ? undefined : await readSnapshotHeader(this.#dir).catch(() => undefined);
      if (existing?.cursor.generation !== cursor.generation) {
        await writeSnapshotFile(this.#dir, { cursor, inFlight: [...inFlight] }, files);
      }
      this.#snapshotGeneration = cursor.generation;
      this.#replaceSnapshot = false;
    } catch (error) {
      this.#options.logger.warn('hardfs session store: could not save the snapshot', {
        file: `${this.#dir.path}/${SNAPSHOT_FILE}`,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** One entry file for the cache: undefined when it is gone or was quarantined. */
  async #loadEntryFile(fileName: string): Promise<StoredEntry<E> | undefined> {
    return (await this.#loadEntryFileBytes(fileName))?.stored;
  }

  async #loadEntryFileBytes(fileName: string): Promise<{ stored: StoredEntry<E>; bytes: Buffer } | undefined> {
    let bytes: Buffer;
    try {
      // Synchronous on purpose: thousands of small reads cost far more in thread-pool round
      // trips than in the syscalls themselves.
      bytes = this.#dir.readFileSync(fileName, { maxBytes: this.#options.maxEntryBytes });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      if (!isQuarantinable(error)) throw error;
      await this.#quarantine(fileName, error);
      return undefined;
    }
    const record = await this.#parseRecordOrQuarantine(bytes, fileName);
    if (record === undefined) return undefined;
    return { stored: { key: record.key, entry: freezeEntry(record.entry), rev: record.rev }, bytes };
  }

  // Locks are taken in sorted key order, in-process first then cross-process, so two
  // multi-key commits can never wait on each other in a cycle.
  async #withKeyLocks<T>(keys: string[], body: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const lockOptions = { staleMs: this.#options.lockStaleMs, timeoutMs: this.#options.lockTimeoutMs };
    const acquire = (index: number): Promise<T> => {
      const key = sorted[index];
      if (key === undefined) return body();
      return this.#mutex.runExclusive(key, () =>
        withFileLock(this.#locks, lockFileName(key), () => acquire(index + 1), lockOptions),
      );
    };
    return acquire(0);
  }
}

interface PlannedWrite {
  key: string;
  rawKey: string;
  /** Canonical JSON of the new entry; undefined deletes the key. */
  entryJson: string | undefined;
  /** The rev the mutator saw (0: absent). The commit happens only if it is still current. */
  expectedRev: number;
  /** Canonical JSON of the entry the mutator saw (undefined: absent); must still match too. */
  expectedJson: string | undefined;
}

const LOCK_SUFFIX = '.lock';

function lockFileName(key: string): string {
  return `${entryFileName(key)}${LOCK_SUFFIX}`;
}

function isQuarantinable(error: unknown): boolean {
  return (
    isHardfsError(error) &&
    (error.code === 'ECORRUPT' ||
      error.code === 'EDEPTH' ||
      error.code === 'ETOOBIG' ||
      error.code === 'EINSECURE' ||
      error.code === 'ESYMLINK' ||
      error.code === 'EBADNAME')
  );
}

/**
 * Opens (creating if needed) the directory store named by its legacy path `<dir>/sessions.json`:
 * the directory is `<dir>/sessions.d/`. A legacy file found beside it is migrated first.
 */
export async function openSessionStore<E extends SessionEntry = SessionEntry>(
  storePath: string,
  options: SessionStoreOptions = {},
): Promise<SessionStore<E>> {
  const layout = storeLayout(storePath);
  const resolved = resolveStoreOptions(options);
  const parent = await openDir(layout.parentPath);
  let dir: SafeDir | undefined;
  let locks: SafeDir | undefined;
  let changes: ChangeLog | undefined;
  try {
    if (resolved.migrateOnOpen) {
      await migrateWithParent(parent, layout, resolved);
    }
    await removeLeftoverStaging(parent, layout, resolved);
    dir = await parent.openSubdir(layout.dirName, { create: true, mode: 0o700 });
    locks = await dir.openSubdir(LOCKS_DIR, { create: true, mode: 0o700 });
    await sweepStaleTempFiles(dir, resolved);
    changes = await openStoreChangeLog(dir, resolved.logger);
    return new SessionStore<E>(layout, resolved, parent, dir, locks, changes);
  } catch (error) {
    await changes?.close();
    await locks?.close();
    await dir?.close();
    await parent.close();
    throw error;
  }
}

async function sweepStaleTempFiles(dir: SafeDir, options: ResolvedStoreOptions): Promise<void> {
  const now = Date.now();
  for (const entry of await dir.entries()) {
    if (entry.type !== 'file' || !isTempFileName(entry.name)) continue;
    try {
      const stats = await dir.stat(entry.name);
      // A young temp file may belong to a writer in another process that is about to rename it.
      if (now - stats.mtimeMs < options.staleTempMs) continue;
      await dir.unlink(entry.name);
      options.logger.warn('hardfs session store: removed a temp file left by a crash', {
        file: `${dir.path}/${entry.name}`,
      });
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
}

export { STAMP_FILE };
