import { statSync } from 'node:fs';
import { HardfsError, isHardfsError, type ChangeLog, type ChangeLogCursor, type ChangeLogRead, type SafeDir } from '../index.js';
import type { StoreEntry } from './entry-record.js';
import { isQuarantinable, type EntryFiles, type LoadedRecord } from './entry-files.js';
import type { CommitLayer } from './commit.js';
import { parseChangeRecord } from './change-records.js';
import { SNAPSHOT_FILE, intentFileName, intentIdOf, isEntryFileName, lockedEntryFile } from './layout.js';
import { MAX_INTENT_BYTES, parseIntent, stagedWins } from './commit.js';
import type { ResolvedStoreOptions } from './options.js';
import { parseSnapshotBody, readSnapshotFile, readSnapshotHeader, writeSnapshotFile } from './snapshot-file.js';
import { StoreView, type StoredEntry } from './view.js';
import { freezeEntry } from './freeze-entry.js';

/** What this process has cached, and how far into the change log it is up to date. */
interface CacheState<E extends StoreEntry> {
  cursor: ChangeLogCursor;
  view: StoreView<E>;
  /** Entry files whose lock file existed at the last refresh: a commit may have been under way. */
  inFlight: ReadonlySet<string>;
}

/** Bound on the consistency passes of one refresh (each re-reads only what changed meanwhile). */
const MAX_PASSES = 16;

/**
 * The coherent cache: the store view this process holds, kept equal to the files.
 *
 * THE ORDERING INVARIANT (the one rule everything here relies on). A commit appends its change
 * record before it changes any file and holds its files' lock files from before that append
 * until after its last rename; a refresh reads the change log first, then lists `.locks/`,
 * then reads files, then reads the change log again. Hence every file a commit changes is, for
 * any refresh, either named by a record the refresh reads, or locked when the refresh lists
 * the locks (and re-read by it and by the next refresh), or changed before the refresh's first
 * read of the log (and read after its change). So a commit is visible to the very next refresh
 * in any process, and a commit that failed before its first change leaves nothing to see.
 *
 * Between writer modes: a shared commit takes its key locks first and only then looks for
 * `.locks/writer.lock`; an exclusive open takes `writer.lock` first and then waits for every
 * key lock it lists to be released before it reads anything (commit.ts, drainSharedCommits).
 * So a shared commit either sees `writer.lock` and changes nothing, or is whole before the
 * exclusive writer's first read: no shared commit lands under what the exclusive writer keeps
 * of its own commits.
 *
 * Multi-key commits are seen whole: a refresh that meets one's intent waits for it (or
 * completes it); a file that carries a commit's marker and was locked, or whose commit a record
 * read by this refresh names, makes the refresh wait for that commit and re-read all its files.
 */
export class CoherentCache<E extends StoreEntry> {
  readonly #dir: SafeDir;
  /** `.locks/`; a read-only store (openStoreSync) looks it up on each synchronous read until it exists. */
  readonly #locks: () => SafeDir | undefined;
  readonly #files: EntryFiles;
  readonly #changes: ChangeLog;
  readonly #commit: () => CommitLayer;
  readonly #options: ResolvedStoreOptions;
  readonly #prepare: (entry: E, key: string) => E;
  #state: CacheState<E> | undefined;
  /** Files to re-read at the next refresh whatever the log says (found changed by a commit check). */
  readonly #suspect = new Set<string>();
  #queued: Promise<StoreView<E>> | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  /** Generation of the change log the snapshot file was last known to belong to. */
  #snapshotGeneration: string | undefined;
  #replaceSnapshot = false;
  #closed = false;

  constructor(
    dir: SafeDir,
    locks: () => SafeDir | undefined,
    files: EntryFiles,
    changes: ChangeLog,
    commit: () => CommitLayer,
    options: ResolvedStoreOptions,
    prepare: (entry: E, key: string) => E,
  ) {
    this.#dir = dir;
    this.#locks = locks;
    this.#files = files;
    this.#changes = changes;
    this.#commit = commit;
    this.#options = options;
    this.#prepare = prepare;
  }

  #requireLocks(): SafeDir {
    const locks = this.#locks();
    // Stryker disable next-line StringLiteral,ObjectLiteral: unreachable through a Store: only a read-only one lacks .locks, and it reads through currentSync only
    if (locks === undefined) throw new HardfsError('EUNSUPPORTED', 'the store has no .locks directory (opened read-only)', { path: this.#dir.path });
    return locks;
  }

  #isClosed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    this.#state = undefined;
  }

  /** Re-read this file at the next refresh, whatever the log says. */
  suspect(fileName: string): void {
    this.#suspect.add(fileName);
  }

  // One refresh at a time per store object: a refresh that starts after a call began reflects
  // every commit that finished before it, so callers arriving while one runs share the next.
  current(): Promise<StoreView<E>> {
    if (this.#queued !== undefined) return this.#queued;
    const refresh = this.#chain.then(() => {
      this.#queued = undefined;
      return this.#refresh();
    });
    this.#queued = refresh;
    this.#chain = refresh.catch(() => undefined);
    return refresh;
  }

  /**
   * The view, synchronously: the change log is read with readSync, names are listed with the
   * pinned handle's readdirSync (while its path still names it), files with readFileSync. Needs
   * no thread pool. A synchronous read cannot wait: a multi-key commit under way is read as its
   * outcome, from its intent (#applyPendingSync), never half; a commit that finished during
   * the read and whose files cannot be known makes a partial read answer from the view it had.
   */
  currentSync(): StoreView<E> {
    // Stryker disable next-line StringLiteral,ObjectLiteral: a Store refuses every call once closed before it asks the cache; this guards the cache's own use
    if (this.#closed) throw new HardfsError('ECLOSED', 'store is closed', { path: this.#dir.path });
    const cached = this.#state;
    const read = this.#changes.readSync(cached?.cursor);
    const locks = this.#locks();
    // Stryker disable next-line ArrayDeclaration: any name that is neither an entry lock nor an intent changes nothing
    const listing = locks === undefined ? [] : this.#listSync(locks);
    const locked = new Set<string>();
    for (const name of listing) {
      const file = lockedEntryFile(name);
      if (file !== undefined) locked.add(file);
    }
    // Without a cursor (the first read) the log's read is a reset: undefined, every file is read.
    const named = this.#namedFiles(read);
    const loaded = new Map<string, LoadedRecord<E> | undefined>();
    const full = cached === undefined || named === undefined;
    const names = full ? this.#listSync(this.#dir).filter(isEntryFileName) : [...named, ...cached.inFlight, ...locked, ...this.#suspect];
    for (const name of names) loaded.set(name, this.#files.readSync<E>(name));
    // The same check as #makeWhole, without waiting: a multi-key commit under way is read as
    // its outcome (see #applyPendingSync).
    const after = this.#changes.readSync(read.cursor);
    if (after.reset && cached !== undefined) return cached.view;
    const pending = new Map<string, Set<string> | undefined>();
    const note = (id: string, names: readonly string[] | undefined): void => {
      const known = pending.has(id) ? pending.get(id) : new Set<string>();
      if (known === undefined || names === undefined) pending.set(id, undefined);
      else pending.set(id, new Set([...known, ...names]));
    };
    for (const name of listing) {
      const id = intentIdOf(name);
      // Its files are not known from here (its intent lists them, if it is still there).
      if (id !== undefined) note(id, undefined);
    }
    for (const record of after.reset ? [] : after.records) {
      const parsed = parseChangeRecord(record);
      if (parsed?.txn !== undefined) note(parsed.txn, parsed.files);
    }
    for (const [name, record] of loaded) {
      const txn = record?.record.txn;
      // Stryker disable next-line OptionalChaining: a txn was read from this record, so it is there
      if (txn !== undefined && locked.has(name)) note(txn, record?.record.with);
    }
    for (const [id, names] of pending) {
      const read = this.#applyPendingSync(id, names, loaded, locks, full);
      // Finished meanwhile, its files unknown, and only some files read: the view before it.
      if (read === undefined) return (cached as CacheState<E>).view;
      for (const name of read) locked.add(name);
    }
    const view = this.#build(loaded, full ? undefined : cached.view);
    this.#assertWithinTotal(view);
    this.#suspect.clear(); // only once the read is whole: an early return above re-reads them next time
    this.#state = { cursor: read.cursor, view, inFlight: locked };
    return view;
  }

  /**
   * A multi-key commit met by a synchronous read, resolved without waiting and without writing:
   * while its intent exists the commit is past its point of no return, so each of its files
   * reads as recovery will leave it — the staged record where the roll-forward rule (stagedWins,
   * the one recovery applies) says it replaces the entry, the entry file otherwise (renamed
   * already). With the intent gone the commit is whole on disk: its files are read again (every
   * file, on a full read, when they are not known). Returns the files it read (the next refresh
   * re-reads them from the entries); undefined when its files are unknown and the read is partial.
   */
  #applyPendingSync(
    id: string,
    named: ReadonlySet<string> | undefined,
    loaded: Map<string, LoadedRecord<E> | undefined>,
    locks: SafeDir | undefined,
    full: boolean,
  ): string[] | undefined {
    let bytes: Buffer | undefined;
    try {
      // Stryker disable next-line ObjectLiteral: MAX_INTENT_BYTES equals the read default (DEFAULT_MAX_READ_BYTES); stated so the two bounds cannot drift apart unseen
      bytes = locks?.readFileSync(intentFileName(id), { maxBytes: MAX_INTENT_BYTES });
    } catch (error) {
      if (!(error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT')) throw error;
    }
    if (bytes === undefined) {
      if (named === undefined && !full) return undefined;
      const names = named === undefined ? this.#listSync(this.#dir).filter(isEntryFileName) : [...named];
      // Every file listed again: the new listing replaces what was loaded (a file removed since is gone).
      if (named === undefined) loaded.clear();
      for (const name of names) loaded.set(name, this.#files.readSync<E>(name));
      return names;
    }
    const intent = parseIntent(bytes, id, `${locks?.path ?? ''}/${intentFileName(id)}`);
    for (const file of intent) {
      const staged = this.#files.readStagedSync<E>(file.staged, file.file);
      const current = loaded.has(file.file) ? loaded.get(file.file) : this.#files.readSync<E>(file.file);
      if (staged === undefined) loaded.set(file.file, this.#files.readSync<E>(file.file));
      else loaded.set(file.file, stagedWins(current, file, id) ? staged : current);
    }
    return intent.map((file) => file.file);
  }

  #build(loaded: ReadonlyMap<string, LoadedRecord<E> | undefined>, onto: StoreView<E> | undefined): StoreView<E> {
    const changes = new Map<string, StoredEntry<E> | undefined>();
    for (const [name, record] of loaded) changes.set(name, this.#stored(record));
    if (onto !== undefined) return onto.with(changes);
    const base = new Map<string, StoredEntry<E>>();
    for (const [name, stored] of changes) if (stored !== undefined) base.set(name, stored);
    return new StoreView(base);
  }

  // The names are listed through the pinned handle (SafeDir#readdirSync); the path must still
  // name that directory, so that a store whose directory was replaced says so (ECLOSED).
  // The store directory is checked first whichever is listed: when it was replaced, that is what
  // the caller must hear (and its path), not that `.locks` inside it moved too.
  #listSync(dir: SafeDir): string[] {
    for (const pinned of dir === this.#dir ? [dir] : [this.#dir, dir]) {
      const now = statIfAny(pinned.path);
      if (now === undefined || now.ino !== pinned.identity.ino || now.dev !== pinned.identity.dev) {
        const what = pinned === this.#dir ? 'the store directory' : "the store's lock directory";
        throw new HardfsError('ECLOSED', `${what} was removed or replaced since it was opened (open the store again)`, { path: pinned.path });
      }
    }
    return dir.readdirSync();
  }

  async #refresh(): Promise<StoreView<E>> {
    const deadline = Date.now() + this.#options.lockTimeoutMs;
    for (let attempt = 0; ; attempt += 1) {
      if (this.#closed) throw new HardfsError('ECLOSED', 'store is closed', { path: this.#dir.path });
      const cached = this.#state ?? (await this.#seedFromSnapshotFile());
      const read = await this.#changes.read(cached?.cursor);
      const listing = await this.#requireLocks().list();
      // Stryker disable next-line MethodExpression: an undefined id has no intent and no files: settling it is a no-op, and passes are bounded
      const intents = listing.map(intentIdOf).filter((id): id is string => id !== undefined);
      if (intents.length > 0 && attempt < MAX_PASSES) {
        // A multi-key commit under way: wait for it (or complete it), then start over.
        for (const id of intents) await this.#commit().settle(id, { deadline });
        continue;
      }
      const locked = new Set<string>();
      for (const name of listing) {
        const file = lockedEntryFile(name);
        if (file !== undefined) locked.add(file);
      }
      const named = this.#namedFiles(read); // undefined on a reset, and on the first read (no cursor yet)
      let view: StoreView<E>;
      let loaded: Map<string, LoadedRecord<E> | undefined>;
      let full = false;
      if (cached === undefined || named === undefined) {
        this.#suspect.clear();
        loaded = await this.#readAllFiles();
        full = true;
      } else {
        for (const name of [...cached.inFlight, ...locked, ...this.#suspect]) named.add(name);
        this.#suspect.clear();
        loaded = new Map();
        for (const name of named) loaded.set(name, await this.#files.read<E>(name));
      }
      const settled = await this.#makeWhole(loaded, locked, read.cursor, deadline);
      if (settled === 'reset') continue;
      const changes = new Map<string, StoredEntry<E> | undefined>();
      for (const [name, record] of loaded) changes.set(name, this.#stored(record));
      if (full) {
        const base = new Map<string, StoredEntry<E>>();
        for (const [name, stored] of changes) if (stored !== undefined) base.set(name, stored);
        view = new StoreView(base);
      } else {
        view = (cached as CacheState<E>).view.with(changes);
      }
      this.#assertWithinTotal(view);
      if (full) await this.#saveSnapshotFile(settled.cursor, locked, loaded);
      if (!this.#isClosed()) this.#state = { cursor: settled.cursor, view, inFlight: new Set([...locked, ...settled.named]) };
      return view;
    }
  }

  /**
   * Makes what one refresh read free of partial multi-key commits (see the invariant above):
   * reads the log again; every multi-key commit named since, or marked in a file that was
   * locked, is waited for and all its files read again. Repeats until nothing new appears.
   */
  async #makeWhole(
    loaded: Map<string, LoadedRecord<E> | undefined>,
    locked: ReadonlySet<string>,
    startCursor: ChangeLogCursor,
    deadline: number,
  ): Promise<'reset' | { cursor: ChangeLogCursor; named: Set<string> }> {
    let cursor = startCursor;
    const named = new Set<string>();
    const done = new Set<string>();
    let fresh: Iterable<string> = loaded.keys();
    for (let pass = 0; pass < MAX_PASSES; pass += 1) {
      const read = await this.#changes.read(cursor);
      if (read.reset) return 'reset';
      cursor = read.cursor;
      const reread = new Set<string>();
      const txns = new Map<string, readonly string[] | undefined>();
      for (const record of read.records) {
        const parsed = parseChangeRecord(record);
        if (parsed === undefined || parsed.files === undefined) return 'reset';
        for (const name of parsed.files) {
          named.add(name);
          reread.add(name);
        }
        if (parsed.txn !== undefined) txns.set(parsed.txn, parsed.files);
      }
      for (const name of fresh) {
        const record = loaded.get(name)?.record;
        if (record?.txn === undefined || done.has(record.txn)) continue;
        if (locked.has(name) || txns.has(record.txn)) {
          if (record.with === undefined) {
            // Its files are not known: wait for this file's lock (taking over one a stopped writer
            // left), then start over; the commit's record, or its locks seen by an earlier refresh,
            // make the next pass read all its files. Starting over at once would spin, without
            // end while the lock is abandoned.
            await this.#commit().settle(record.txn, { deadline }, [name]);
            return 'reset';
          }
          txns.set(record.txn, record.with);
        }
      }
      for (const [id, files] of txns) {
        if (done.has(id)) continue;
        done.add(id);
        await this.#commit().settle(id, { deadline }, files);
        for (const name of files ?? []) reread.add(name);
      }
      if (reread.size === 0) return { cursor, named };
      for (const name of reread) loaded.set(name, await this.#files.read<E>(name));
      fresh = reread;
    }
    return { cursor, named };
  }

  #stored(loaded: LoadedRecord<E> | undefined): StoredEntry<E> | undefined {
    if (loaded?.record.entry === undefined) return undefined; // absent, quarantined, or a tombstone
    const { record, bytes } = loaded;
    return { key: record.key, entry: this.#prepare(loaded.record.entry, record.key), rev: record.rev, size: bytes.byteLength };
  }

  #assertWithinTotal(view: StoreView<E>): void {
    if (view.totalBytes > this.#options.maxTotalEntryBytes) {
      throw new HardfsError(
        'ETOOBIG',
        `the store's entries total ${view.totalBytes} bytes, over the ${this.#options.maxTotalEntryBytes}-byte bound (option maxTotalEntryBytes)`,
        { path: this.#dir.path },
      );
    }
  }

  /** Entry files named by change records; undefined when everything must be read again. */
  #namedFiles(read: ChangeLogRead): Set<string> | undefined {
    if (read.reset) return undefined;
    const names = new Set<string>();
    for (const record of read.records) {
      const parsed = parseChangeRecord(record);
      if (parsed === undefined) {
        this.#options.logger.warn('hardfs store: a change record names no entry file; reloading every entry', {
          file: this.#changes.path,
        });
        return undefined;
      }
      if (parsed.files === undefined) return undefined;
      for (const name of parsed.files) names.add(name);
    }
    return names;
  }

  /** Every entry file, checked against maxTotalEntryBytes as it goes. */
  async #readAllFiles(): Promise<Map<string, LoadedRecord<E> | undefined>> {
    const loaded = new Map<string, LoadedRecord<E> | undefined>();
    let total = 0;
    for (const dirent of await this.#dir.entries()) {
      if (!isEntryFileName(dirent.name)) continue;
      if (dirent.type !== 'file') {
        await this.#files.quarantine(dirent.name, new HardfsError('EINSECURE', `not a regular file (${dirent.type})`));
        continue;
      }
      // Synchronous on purpose: thousands of small reads cost far more in thread-pool round
      // trips than in the syscalls themselves. Quarantines wait for the loop to end.
      // Stryker disable next-line ArrayDeclaration: a non-promise awaited changes nothing
      const pending: Array<Promise<void>> = [];
      const record = this.#files.readSync<E>(dirent.name, pending);
      for (const work of pending) await work;
      total += record?.bytes.byteLength ?? 0;
      if (total > this.#options.maxTotalEntryBytes) {
        throw new HardfsError(
          'ETOOBIG',
          `the store's entries are over the ${this.#options.maxTotalEntryBytes}-byte bound (option maxTotalEntryBytes)`,
          { path: this.#dir.path },
        );
      }
      loaded.set(dirent.name, record);
    }
    return loaded;
  }

  /**
   * A newly opened store starts from `.snapshot` when it belongs to the change log's current
   * generation (checked on its header before the body is read); the refresh that follows
   * applies the change records appended since. Anything unusable is reported and ignored.
   */
  async #seedFromSnapshotFile(): Promise<CacheState<E> | undefined> {
    try {
      const header = await readSnapshotHeader(this.#dir);
      if (header === undefined) return undefined;
      const since = await this.#changes.read(header.cursor);
      const named = this.#namedFiles(since);
      if (named === undefined) return undefined;
      const file = readSnapshotFile(this.#dir, this.#options.maxSnapshotBytes);
      if (file === undefined) return undefined;
      const base = parseSnapshotBody<E>(file.body, this.#options, this.#prepare);
      // The snapshot must list exactly the files there are, but for those changed since it was
      // taken: one listing (no file is read) catches a snapshot that would make loadAll list a
      // key that get() has no file for, or miss one it has.
      for (const name of file.header.inFlight) named.add(name);
      const listed = new Set((await this.#dir.list()).filter(isEntryFileName));
      for (const name of base.keys()) {
        if (!listed.has(name) && !named.has(name)) throw new HardfsError('ECORRUPT', 'unusable snapshot: it holds a key with no entry file', { path: SNAPSHOT_FILE });
      }
      for (const name of listed) {
        if (!base.has(name) && !named.has(name)) throw new HardfsError('ECORRUPT', 'unusable snapshot: an entry file is missing from it', { path: SNAPSHOT_FILE });
      }
      this.#snapshotGeneration = file.header.cursor.generation;
      const view = new StoreView(base);
      this.#assertWithinTotal(view);
      return { cursor: file.header.cursor, view, inFlight: new Set(file.header.inFlight) };
    } catch (error) {
      if (isHardfsError(error, 'ETOOBIG') && error.message.includes('maxTotalEntryBytes')) throw error;
      if (!isQuarantinable(error)) throw error;
      this.#replaceSnapshot = true; // or every process opened later would trip over it again
      this.#options.logger.warn('hardfs store: ignored an unusable snapshot file; reading every entry file', {
        file: `${this.#dir.path}/${SNAPSHOT_FILE}`,
        reason: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    }
  }

  /** Saves what a full load read, once per change-log generation (it is a cache: failures only warn). */
  async #saveSnapshotFile(
    cursor: ChangeLogCursor,
    inFlight: ReadonlySet<string>,
    loaded: ReadonlyMap<string, LoadedRecord<E> | undefined>,
  ): Promise<void> {
    if (this.#snapshotGeneration === cursor.generation) return;
    const files: Buffer[] = [];
    let total = 0;
    for (const record of loaded.values()) {
      if (record?.record.entry === undefined) continue;
      total += record.bytes.byteLength + 1;
      if (total > this.#options.maxSnapshotBytes) return; // too large to be worth a snapshot
      files.push(record.bytes);
    }
    if (files.length === 0) return;
    try {
      const existing = this.#replaceSnapshot ? undefined : await readSnapshotHeader(this.#dir).catch(() => undefined);
      if (existing?.cursor.generation !== cursor.generation) {
        await writeSnapshotFile(this.#dir, { cursor, inFlight: [...inFlight] }, files);
      }
      this.#snapshotGeneration = cursor.generation;
      this.#replaceSnapshot = false;
    } catch (error) {
      this.#options.logger.warn('hardfs store: could not save the snapshot file', {
        file: `${this.#dir.path}/${SNAPSHOT_FILE}`,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

export { freezeEntry };

/** stat(2) of a path, undefined when nothing is there any more (a store directory removed). */
function statIfAny(path: string): { ino: bigint; dev: bigint } | undefined {
  try {
    return statSync(path, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
