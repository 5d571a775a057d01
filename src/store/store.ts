import { resolve } from 'node:path';
import { stat as statPath } from 'node:fs/promises';
import {
  HardfsError,
  acquireFileLock,
  ensureRealDir,
  errnoCode,
  isHardfsError,
  openDir,
  openDirSync,
  parseJsonSafe,
  type ChangeLog,
  type FileLock,
  type SafeDir,
} from '../index.js';
import { CoherentCache } from './cache.js';
import { ChangeTracker, type StoreRecord } from './change-tracker.js';
import { openStoreChangeLog } from './change-records.js';
import { CommitLayer, drainSharedCommits, type PlannedWrite } from './commit.js';
import { DELETE } from './delete-sentinel.js';
import { EntryFiles, type LoadedRecord } from './entry-files.js';
import { assertStorableEntry, entryFileName, isPlainEntry, normalizeStoreKey, serializeEntry, type StoreEntry } from './entry-record.js';
import { freezeEntry } from './freeze-entry.js';
import { describeOwner, parseOwnerRecord } from '../locks/owner-record.js';
import { currentProcessIdentity } from '../locks/process-identity.js';
import { CHANGES_FILE, LOCKS_DIR, WRITER_LOCK, intentIdOf, stagedIdOf } from './layout.js';
import { assertLocalFilesystem, assertLocalFilesystemSync } from './network-fs.js';
import { openChangeLogSync } from '../change-log/index.js';
import { resolveStoreOptions, type LockCallOptions, type ResolvedStoreOptions, type StoreOptions } from './options.js';
import { verifyStore, type VerifyReport } from './verify.js';
import { prune, type PruneOptions, type PruneReport } from './retention.js';
import { ALL_KEYS, WriteQueue, type KeyClaim } from './write-queue.js';
import type { StoreView } from './view.js';

/**
 * The function {@link Store.update} calls with a fresh, mutable copy of the key's entry (or
 * undefined): return the new entry, `undefined` to keep the current one (as mutated in place),
 * or {@link DELETE} to remove it. It may be async; a throw aborts the update (nothing written).
 */
export type EntryMutator<E extends StoreEntry> = (
  current: E | undefined,
) => E | undefined | typeof DELETE | Promise<E | undefined | typeof DELETE>;
/**
 * The function {@link Store.updateMany} calls with a record of the whole store (entries copied
 * lazily, when read). What it returns is what updateMany resolves to; a throw aborts the
 * commit. It may run more than once (see updateMany), so it should have no other side effects.
 */
export type RecordMutator<E extends StoreEntry, R> = (record: StoreRecord<E>) => R | Promise<R>;

/** What commit()'s decide function sees of one key: its entry (a fresh copy) and rev, or undefined. */
export interface CurrentEntry<E extends StoreEntry> {
  /** The entry (after `transformEntry`), a copy the caller may change. */
  entry: E;
  /** The entry file's revision: 1 for a new key, one more at each write. */
  rev: number;
}

/** Options of {@link Store.loadAll} and {@link Store.loadAllSync}. */
export interface LoadAllOptions {
  /**
   * false (default): the entries record shared by every caller until the next commit — frozen,
   * null-prototype, entries frozen one level deep (nested values are shared: treat them as
   * read-only). true: a mutable plain-object copy (ordinary prototype), made by one
   * serialize-and-parse of every entry: cost proportional to the store size on every call.
   */
  copy?: boolean;
}

/**
 * A keyed JSON store on a directory: one file per key, written only through the commit layer,
 * read through the coherent cache (see cache.ts for the ordering invariant). Made by
 * {@link openStore}.
 *
 * Refusals common to every method (each a HardfsError): ECLOSED after close(), or once the
 * store directory was removed or replaced behind it (open it again); EBADNAME for a key that is
 * not a string, is empty after `normalizeKey`, is a blocked object key (`__proto__` …) or holds
 * a lone surrogate. Writes also refuse: ELOCKED when the key (or, for updateMany, any writer in
 * this process) stays busy past `lockTimeoutMs`, or while another process is the exclusive
 * writer; ETOOBIG for an entry file over `maxEntryBytes`; for the entry itself, a TypeError when
 * it is not a plain JSON object or holds what JSON cannot carry, EBADNAME for a blocked key at
 * any depth, ECYCLE, EDEPTH past `maxEntryDepth`. A write error with `possiblyApplied: true`
 * ({@link isPossiblyApplied}) may have taken effect; any other write error means it did not.
 * Reads refuse ETOOBIG when the entries total more than `maxTotalEntryBytes`. A file that is
 * not a valid entry is moved to `.quarantine/` (told to the logger) and reads as absent. A
 * store opened by openStoreSync is read-only: its writes and verify are EUNSUPPORTED.
 */
export class Store<E extends StoreEntry = StoreEntry> {
  readonly #path: string;
  readonly #options: ResolvedStoreOptions;
  readonly #dir: SafeDir;
  #locks: SafeDir | undefined;
  readonly #changes: ChangeLog;
  readonly #files: EntryFiles;
  readonly #commitLayer: CommitLayer | undefined;
  /** Opened by openStoreSync: reads only, nothing created or changed on disk. */
  readonly #readOnly: boolean;
  readonly #cache: CoherentCache<E>;
  readonly #queue = new WriteQueue();
  readonly #writerLock: FileLock | undefined;
  #closed = false;
  #closeReason: string | undefined;

  /** @internal Use openStore(). */
  constructor(
    path: string,
    options: ResolvedStoreOptions,
    dir: SafeDir,
    locks: SafeDir | undefined,
    changes: ChangeLog,
    writerLock: FileLock | undefined,
    readOnly = false,
  ) {
    this.#path = path;
    this.#options = options;
    this.#dir = dir;
    this.#locks = locks;
    this.#changes = changes;
    this.#writerLock = writerLock;
    this.#readOnly = readOnly;
    this.#files = new EntryFiles(dir, options);
    if (readOnly) {
      this.#files.quarantineBadFiles = false;
    } else {
      if (locks === undefined) throw new TypeError('a writable store needs its .locks directory');
      this.#commitLayer = new CommitLayer(dir, locks, this.#files, changes, options, () => this.#assertWritable());
      this.#files.onQuarantined = (fileName) => this.#commit.announce([fileName]);
    }
    this.#cache = new CoherentCache<E>(dir, () => this.#locksNow(), this.#files, changes, () => this.#commit, options, (entry, key) =>
      freezeEntry(this.#transform(entry, key)),
    );
  }

  get #commit(): CommitLayer {
    if (this.#commitLayer === undefined) throw readOnlyError(this.#path);
    return this.#commitLayer;
  }

  /** `.locks/`, looked up again by a read-only store until some writer has created it. */
  #locksNow(): SafeDir | undefined {
    if (this.#locks !== undefined || !this.#readOnly) return this.#locks;
    this.#locks = openLocksIfThere(this.#dir);
    return this.#locks;
  }

  /** True for a store opened by openStoreSync (reads only; writes are EUNSUPPORTED). */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /** Absolute path of the store directory. */
  get path(): string {
    return this.#path;
  }

  /** The `writer` mode the store was opened with (default 'shared'); see {@link StoreOptions.writer}. */
  get writer(): 'shared' | 'exclusive' {
    return this.#options.writer;
  }

  /** One entry, read from its own file: O(1) in the store size. A fresh, mutable copy. */
  async get(key: string): Promise<E | undefined> {
    this.#assertOpen();
    if (this.#readOnly) {
      const entry = this.getSync(key);
      return entry === undefined ? undefined : this.#copyEntry(entry);
    }
    const fileName = entryFileName(this.#key(key));
    return this.#guard(async () => {
      const record = (await this.#readWhole(fileName))?.record;
      return record?.entry === undefined ? undefined : this.#transform(record.entry, record.key);
    });
  }

  /**
   * get(), synchronously, from the same coherent cache: the change log is read synchronously and
   * only the files named since the last look are read (readFileSync). Frozen like loadAll's entries.
   */
  getSync(key: string): Readonly<E> | undefined {
    this.#assertOpen();
    return this.#cache.currentSync().get(this.#key(key));
  }

  /** Whether a key has an entry (from the cache: copies nothing). */
  async has(key: string): Promise<boolean> {
    this.#assertOpen();
    const normalized = this.#key(key);
    if (this.#readOnly) return this.#cache.currentSync().has(normalized);
    return this.#guard(async () => (await this.#cache.current()).has(normalized));
  }

  /** Every key (from the cache: copies no entry). */
  async keys(): Promise<string[]> {
    this.#assertOpen();
    if (this.#readOnly) return this.#cache.currentSync().keys();
    return this.#guard(async () => (await this.#cache.current()).keys());
  }

  /**
   * Every entry. By default the entries record: frozen, null-prototype, shared with other callers
   * until the next commit, so the call copies nothing (mutating it throws in strict mode).
   * `loadAll({ copy: true })` returns a mutable plain-object copy instead, at the cost of one
   * serialize-and-parse of every entry per call (see LoadAllOptions). Revalidated against the
   * change log on every call: a commit in any process is visible to the very next call; only the
   * files named since the last call are read again. ETOOBIG past `maxTotalEntryBytes`.
   */
  async loadAll(options: LoadAllOptions = {}): Promise<Readonly<Record<string, E>>> {
    this.#assertOpen();
    const view = this.#readOnly ? this.#cache.currentSync() : await this.#guard(() => this.#cache.current());
    return options.copy === true ? this.#plainCopy(view) : view.entries();
  }

  /**
   * loadAll(), synchronously, over the same cache (see getSync): frozen by default,
   * `{ copy: true }` for a mutable copy. A commit of another process that is still being
   * applied is not waited for: it answers from the previous whole view when it has one.
   */
  loadAllSync(options: LoadAllOptions = {}): Readonly<Record<string, E>> {
    this.#assertOpen();
    const view = this.#cache.currentSync();
    return options.copy === true ? this.#plainCopy(view) : view.entries();
  }

  /**
   * Read-modify-write of one key. Callers of one key in this process queue FIFO before their
   * mutator runs; the mutator runs once, under the key's cross-process lock, on a fresh copy of
   * the current entry (or undefined). It returns the new entry, `undefined` to keep the current
   * one (as mutated in place, if it was), or `DELETE` to remove it. Nothing is written when the
   * entry did not change. Resolves to the stored entry (undefined when there is none).
   * `lockTimeoutMs` (or `call.timeoutMs`) bounds the whole wait, queue included (ELOCKED).
   */
  async update(key: string, mutator: EntryMutator<E>, call: LockCallOptions = {}): Promise<E | undefined> {
    this.#assertOpen();
    if (typeof mutator !== 'function') throw new TypeError('mutator must be a function');
    const normalized = this.#key(key);
    const fileName = entryFileName(normalized);
    return this.#write([normalized], call, (deadline) =>
      this.#commit.withKeyLocks([fileName], async () => {
        const current = await this.#readWhole(fileName, [fileName]);
        const currentEntry = current?.record.entry === undefined ? undefined : this.#transform(current.record.entry, normalized);
        // Before the mutator: it may change the entry in place and return undefined.
        const beforeJson = currentEntry === undefined ? undefined : serializeEntry(currentEntry, this.#options.maxEntryDepth);
        const returned = await mutator(currentEntry);
        if (returned === DELETE) {
          if (currentEntry !== undefined) await this.#apply([this.#planned(normalized, fileName, undefined, current)]);
          return undefined;
        }
        const returnedOrCurrent = returned === undefined ? currentEntry : returned;
        if (returnedOrCurrent === undefined) return undefined;
        const next = this.#prepareWrite(returnedOrCurrent, normalized);
        if (beforeJson === next.json) return next.entry;
        await this.#apply([this.#planned(normalized, fileName, next.json, current)]);
        return next.entry;
      }, { ...call, deadline }),
    );
  }

  /**
   * Multi-key update, all-or-nothing. The mutator gets a record that looks like the whole store
   * but copies an entry only when its value is read (listing keys copies nothing); assigning
   * `undefined` or `DELETE`, or `delete record[key]`, removes a key. Only changed keys are
   * written, in one commit that readers in every process see whole or not at all, and that a
   * crash leaves whole or not at all. In this process it runs alone (FIFO with every other
   * writer), so its mutator runs again only if another process committed a key it read.
   */
  async updateMany<R>(mutator: RecordMutator<E, R>, call: LockCallOptions = {}): Promise<R> {
    this.#assertOpen();
    if (typeof mutator !== 'function') throw new TypeError('mutator must be a function');
    return this.#write(ALL_KEYS, call, async (deadline) => {
      for (let attempt = 0; attempt <= this.#options.maxUpdateRetries; attempt += 1) {
        const view = await this.#cache.current();
        const tracker = new ChangeTracker<E>(view, (entry) => this.#copyEntry(entry));
        const result = await mutator(tracker.record);
        const planned = this.#plannedChanges(tracker, view);
        if (planned.length === 0) return result;
        const committed = await this.#commit.withKeyLocks(
          planned.map((write) => write.fileName),
          () => this.#commitIfUnchanged(planned),
          { ...call, deadline },
        );
        if (committed) return result;
      }
      throw new HardfsError(
        'ELOCKED',
        `updateMany gave up after ${this.#options.maxUpdateRetries + 1} attempts: other processes kept changing the same keys (option maxUpdateRetries)`,
        { path: this.#path },
      );
    });
  }

  /** Removes one entry. Resolves to whether it existed. */
  async delete(key: string, call: LockCallOptions = {}): Promise<boolean> {
    // Stryker disable next-line BooleanLiteral: the mutator always sets it before it is read (a failed update rejects instead)
    let existed = false;
    await this.update(
      key,
      (current) => {
        existed = current !== undefined;
        return DELETE;
      },
      call,
    );
    return existed;
  }

  /**
   * The commit entry point for callers that decide on the current values of known keys (a
   * migration's merge, maintenance): holds those keys (in-process queue and lock files), reads
   * each from its file, calls `decide` once with fresh copies, and commits what it returns — an
   * entry or `DELETE` per key, keys it omits unchanged — all-or-nothing. Resolves to the number
   * of keys written. `decide` may only name keys it was given (TypeError).
   */
  async commit(
    keys: readonly string[],
    decide: (current: ReadonlyMap<string, CurrentEntry<E> | undefined>) => ReadonlyMap<string, E | typeof DELETE> | Promise<ReadonlyMap<string, E | typeof DELETE>>,
    call: LockCallOptions = {},
  ): Promise<number> {
    this.#assertOpen();
    const normalized = [...new Set(keys.map((key) => this.#key(key)))];
    const fileNames = normalized.map(entryFileName);
    return this.#write(normalized, call, (deadline) =>
      this.#commit.withKeyLocks(fileNames, async () => {
        const loaded = new Map<string, LoadedRecord<E> | undefined>();
        const current = new Map<string, CurrentEntry<E> | undefined>();
        for (const [index, key] of normalized.entries()) {
          const record = await this.#readWhole(fileNames[index] as string, fileNames);
          loaded.set(key, record);
          const stored = record?.record;
          current.set(key, stored?.entry === undefined ? undefined : { entry: this.#transform(stored.entry, key), rev: stored.rev });
        }
        const decided = await decide(current);
        const writes: PlannedWrite[] = [];
        for (const [rawKey, value] of decided) {
          const key = this.#key(rawKey);
          if (!loaded.has(key)) throw new TypeError(`commit() decided on key ${JSON.stringify(rawKey)} it did not hold`);
          const before = loaded.get(key);
          const fileName = entryFileName(key);
          if (value === DELETE) {
            if (before?.record.entry !== undefined) writes.push(this.#planned(key, fileName, undefined, before));
            continue;
          }
          const entryJson = this.#prepareWrite(value, key).json;
          const beforeEntry = before?.record.entry;
          if (beforeEntry !== undefined && serializeEntry(this.#transform(beforeEntry, key), this.#options.maxEntryDepth) === entryJson) continue;
          writes.push(this.#planned(key, fileName, entryJson, before));
        }
        await this.#apply(writes);
        return writes.length;
      }, { ...call, deadline }),
    );
  }

  /**
   * Removes entries by age and count (see retention.ts: every removal is one updateMany through
   * the commit layer, archived first when asked). Resolves to what was removed.
   */
  prune(options: PruneOptions<E>): Promise<PruneReport<E>> {
    this.#assertOpen();
    return prune(this, options);
  }

  /**
   * Compares the snapshot file and this process's cache with the entry files, without changing
   * anything (the CLI's `sessions verify` calls it). See verify.ts.
   */
  async verify(): Promise<VerifyReport> {
    this.#assertOpen();
    if (this.#readOnly) throw readOnlyError(this.#path);
    return verifyStore(this.#dir, this.#options, await this.#cache.current(), this.#changes);
  }

  /**
   * Releases the directory handles, the change log and (exclusive writer) the writer lock.
   * Idempotent. Every later call on the store is ECLOSED.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache.close();
    await this.#writerLock?.release().catch(() => undefined);
    await this.#changes.close();
    await this.#locks?.close();
    await this.#dir.close();
  }

  /** {@link Store.close}, for `await using store = await openStore(dir)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) {
      throw new HardfsError('ECLOSED', this.#closeReason ?? 'store is closed', { path: this.#path });
    }
  }

  #requireLocks(): SafeDir {
    const locks = this.#locksNow();
    if (locks === undefined) throw readOnlyError(this.#path);
    return locks;
  }

  #key(key: string): string {
    return normalizeStoreKey(key, this.#options.normalizeKey);
  }

  #transform(entry: E, key: string): E {
    const hook = this.#options.transformEntry;
    if (hook === undefined) return entry;
    const transformed = hook(entry, key);
    if (!isPlainEntry(transformed)) throw new TypeError('transformEntry must return a plain object');
    return transformed as E;
  }

  /**
   * The entry to write (after the normalizeEntry hook) and its canonical JSON. Checked first by
   * the one JSON rule (blocked keys, what JSON cannot carry, cycles, depth), then serialized.
   */
  #prepareWrite(entry: E, key: string): { entry: E; json: string } {
    const hook = this.#options.normalizeEntry;
    const next = hook === undefined ? entry : (hook(entry, key) as E);
    assertStorableEntry(next, key, this.#options.maxEntryDepth);
    const json = serializeEntry(next, this.#options.maxEntryDepth);
    return { entry: next, json };
  }

  #planned(key: string, fileName: string, entryJson: string | undefined, current: LoadedRecord<E> | undefined): PlannedWrite {
    return { key, fileName, entryJson, fromRev: current?.record.rev ?? 0 };
  }

  /** In-process queue, whole-wait deadline, and the store-replaced check around a write. */
  async #write<T>(claim: KeyClaim, call: LockCallOptions, body: (deadline: number) => Promise<T>): Promise<T> {
    const timeoutMs = call.timeoutMs ?? this.#options.lockTimeoutMs;
    if (this.#readOnly) throw readOnlyError(this.#path);
    const deadline = Date.now() + timeoutMs;
    const release = await this.#queue.acquire(claim, timeoutMs, this.#path);
    try {
      this.#assertOpen();
      // The exclusive-writer check is the commit layer's, under the key locks (commit.ts).
      return await this.#guard(() => body(deadline));
    } finally {
      release();
    }
  }

  /**
   * A shared writer refuses to write while an exclusive writer owns the store. Called by the
   * commit layer holding the write's key locks, never before taking them (commit.ts, step 1).
   */
  async #assertWritable(): Promise<void> {
    // Only a shared writer asks (withKeyLocks); on the common path there is no writer.lock and
    // this one read fails at its open, as a stat would.
    let bytes: Buffer;
    try {
      bytes = await this.#requireLocks().readFile(WRITER_LOCK, { maxBytes: 64 * 1024 });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw error;
    }
    // A record being written, or garbage: the lock file's existence is what counts. The owner
    // is described without quoting the file (its host is compared with ours, never shown).
    const record = parseOwnerRecord(bytes);
    const owner = record === undefined ? 'another process' : describeOwner(record, (await currentProcessIdentity()).host);
    throw new HardfsError('ELOCKED', `the store has an exclusive writer (${owner}); this process may only read`, {
      path: `${this.#requireLocks().path}/${WRITER_LOCK}`,
    });
  }

  async #apply(writes: PlannedWrite[]): Promise<void> {
    try {
      await this.#commit.apply(writes);
    } finally {
      // Whatever happened, re-read these files at the next refresh.
      for (const write of writes) this.#cache.suspect(write.fileName);
    }
  }

  /**
   * An entry file read whole: if a multi-key commit under way wrote it, wait for that commit
   * (or complete it) and read again, so that no reader sees part of one.
   */
  async #readWhole(fileName: string, held: readonly string[] = []): Promise<LoadedRecord<E> | undefined> {
    for (let attempt = 0; attempt < 8; attempt += 1) {
      // An exclusive writer's own last commit of the file stands for the file (commit.ts).
      const loaded = await this.#commit.readUnderLock<E>(fileName);
      const txn = loaded?.record.txn;
      if (txn === undefined || !(await this.#intentExists(txn))) return loaded;
      // Under these files' locks, the commit that wrote it can only be one whose writer stopped
      // (and whose stale lock was taken over): complete it without taking this lock again.
      await this.#commit.settle(txn, { deadline: Date.now() + this.#options.lockTimeoutMs }, undefined, held);
    }
    return this.#commit.readUnderLock<E>(fileName);
  }

  async #intentExists(id: string): Promise<boolean> {
    try {
      await this.#requireLocks().lstat(`${id}.txn`);
      return true;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  #copyEntry(entry: E): E {
    return parseJsonSafe(serializeEntry(entry, this.#options.maxEntryDepth), {
      maxDepth: this.#options.maxEntryDepth + 1,
      maxBytes: Number.MAX_SAFE_INTEGER,
    }) as E;
  }

  #plainCopy(view: StoreView<E>): Record<string, E> {
    // One serialize-and-parse of the whole record: JSON.parse gives ordinary plain objects.
    const record: Record<string, E> = {};
    for (const [, stored] of view.files()) {
      Object.defineProperty(record, stored.key, {
        value: JSON.parse(serializeEntry(stored.entry, this.#options.maxEntryDepth)) as E,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return record;
  }

  #plannedChanges(tracker: ChangeTracker<E>, view: StoreView<E>): Array<PlannedChange> {
    const byKey = new Map<string, PlannedChange & { rawKey: string }>();
    for (const change of tracker.changes()) {
      const key = this.#key(change.key);
      if (change.key !== key && view.has(change.key)) {
        // View keys are normalized already; this can only be a caller-added variant.
        throw new TypeError(`key ${JSON.stringify(change.key)} is not normalized`);
      }
      let entryJson: string | undefined;
      if (change.value !== undefined) {
        entryJson = this.#prepareWrite(change.value, key).json;
      }
      // The original under the normalized key: `record['Agent:Main'] = …` replaces what
      // `agent:main` holds (looked up under the raw key it would seem absent, and the commit
      // check would fail on every attempt).
      const original = view.get(key);
      const originalJson = original === undefined ? undefined : serializeEntry(original, this.#options.maxEntryDepth);
      if (entryJson === originalJson) continue;
      if (byKey.has(key)) {
        throw new TypeError(`keys ${JSON.stringify(change.key)} and ${JSON.stringify(byKey.get(key)?.rawKey)} normalize to the same key`);
      }
      byKey.set(key, {
        key,
        rawKey: change.key,
        fileName: entryFileName(key),
        entryJson,
        expectedRev: view.stored(key)?.rev ?? 0,
        expectedJson: view.has(key) ? originalJson : undefined,
      });
    }
    return [...byKey.values()];
  }

  async #commitIfUnchanged(planned: Array<PlannedChange>): Promise<boolean> {
    const writes: PlannedWrite[] = [];
    for (const write of planned) {
      const now = await this.#readWhole(write.fileName, planned.map((p) => p.fileName));
      // rev alone is not enough: a key deleted and re-created meanwhile starts again at rev 1.
      // The view holds transformed entries: compare what the file holds, transformed alike.
      const nowEntry = now?.record.entry === undefined ? undefined : this.#transform(now.record.entry, write.key);
      const nowJson = nowEntry === undefined ? undefined : serializeEntry(nowEntry, this.#options.maxEntryDepth);
      const nowRev = now?.record.entry === undefined ? 0 : now.record.rev;
      if (nowRev !== write.expectedRev || nowJson !== write.expectedJson) {
        // Re-read it at the next refresh even if no change record names it (a writer that died
        // between its rename and its record leaves exactly this).
        this.#cache.suspect(write.fileName);
        return false;
      }
      writes.push({ key: write.key, fileName: write.fileName, entryJson: write.entryJson, fromRev: now?.record.rev ?? 0 });
    }
    await this.#apply(writes);
    return true;
  }

  /**
   * Runs a read or write; a native ENOENT from inside the store directory means it was removed
   * (or removed and recreated) behind the store's back: the store closes itself and says so
   * (ECLOSED), and a caller that opens it again gets the directory now at the path.
   */
  async #guard<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' && !isHardfsError(error) && (await this.#replaced())) {
        this.#closeReason = 'the store directory was removed or replaced since it was opened (open the store again)';
        await this.close().catch(() => undefined);
        throw new HardfsError('ECLOSED', this.#closeReason, { path: this.#path, cause: error });
      }
      throw error;
    }
  }

  async #replaced(): Promise<boolean> {
    try {
      const now = await statPath(this.#path, { bigint: true });
      const pinned = this.#dir.identity;
      return now.ino !== pinned.ino || now.dev !== pinned.dev;
    } catch {
      return true;
    }
  }

  /** @internal Recovery at open: finishes multi-key commits left by crashed writers, sweeps leftovers. */
  async recover(): Promise<void> {
    const names = await this.#requireLocks().list();
    const deadline = Date.now() + this.#options.lockTimeoutMs;
    const intents = names.map(intentIdOf).filter((id): id is string => id !== undefined);
    for (const id of intents) await this.#commit.settle(id, { deadline });
    const pending = new Set((await this.#requireLocks().list()).map(intentIdOf).filter((id) => id !== undefined));
    await this.#files.sweepTempFiles((name) => pending.has(stagedIdOf(name) as string));
  }

  /** @internal Fills the cache (for stores opened for synchronous reads). */
  async warm(): Promise<void> {
    await this.#cache.current();
  }
}

/**
 * A change updateMany plans from the view its mutator saw: what it expects the file to hold
 * (checked again under the key locks) and what to write. The rev it writes from is the one found
 * then, not the view's.
 */
type PlannedChange = Omit<PlannedWrite, 'fromRev'> & { expectedJson: string | undefined; expectedRev: number };

function readOnlyError(path: string): HardfsError {
  return new HardfsError('EUNSUPPORTED', 'this store was opened read-only by openStoreSync (open it with openStore to write or verify)', { path });
}

function openLocksIfThere(dir: SafeDir): SafeDir | undefined {
  try {
    return dir.openRootSync(LOCKS_DIR);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Options of {@link openStore}: every {@link StoreOptions} field, and `sync`. */
export interface OpenStoreOptions extends StoreOptions {
  /**
   * Fill the cache at open so that getSync/loadAllSync work from the first call. Default false
   * (the first synchronous read then needs one asynchronous read before it).
   */
  sync?: boolean;
}

/**
 * Opens the store in directory `dir` (created, with missing parents, through pinned handles
 * when `create` is true — the default). Keys are case-sensitive unless `normalizeKey` says
 * otherwise. Opening finishes any multi-key commit a crashed writer left and removes its
 * leftovers, so the store is whole before the first read.
 *
 * Refuses (HardfsError): EBADNAME for an empty `dir`; ESYMLINK, ENOTDIR or EINSECURE for a
 * directory (or, when creating, a component) that is a symlink, not a directory, or untrusted;
 * EINSECURE on a network filesystem (Linux: NFS, SMB, FUSE …) unless `allowNetworkFilesystem`;
 * ELOCKED with `writer: 'exclusive'` while another process is the writer. A bad option is a
 * TypeError. Without `create`, a missing directory is the native ENOENT.
 *
 * @example
 * ```ts
 * import { openStore, DELETE } from 'hardfs/store';
 *
 * await using store = await openStore<{ count: number }>('/var/lib/app/counters');
 * await store.update('visits', (current) => ({ count: (current?.count ?? 0) + 1 }));
 * await store.update('stale', () => DELETE);
 * const all = await store.loadAll(); // frozen; loadAll({ copy: true }) for a mutable copy
 * ```
 */
export async function openStore<E extends StoreEntry = StoreEntry>(dir: string, options: OpenStoreOptions = {}): Promise<Store<E>> {
  if (typeof dir !== 'string' || dir.length === 0) throw new HardfsError('EBADNAME', 'store directory must be a non-empty string');
  const resolved = resolveStoreOptions(options);
  const path = resolve(dir);
  if (resolved.create) await ensureRealDir(path);
  const root = await openDir(path);
  let locks: SafeDir | undefined;
  let changes: ChangeLog | undefined;
  let writerLock: FileLock | undefined;
  try {
    await assertLocalFilesystem(path, resolved.allowNetworkFilesystem);
    locks = await root.openSubdir(LOCKS_DIR, { create: true, mode: 0o700 });
    if (resolved.writer === 'exclusive') {
      writerLock = await acquireFileLock(locks, WRITER_LOCK, { staleMs: resolved.lockStaleMs, timeoutMs: resolved.lockTimeoutMs }).catch(
        (error: unknown) => {
          if (isHardfsError(error, 'ELOCKED')) {
            throw new HardfsError('ELOCKED', `another process is this store's writer: ${error.message}`, { path, cause: error });
          }
          throw error;
        },
      );
      // Before the first read: a shared commit that looked for writer.lock before it existed
      // finishes first (commit.ts, drainSharedCommits).
      await drainSharedCommits(locks, resolved);
    }
    changes = await openStoreChangeLog(root, resolved.logger);
    const store = new Store<E>(path, resolved, root, locks, changes, writerLock);
    await store.recover();
    if (options.sync === true) await store.warm();
    return store;
  } catch (error) {
    await writerLock?.release().catch(() => undefined);
    await changes?.close();
    await locks?.close();
    await root.close();
    throw error;
  }
}

/**
 * Opens the store in directory `dir` for synchronous reads, read-only: the directory is opened
 * as openStore opens it (openDirSync: a symlink is ESYMLINK, owner and mode judged on the
 * descriptor), but nothing is created, migrated, swept or quarantined, and no lock is taken.
 * Returns undefined when the directory does not exist. Reads (getSync, loadAllSync, and the
 * async get/has/keys/loadAll, answered synchronously) go through the same coherent cache as
 * openStore's, following the change log with readSync; a multi-key commit met by the first read
 * is taken whole from its intent (see CoherentCache#applyPendingSync), never half. Writes and
 * verify are EUNSUPPORTED: open the store with openStore to write.
 */
export function openStoreSync<E extends StoreEntry = StoreEntry>(dir: string, options: StoreOptions = {}): Store<E> | undefined {
  if (typeof dir !== 'string' || dir.length === 0) throw new HardfsError('EBADNAME', 'store directory must be a non-empty string');
  const resolved = resolveStoreOptions(options);
  const path = resolve(dir);
  let root: SafeDir;
  try {
    root = openDirSync(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' && !isHardfsError(error)) return undefined;
    throw error;
  }
  let locks: SafeDir | undefined;
  try {
    assertLocalFilesystemSync(path, resolved.allowNetworkFilesystem);
    locks = openLocksIfThere(root);
    const changes = openChangeLogSync(root, CHANGES_FILE);
    const store = new Store<E>(path, resolved, root, locks, changes, undefined, true);
    store.loadAllSync();
    return store;
  } catch (error) {
    void locks?.close();
    void root.close();
    throw error;
  }
}
