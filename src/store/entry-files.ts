import { randomBytes } from 'node:crypto';
import { errnoCode, isHardfsError, isTempFileName, type SafeDir } from '../index.js';
import { parseRecord, type EntryRecord, type StoreEntry } from './entry-record.js';
import { QUARANTINE_DIR, STAGED_PREFIX } from './layout.js';
import type { ResolvedStoreOptions } from './options.js';

/** One entry file as read: the record, its canonical entry JSON (for content checks) and its size. */
export interface LoadedRecord<E extends StoreEntry> {
  record: EntryRecord<E>;
  bytes: Buffer;
}

/** What the store makes of a file it failed to read as an entry: moved to `.quarantine/`. */
export function isQuarantinable(error: unknown): boolean {
  return (
    isHardfsError(error) &&
    (error.code === 'ECORRUPT' ||
      error.code === 'EDEPTH' ||
      error.code === 'ETOOBIG' ||
      error.code === 'EINSECURE' ||
      error.code === 'ESYMLINK' ||
      error.code === 'EBADNAME')
  ) ||
    // A UNIX socket at the name: open(2) says ENXIO. It is no entry file either.
    errnoCode(error) === 'ENXIO';
}

/**
 * The entry files of one store directory: the one read-or-quarantine path every reader uses
 * (get, the cache, the commit layer's check under lock), quarantine itself, and the sweep of
 * temp files left by crashes.
 */
export class EntryFiles {
  readonly #dir: SafeDir;
  readonly #options: ResolvedStoreOptions;
  /** Told after a file was quarantined (the commit layer records it in the change log). */
  onQuarantined: ((fileName: string) => Promise<void>) | undefined;

  constructor(dir: SafeDir, options: ResolvedStoreOptions) {
    this.#dir = dir;
    this.#options = options;
  }

  /** The record in `fileName`: undefined when there is none or the file was quarantined. */
  async read<E extends StoreEntry>(fileName: string): Promise<LoadedRecord<E> | undefined> {
    let bytes: Buffer;
    try {
      bytes = await this.#dir.readFile(fileName, { maxBytes: this.#options.maxEntryBytes });
    } catch (error) {
      return this.#readFailed(fileName, error);
    }
    return this.#parseOrQuarantine<E>(bytes, fileName);
  }

  /**
   * read(), synchronously (thousands of small reads cost far more in thread-pool round trips
   * than in the syscalls). A bad file is reported as absent at once and quarantined in the
   * background: a synchronous caller cannot wait for a rename.
   */
  readSync<E extends StoreEntry>(fileName: string, pending?: Array<Promise<void>>): LoadedRecord<E> | undefined {
    let bytes: Buffer;
    try {
      bytes = this.#dir.readFileSync(fileName, { maxBytes: this.#options.maxEntryBytes });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      if (!isQuarantinable(error)) throw error;
      this.#setAside(fileName, error, pending);
      return undefined;
    }
    try {
      return { record: parseRecord<E>(bytes, fileName, this.#limits()), bytes };
    } catch (error) {
      if (!isQuarantinable(error)) throw error;
      this.#setAside(fileName, error, pending);
      return undefined;
    }
  }

  /**
   * The record staged for `target` by a multi-key commit under way (`.staged-<id>-<n>`), for a
   * synchronous reader that applies the commit in memory. undefined when it is gone (renamed
   * over the entry already) or unusable — never quarantined: it belongs to the commit.
   */
  readStagedSync<E extends StoreEntry>(staged: string, target: string): LoadedRecord<E> | undefined {
    try {
      // Stryker disable next-line ObjectLiteral: parseRecord refuses the same size (ETOOBIG, read as absent); the bound only spares reading a huge file
      const bytes = this.#dir.readFileSync(staged, { maxBytes: this.#options.maxEntryBytes });
      return { record: parseRecord<E>(bytes, target, this.#limits()), bytes };
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || isQuarantinable(error)) return undefined;
      throw error;
    }
  }

  /**
   * false for a store opened read-only (openStoreSync): a bad file reads as absent and is
   * reported, but left where it is (a read-only open changes nothing on disk).
   */
  quarantineBadFiles = true;

  #setAside(fileName: string, error: unknown, pending: Array<Promise<void>> | undefined): void {
    if (this.quarantineBadFiles) {
      this.#later(this.quarantine(fileName, error), pending);
      return;
    }
    this.#options.logger.warn('hardfs store: an unreadable entry file reads as absent (read-only store: left in place)', {
      file: `${this.#dir.path}/${fileName}`,
      reason: error instanceof Error ? error.message : String(error),
    });
  }

  #later(work: Promise<void>, pending: Array<Promise<void>> | undefined): void {
    const settled = work.catch((error: unknown) => {
      this.#options.logger.warn('hardfs store: could not quarantine a file', {
        file: this.#dir.path,
        reason: error instanceof Error ? error.message : String(error),
      });
    });
    pending?.push(settled);
  }

  #limits(): { maxBytes: number; maxDepth: number } {
    return { maxBytes: this.#options.maxEntryBytes, maxDepth: this.#options.maxEntryDepth };
  }

  async #readFailed(fileName: string, error: unknown): Promise<undefined> {
    if (errnoCode(error) === 'ENOENT') return undefined;
    if (!isQuarantinable(error)) throw error;
    await this.quarantine(fileName, error);
    return undefined;
  }

  async #parseOrQuarantine<E extends StoreEntry>(bytes: Buffer, fileName: string): Promise<LoadedRecord<E> | undefined> {
    try {
      return { record: parseRecord<E>(bytes, fileName, this.#limits()), bytes };
    } catch (error) {
      if (!isQuarantinable(error)) throw error;
      await this.quarantine(fileName, error);
      return undefined;
    }
  }

  /** Moves a file that is not a valid entry to `.quarantine/` and says so. */
  async quarantine(fileName: string, reason: unknown): Promise<void> {
    const quarantine = await this.#dir.openSubdir(QUARANTINE_DIR, { create: true, mode: 0o700 });
    // Random bytes too: two bad files of one name quarantined in the same millisecond must not
    // overwrite each other's copy.
    const target = `${fileName}.${Date.now()}.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      await this.#dir.rename(fileName, target, { targetDir: quarantine });
      this.#options.logger.warn(`hardfs store: quarantined ${fileName}`, {
        file: `${this.#dir.path}/${fileName}`,
        movedTo: `${quarantine.path}/${target}`,
        reason: reason instanceof Error ? reason.message : String(reason),
      });
    } catch (error) {
      // Another reader quarantined (or a writer replaced) it first: nothing left to move.
      if (errnoCode(error) !== 'ENOENT') throw error;
      return;
    } finally {
      await quarantine.close();
    }
    try {
      await this.onQuarantined?.(fileName);
    } catch (error) {
      this.#options.logger.warn('hardfs store: could not record a quarantine in the change log', {
        file: `${this.#dir.path}/${fileName}`,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * Removes temp files (and staged files of multi-key commits that never got an intent) older
   * than staleTempMs: a young one may belong to a writer in another process about to rename
   * it. `keep` names staged files an intent still needs.
   */
  async sweepTempFiles(keep: (name: string) => boolean): Promise<void> {
    const now = Date.now();
    for (const entry of await this.#dir.entries()) {
      if (entry.type !== 'file') continue;
      if (!isTempFileName(entry.name) && !(entry.name.startsWith(STAGED_PREFIX) && !keep(entry.name))) continue;
      try {
        const stats = await this.#dir.lstat(entry.name);
        if (now - stats.mtimeMs < this.#options.staleTempMs) continue;
        await this.#dir.unlink(entry.name);
        this.#options.logger.warn('hardfs store: removed a temp file left by a crash', {
          file: `${this.#dir.path}/${entry.name}`,
        });
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
      }
    }
  }
}

