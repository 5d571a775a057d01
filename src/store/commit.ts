import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  HardfsError,
  acquireFileLock,
  errnoCode,
  isHardfsError,
  parseJsonSafe,
  type ChangeLog,
  type FileLock,
  type SafeDir,
} from '../index.js';
import { parseRecord, serializeRecord, serializeTombstone, type StoreEntry, type TxnMarker } from './entry-record.js';
import type { EntryFiles, LoadedRecord } from './entry-files.js';
import { changeRecordFor, intentRecordFor } from './change-records.js';
import { WRITER_LOCK, intentFileName, isSafeEntryFileName, lockFileName, lockedEntryFile, stagedFileName } from './layout.js';
import type { LockCallOptions, ResolvedStoreOptions } from './options.js';

/** One key's change in a commit. */
export interface PlannedWrite {
  key: string;
  fileName: string;
  /** Canonical JSON of the new entry; undefined deletes the key. */
  entryJson: string | undefined;
  /** The rev on disk now (0: absent), read under the key's lock. */
  fromRev: number;
}

/** What a multi-key commit's intent (`.locks/<id>.txn`) lists for one file. */
export interface IntentFile {
  file: string;
  staged: string;
  from: number;
  rev: number;
  del: boolean;
}

/**
 * Set on an error of a commit that failed after its point of no return (a rename happened,
 * or may have): the change may be in the files, and every process will see it if it is. An
 * error without it means the commit did not take effect.
 */
export interface PossiblyAppliedError extends Error {
  /**
   * Always true: the commit passed its point of no return before failing. Read the key again
   * (or retry the same idempotent update) rather than assume the write was lost.
   */
  possiblyApplied: true;
}

/**
 * Whether `error`, thrown by a store write, may have taken effect ({@link PossiblyAppliedError}).
 * False for any other error: that write did not happen.
 *
 * @example
 * ```ts
 * try {
 *   await store.update(key, mutate);
 * } catch (error) {
 *   if (!isPossiblyApplied(error)) throw error; // nothing was written
 *   const now = await store.get(key); // it may be there: look before retrying
 * }
 * ```
 */
export function isPossiblyApplied(error: unknown): error is PossiblyAppliedError {
  return error instanceof Error && (error as Partial<PossiblyAppliedError>).possiblyApplied === true;
}

function markPossiblyApplied(error: unknown): Error {
  const marked = error instanceof Error ? error : new Error(String(error));
  Object.defineProperty(marked, 'possiblyApplied', { value: true, enumerable: true, configurable: true });
  return marked;
}

/**
 * The commit layer: every write of the store (update, updateMany, delete, prune, migration's
 * merge) goes through apply(), under the key locks of withKeyLocks().
 *
 * Order of one commit, and why:
 *  1. Key locks (lock files in `.locks/`, sorted, in shared mode): a reader that lists `.locks/`
 *     treats a locked file as in flight and reads it again at its next refresh. Only then, holding
 *     them, a shared commit looks for an exclusive writer's `writer.lock` (ELOCKED if there is
 *     one): an exclusive open takes `writer.lock` first and then waits for the key locks it
 *     finds (drainSharedCommits), so a shared commit either sees `writer.lock` and writes
 *     nothing, or is finished before the exclusive writer reads anything.
 *  2. The change record is appended BEFORE any file changes. If that append fails (a full
 *     disk), nothing has changed and the commit is reported failed — never "failed but
 *     applied". A record whose commit then fails costs readers one needless re-read.
 *  3. One key: atomic write (temp, fsync, rename, directory fsync). Several keys: every new
 *     file is staged (fsynced; all side by side) under `.staged-<id>-<n>`, carrying a marker
 *     (the commit id and its files), the directory is synced, the intent `.locks/<id>.txn` is written durably —
 *     the point of no return — then the staged files are renamed over the entries (a delete
 *     renames a tombstone over it), the directory is synced, a commit with deletes is announced
 *     again and its tombstones unlinked, and the intent is removed. A crash before the intent leaves
 *     only staged files (swept as temp files: every key keeps its old value); after it,
 *     recovery (next open, or a reader meeting the intent) rolls forward.
 *  4. Locks released.
 */
export class CommitLayer {
  readonly #dir: SafeDir;
  readonly #locks: SafeDir;
  readonly #files: EntryFiles;
  readonly #changes: ChangeLog;
  readonly #options: ResolvedStoreOptions;
  /** Shared mode: refuses (ELOCKED) while an exclusive writer owns the store; run under the key locks. */
  readonly #assertWritable: () => Promise<void>;
  /**
   * Exclusive writer only: the exact text of each entry file as this process's last successful
   * single-key commit left it (null: the file is gone). The writer lock excludes every other
   * writer, so the file holds that text until this process changes it again; a commit reads
   * it from here instead of from the file. Anything uncertain (a failed commit, a multi-key
   * commit, a roll-forward, a quarantine) drops the file from it: the next commit reads the file.
   */
  readonly #owned = new Map<string, string | null>();

  constructor(
    dir: SafeDir,
    locks: SafeDir,
    files: EntryFiles,
    changes: ChangeLog,
    options: ResolvedStoreOptions,
    assertWritable: () => Promise<void>,
  ) {
    this.#assertWritable = assertWritable;
    this.#dir = dir;
    this.#locks = locks;
    this.#files = files;
    this.#changes = changes;
    this.#options = options;
  }

  /**
   * Runs the write `body` holding the cross-process lock of every file (sorted: two multi-key
   * commits never wait on each other in a cycle), once no exclusive writer owns the store: that
   * is checked after the locks are taken, never before (see step 1 above). Exclusive writers
   * take none: the store-wide lock excludes every other writer.
   */
  async withKeyLocks<T>(fileNames: readonly string[], body: () => Promise<T>, call: LockCallOptions & { deadline: number }): Promise<T> {
    if (this.#options.writer === 'exclusive') return body();
    return this.#holding(fileNames, async () => {
      await this.#assertWritable();
      return body();
    }, call);
  }

  /** Runs `body` holding the lock files of `fileNames` (shared mode). */
  async #holding<T>(fileNames: readonly string[], body: () => Promise<T>, call: LockCallOptions & { deadline: number }): Promise<T> {
    const sorted = [...new Set(fileNames)].sort();
    const held: FileLock[] = [];
    try {
      for (const fileName of sorted) {
        const timeoutMs = Math.max(1, call.deadline - Date.now());
        held.push(
          await acquireFileLock(this.#locks, lockFileName(fileName), {
            staleMs: call.staleMs ?? this.#options.lockStaleMs,
            timeoutMs,
          }),
        );
      }
      return await body();
    } finally {
      // Released in reverse; a release that finds its lock taken over rejects (ELOCKLOST): the
      // first such error is the caller's to hear.
      let failure: unknown;
      for (const lock of held.reverse()) {
        await lock.release().catch((error: unknown) => {
          failure ??= error;
        });
      }
      // eslint-disable-next-line no-unsafe-finally
      if (failure !== undefined) throw failure as Error;
    }
  }

  /** Applies the writes (all of them or none), under the locks of their files. */
  async apply(writes: readonly PlannedWrite[]): Promise<void> {
    if (writes.length === 0) return;
    for (const write of writes) this.#owned.delete(write.fileName);
    if (writes.length === 1) {
      const write = writes[0] as PlannedWrite;
      const text = await this.#applyOne(write);
      if (this.#options.writer === 'exclusive') this.#owned.set(write.fileName, text ?? null);
    } else await this.#applyMany(writes);
    if (this.#options.writer === 'exclusive') {
      // No lock files tell readers that these files were in flight: announce them once more,
      // after the change, so a reader that read a file between the first record and the
      // rename reads it again. A failure here leaves the commit applied and reported done:
      // only a reader that started between the two records could stay behind, until the
      // next commit of the same file.
      await this.#changes.append(changeRecordFor(writes.map((write) => write.fileName))).catch((error: unknown) => {
        this.#options.logger.warn('hardfs store: could not append the after-commit change record', {
          file: this.#changes.path,
          reason: error instanceof Error ? error.message : String(error),
        });
      });
    }
  }

  /** Tells every reader to re-read these files (after a quarantine, say). */
  async announce(fileNames: readonly string[]): Promise<void> {
    for (const fileName of fileNames) this.#owned.delete(fileName);
    await this.#changes.append(changeRecordFor(fileNames));
  }

  /** One key's commit; resolves to the text the entry file now holds (undefined: no file). */
  async #applyOne(write: PlannedWrite): Promise<string | undefined> {
    // Step 2: before anything changes. A failure here is a clean failure.
    await this.#changes.append(changeRecordFor([write.fileName]));
    const fsync = this.#options.fsync;
    if (write.entryJson === undefined) {
      try {
        await this.#dir.unlink(write.fileName);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return undefined;
        throw error;
      }
      // Stryker disable next-line ConditionalExpression: whether the directory is fsynced shows only after a power cut
      if (fsync) await this.#dir.sync().catch((error: unknown) => Promise.reject(markPossiblyApplied(error)));
      return undefined;
    }
    const text = this.#recordText(write, write.entryJson);
    try {
      // Stryker disable next-line ObjectLiteral: without it writeFileAtomic's defaults give the same file (0o600, exact); only fsync differs, which no test can observe
      await this.#dir.writeFileAtomic(write.fileName, text, { fsync, syncDirectory: fsync, mode: 0o600, exactMode: true });
    } catch (error) {
      // The temp file is removed on every failure before the rename; after it only the
      // directory fsync can fail. Which one it was shows in the file.
      if (await this.#holds(write.fileName, text)) throw markPossiblyApplied(error);
      throw error;
    }
    return text;
  }

  async #holds(fileName: string, text: string): Promise<boolean> {
    try {
      return (await this.#dir.readFile(fileName, { maxBytes: this.#options.maxEntryBytes })).toString('utf8') === text;
    } catch {
      return true; // cannot tell: say it may have happened
    }
  }

  #recordText(write: PlannedWrite, entryJson: string, txn?: TxnMarker): string {
    const text = serializeRecord(write.key, write.fromRev + 1, entryJson, txn);
    if (Buffer.byteLength(text) > this.#options.maxEntryBytes) {
      throw new HardfsError('ETOOBIG', `entry is over the ${this.#options.maxEntryBytes}-byte bound (option maxEntryBytes)`, {
        path: write.key,
      });
    }
    return text;
  }

  async #applyMany(writes: readonly PlannedWrite[]): Promise<void> {
    const id = randomBytes(12).toString('hex');
    const fsync = this.#options.fsync;
    const intent: IntentFile[] = [];
    const marker: TxnMarker = { id, files: writes.map((write) => write.fileName) };
    const texts = writes.map((write) =>
      write.entryJson === undefined
        ? serializeTombstone(write.key, write.fromRev + 1, marker)
        : this.#recordText(write, write.entryJson, marker),
    );
    for (const [index, write] of writes.entries()) {
      // Stryker disable next-line ArithmeticOperator: an intent's rev is informational (recovery decides by `from` and the commit id in the file)
      intent.push({ file: write.fileName, staged: stagedFileName(id, index), from: write.fromRev, rev: write.fromRev + 1, del: write.entryJson === undefined });
    }
    try {
      // Staged side by side: their fsyncs overlap on the thread pool (and the filesystem joins
      // them in one journal commit) instead of queueing one after another. All of them settle
      // before anything else happens, so a failure never leaves a write in flight behind the
      // clean-up below.
      const staging = await Promise.allSettled(
        intent.map((file, index) =>
          // Stryker disable next-line ObjectLiteral: without it writeFileAtomic's defaults give the same file (0o600, exact); only fsync differs, which no test can observe
          this.#dir.writeFileAtomic(file.staged, texts[index] as string, {
            fsync,
            // Stryker disable next-line BooleanLiteral: the one directory fsync after staging covers these; a sync per file would only cost time
            syncDirectory: false,
            mode: 0o600,
            exactMode: true,
          }),
        ),
      );
      const failed = staging.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      // Stryker disable next-line ConditionalExpression: whether the directory is fsynced shows only after a power cut
      if (fsync) await this.#dir.sync();
      await this.#changes.append(intentRecordFor(id, writes.map((write) => write.fileName)));
      const intentText = `${JSON.stringify({ v: 1, id, files: intent })}\n`;
      // Stryker disable next-line ObjectLiteral: without it writeFileAtomic's defaults give the same file (0o600, exact); only fsync differs, which no test can observe
      await this.#locks.writeFileAtomic(intentFileName(id), intentText, {
        fsync,
        syncDirectory: fsync,
        mode: 0o600,
        exactMode: true,
      });
    } catch (error) {
      // Before the point of no return: undo what is there. If the intent itself may be on disk
      // (its rename happened, the directory fsync failed), go on instead: it rolls forward.
      if (!(await this.#exists(this.#locks, intentFileName(id)))) {
        for (const file of intent) await this.#dir.unlink(file.staged).catch(() => undefined);
        throw error;
      }
    }
    try {
      // Stryker disable next-line StringLiteral: any other word than 'found' is 'own' (the checks of a found commit only add reads)
      await this.#rollForward(id, intent, 'own');
    } catch (error) {
      throw markPossiblyApplied(error);
    }
  }

  async #exists(dir: SafeDir, name: string): Promise<boolean> {
    try {
      await dir.lstat(name);
      return true;
    } catch (error) {
      return errnoCode(error) !== 'ENOENT';
    }
  }

  /**
   * Renames every staged file still there over its entry (unless the entry moved past the
   * rev the intent started from: a writer that took over a crashed commit's stale lock), syncs
   * the directory, unlinks the tombstones and retires the intent. Idempotent.
   *
   * `own`: the commit this process has just staged, under its locks (or as the exclusive
   * writer). Its staged files are all there and no other writer can have moved its entries,
   * so the look at each staged file and entry is skipped; a staged file that another
   * roll-forward of the same commit (a reader of this process completing it) renamed first
   * only makes its rename meet ENOENT, which is taken as done.
   */
  async #rollForward(id: string, files: readonly IntentFile[], whose: 'own' | 'found' = 'found'): Promise<void> {
    for (const file of files) this.#owned.delete(file.file);
    for (const file of files) {
      if (whose === 'found') {
        // A staged file renamed already (or dropped) is gone: its entry, read here, then either
        // carries this commit (its rename meets ENOENT below: done) or moved on (the unlink of
        // the staged name meets ENOENT: nothing to drop).
        const current = await this.#files.read(file.file).catch(() => undefined);
        if (!stagedWins(current, file, id)) {
          await this.#dir.unlink(file.staged).catch(() => undefined);
          continue;
        }
      }
      try {
        await this.#dir.rename(file.staged, file.file);
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
      }
    }
    // Stryker disable next-line ConditionalExpression: whether the directory is fsynced shows only after a power cut
    if (this.#options.fsync) await this.#dir.sync();
    // Tombstones go last, after the commit is announced once more: a reader whose pass read
    // some file before the renames and a tombstone's name after its unlink meets this second
    // record, waits for the commit and re-reads all its files. Should the announcement fail
    // (a full disk), the tombstones stay: they read as no entry, and the next write of the key
    // replaces them.
    const tombstones = files.filter((file) => file.del);
    if (tombstones.length > 0) {
      const announced = await this.#changes
        .append(intentRecordFor(id, files.map((file) => file.file)))
        .then(() => true, () => false);
      if (announced) {
        for (const file of tombstones) {
          const current = await this.#files.read(file.file).catch(() => undefined);
          if (current !== undefined && current.record.entry === undefined && current.record.txn === id) {
            await this.#dir.unlink(file.file).catch((error: unknown) => {
              if (errnoCode(error) !== 'ENOENT') throw error;
            });
          }
        }
      }
    }
    await this.#locks.unlink(intentFileName(id)).catch((error: unknown) => {
      if (errnoCode(error) !== 'ENOENT') throw error;
    });
  }

  /**
   * Completes the multi-key commit `id` if it is still pending: waits for its writer (by taking
   * its files' locks: a live writer holds them until the commit is whole, a dead one's are
   * taken over once stale) and rolls it forward. Resolves to the files it named.
   */
  async settle(
    id: string,
    call: LockCallOptions & { deadline: number },
    named?: readonly string[],
    /** Files whose locks the caller holds already (file locks are not reentrant). */
    // Stryker disable next-line ArrayDeclaration: a default naming no entry file ([] or any non-entry name) holds nothing alike
    held: readonly string[] = [],
  ): Promise<string[]> {
    const intent = await this.#readIntent(id);
    const names = intent?.map((file) => file.file) ?? [...(named ?? [])];
    if (this.#options.writer === 'exclusive') {
      if (intent !== undefined) await this.#rollForward(id, intent);
      return names;
    }
    if (intent !== undefined && (await this.#exists(this.#locks, WRITER_LOCK))) {
      // An exclusive writer's commit (it takes no per-key locks): wait for its intent to go;
      // only a writer that stopped leaves it for good, and the next open completes it.
      while (await this.#exists(this.#locks, intentFileName(id))) {
        if (Date.now() > call.deadline) {
          throw new HardfsError('ELOCKED', 'waited lockTimeoutMs for the exclusive writer to finish a multi-key commit', {
            path: `${this.#locks.path}/${intentFileName(id)}`,
          });
        }
        await sleep(2);
      }
      return names;
    }
    // Done already when no intent is left and none of its files is locked: the common case.
    if (intent === undefined && !(await this.#anyLocked(names))) return names;
    // Only waiting for (or completing) a commit already made: no writer-lock check, a reader may do this.
    await this.#holding(names.filter((name) => !held.includes(name)), async () => {
      const still = await this.#readIntent(id);
      if (still !== undefined) {
        this.#options.logger.warn('hardfs store: completing a multi-key commit left by a writer that stopped', {
          file: `${this.#locks.path}/${intentFileName(id)}`,
        });
        await this.#rollForward(id, still);
      }
    }, call);
    return names;
  }

  async #anyLocked(fileNames: readonly string[]): Promise<boolean> {
    for (const name of fileNames) {
      if (await this.#exists(this.#locks, lockFileName(name))) return true;
    }
    return false;
  }

  async #readIntent(id: string): Promise<IntentFile[] | undefined> {
    let bytes: Buffer;
    try {
      bytes = await this.#locks.readFile(intentFileName(id), { maxBytes: MAX_INTENT_BYTES });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    return parseIntent(bytes, id, `${this.#locks.path}/${intentFileName(id)}`);
  }

  /** Records read under lock: what a mutator must see, and what a commit starts from. */
  readUnderLock<E extends StoreEntry>(fileName: string): Promise<LoadedRecord<E> | undefined> {
    const owned = this.#owned.get(fileName);
    if (owned === undefined) return this.#files.read<E>(fileName);
    if (owned === null) return Promise.resolve(undefined);
    // A fresh parse each time: the mutator may change what it is given in place.
    const bytes = Buffer.from(owned);
    const limits = { maxBytes: this.#options.maxEntryBytes, maxDepth: this.#options.maxEntryDepth };
    return Promise.resolve({ record: parseRecord<E>(bytes, fileName, limits), bytes });
  }
}

/**
 * Exclusive open, after `writer.lock` is taken and before anything is read: waits for every
 * per-key lock file in `.locks/` to be released (a shared commit in flight finishes; a stale
 * lock, judged as any lock, is taken over), by taking each in turn and releasing it at once.
 * Shared commits check for `writer.lock` only once they hold their key locks, so a key lock
 * taken after this listing belongs to a commit that will see `writer.lock` and write nothing:
 * the locks listed here are all there is to wait for. Bounded by lockTimeoutMs (ELOCKED).
 */
export async function drainSharedCommits(locks: SafeDir, options: ResolvedStoreOptions): Promise<void> {
  const deadline = Date.now() + options.lockTimeoutMs;
  for (const name of await locks.list()) {
    if (lockedEntryFile(name) === undefined) continue;
    let lock: FileLock;
    try {
      lock = await acquireFileLock(locks, name, { staleMs: options.lockStaleMs, timeoutMs: Math.max(1, deadline - Date.now()) });
    } catch (error) {
      if (errnoCode(error) !== 'ELOCKED') throw error;
      throw new HardfsError('ELOCKED', `a shared writer's commit is still in flight (option lockTimeoutMs): ${(error as Error).message}`, {
        path: `${locks.path}/${name}`,
        cause: error,
      });
    }
    await lock.release();
  }
}

/** Bound on an intent file's size (read by recovery and by synchronous readers). */
export const MAX_INTENT_BYTES = 64 * 1024 * 1024;

/** The files of intent `id` (its bytes as read from `.locks/<id>.txn`); ECORRUPT when malformed. */
export function parseIntent(bytes: Buffer, id: string, path: string): IntentFile[] {
  let parsed: { v?: unknown; id?: unknown; files?: unknown } | null;
  try {
    parsed = parseJsonSafe(bytes, { maxBytes: MAX_INTENT_BYTES, maxDepth: 4 }) as typeof parsed;
  } catch (error) {
    // Torn or garbage bytes are the same refusal as a wrong shape, and name the intent file.
    if (!isHardfsError(error)) throw error;
    throw new HardfsError('ECORRUPT', `malformed multi-key commit intent (${error.code})`, { path, cause: error });
  }
  const files = parsed?.files;
  if (parsed?.v !== 1 || parsed.id !== id || !Array.isArray(files) || !files.every(isIntentFile)) {
    throw new HardfsError('ECORRUPT', 'malformed multi-key commit intent', { path });
  }
  return files;
}

/**
 * The roll-forward rule: the staged file of intent `id` replaces the entry unless the entry
 * moved past the rev the intent started from (a writer that took over a crashed commit's stale
 * lock). Recovery applies it to the files; a synchronous reader applies it in memory.
 */
export function stagedWins(current: LoadedRecord<StoreEntry> | undefined, file: IntentFile, id: string): boolean {
  return (current?.record.rev ?? 0) === file.from || current?.record.txn === id;
}

function isIntentFile(value: unknown): value is IntentFile {
  // Object(): a primitive (or null) has none of the fields below, and fails on the first.
  const file = Object(value) as Record<string, unknown>;
  return (
    typeof file['file'] === 'string' &&
    isSafeEntryFileName(file['file']) &&
    typeof file['staged'] === 'string' &&
    file['staged'].startsWith('.staged-') &&
    !file['staged'].includes('/') &&
    Number.isSafeInteger(file['from']) &&
    Number.isSafeInteger(file['rev']) &&
    typeof file['del'] === 'boolean'
  );
}
