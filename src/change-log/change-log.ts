import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fstatSync, lstatSync, readSync, writeSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { HardfsError, errnoCode, isHardfsError } from '../errors.js';
import { assertSingleComponent, type SafeDir } from '../dir/index.js';

// Stryker disable next-line all: the platform decides it (the Windows branch of #stillCurrent), not a test on Linux
const IS_WINDOWS = process.platform === 'win32';

/**
 * An append-only log of one-line records in a pinned directory, shared by every process that
 * opens the same name, with readers that follow it incrementally.
 *
 * What it is for: telling other processes *what* changed since they last looked, so that a
 * cache can refresh only that. Its content is a hint, never data: a reader that cannot trust
 * what it sees (first read, the log was rotated, too much was missed, garbage) gets a `reset`
 * and must rebuild from the source of truth. Records are never fsynced: after a power loss
 * every process's cache is gone with it.
 *
 * Why it is safe with several processes: every append is a single write(2) on an O_APPEND
 * descriptor, which local filesystems apply whole at the end of the file (not NFS: see
 * SECURITY.md). The log rotates by atomic rename of a fresh file with a new random generation
 * over the old name; an appender that finds, after writing, that its descriptor's file was
 * replaced (link count 0) appends again to the new file, so a record whose append returned is
 * in the current generation or was written before the rotation that every reader of the new
 * generation starts from with a reset. Readers detect rotation the same way, after reading.
 */

export interface ChangeLogOptions {
  /** Rotate once an append leaves the file larger than this. Default 1 MiB. */
  rotateBytes?: number;
  /** A read that would return more unread bytes than this returns a reset instead. Default 4 MiB. */
  maxReadBytes?: number;
  /** Mode of the log file. Default 0o600. */
  mode?: number;
  /** Told when something other than a log had to be replaced at the name (never followed). */
  onReplace?: (reason: ChangeLogReplaceReason) => void;
}

/**
 * Why ChangeLogOptions.onReplace was called: the name held a file without a log header
 * (`corrupt`), a symlink, a directory or other non-regular file (`not-a-file`), or a file with
 * more than one link (`hard-link`). The object is replaced, never followed or written through.
 */
export type ChangeLogReplaceReason = 'corrupt' | 'symlink' | 'not-a-file' | 'hard-link';

/** Where a reader stands in the log. Plain data: keep it and pass it to the next read. */
export interface ChangeLogCursor {
  /** The random generation of the log file the offset is in (a new one at every rotation). */
  readonly generation: string;
  /** Byte offset in that generation up to which records have been returned. */
  readonly offset: number;
  /** The offset was taken in the middle of a record being appended: skip to the next line. */
  readonly partial: boolean;
}

/**
 * Why a read is a reset: no cursor yet (`start`), the cursor is from another generation
 * (`rotated`), more unread bytes than `maxReadBytes` (`backlog`), or a cursor that does not fit
 * the log (an offset past its end or inside its header: `corrupt`).

 */
export type ChangeLogResetReason = 'start' | 'rotated' | 'backlog' | 'corrupt';

/**
 * What ChangeLog#read returns: the records appended since the cursor, or a reset. Either way,
 * pass `cursor` to the next read.
 */
export type ChangeLogRead =
  | {
      /** false: `records` are all that was appended since the cursor. */
      readonly reset: false;
      /** The complete records appended since the cursor, oldest first. */
      readonly records: string[];
      /** Where the next read starts. */
      readonly cursor: ChangeLogCursor;
    }
  /**
   * Rebuild from the source of truth now. The cursor was taken before this call returned, so
   * anything appended after it is seen by the next read: rebuild after receiving it, not before.
   */
  | {
      /** true: what was appended since the cursor is not known; rebuild from the source of truth. */
      readonly reset: true;
      /** Why the log could not say what changed. */
      readonly reason: ChangeLogResetReason;
      /** Where the next read starts (the end of the log when the reset was decided). */
      readonly cursor: ChangeLogCursor;
    };

/** The largest record accepted by append (UTF-8 bytes, without the newline). */
export const MAX_CHANGE_RECORD_BYTES = 64 * 1024;

const MAGIC = 'hardfs-change-log 1 ';
const GENERATION_HEX = 32;
const HEADER_BYTES = MAGIC.length + GENERATION_HEX + 1;
const HEADER_PATTERN = /^hardfs-change-log 1 ([0-9a-f]{32})\n$/;
const NEWLINE = 0x0a;
const MAX_REOPENS = 16;

interface OpenLog {
  readonly handle: FileHandle;
  readonly generation: string;
  users: number;
  dropped: boolean;
}

interface ResolvedOptions {
  rotateBytes: number;
  maxReadBytes: number;
  mode: number;
  onReplace: (reason: ChangeLogReplaceReason) => void;
}

/**
 * An append-only log of one-line change records in a pinned directory, shared by every process
 * that opens the same name (see openChangeLog). Its content is a hint, never data: a reader
 * that gets a `reset` rebuilds from the source of truth. Every method of a closed log is
 * ECLOSED.
 *
 * @example
 * ```ts
 * const log = await openChangeLog(dir, 'changes.log');
 * await log.append(JSON.stringify({ key: 'session-1' }));
 * let cursor: ChangeLogCursor | undefined;
 * const read = await log.read(cursor);
 * if (read.reset) await rebuildCache(); else for (const record of read.records) refresh(JSON.parse(record));
 * cursor = read.cursor;
 * ```
 */
export class ChangeLog {
  readonly #dir: SafeDir;
  readonly #name: string;
  readonly #options: ResolvedOptions;
  #current: OpenLog | undefined;
  #opening: Promise<OpenLog> | undefined;
  #closed = false;

  /** @internal Use openChangeLog(). */
  constructor(dir: SafeDir, name: string, options: ResolvedOptions) {
    this.#dir = dir;
    this.#name = name;
    this.#options = options;
  }

  /**
   * Appends one record (a non-empty string without a newline, at most 64 KiB). Resolves once
   * the record is in the log's current generation. Rotates the log when it has grown past
   * `rotateBytes`.
   */
  async append(record: string): Promise<void> {
    const line = encodeRecord(record);
    for (let attempt = 0; attempt < MAX_REOPENS; attempt += 1) {
      // Several processes that crossed rotateBytes together may replace the log one after the
      // other; back off a little so that their rotations settle instead of chasing each other.
      // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: the backoff changes when a re-append happens, never what it writes
      if (attempt >= 2) await sleep(Math.random() * attempt * 2);
      const log = await this.#acquire();
      let stats: Stats;
      let written: number;
      try {
        // One write(2): O_APPEND places it whole at the end, whoever else is appending.
        written = writeSync(log.handle.fd, line);
        stats = fstatSync(log.handle.fd);
      } finally {
        this.#release(log);
      }
      if (written !== line.byteLength) {
        // A short write (a full disk) leaves a partial line that the next record would be
        // glued to. A new generation makes every reader rebuild, which says more than this
        // record would have: nothing is lost.
        await this.rotate();
        return;
      }
      if (this.#stillCurrent(stats)) {
        if (stats.size > this.#options.rotateBytes) await this.#rotateIfStill(log);
        return;
      }
      // Rotated between our open and our write: the record went to a file nobody reads any
      // more. Append it again to the file that now holds the name.
      await this.#drop(log);
    }
    throw new HardfsError('ELOCKED', `the change log kept being replaced during an append (${MAX_REOPENS} times)`, {
      path: this.path,
    });
  }

  /**
   * Records appended since `cursor` (complete lines only). Without a cursor, or with one from
   * another generation, returns a reset whose cursor is the end of the log.
   */
  async read(cursor?: ChangeLogCursor): Promise<ChangeLogRead> {
    assertCursor(cursor);
    for (let attempt = 0; attempt < MAX_REOPENS; attempt += 1) {
      const log = await this.#acquire();
      let result: ChangeLogRead;
      let stats: Stats;
      try {
        result = this.#readFrom(log, cursor);
        stats = fstatSync(log.handle.fd);
      } finally {
        this.#release(log);
      }
      // Checked after reading: a rotation before this point makes the records read here
      // incomplete for the new generation, so the caller starts over from a reset (the old
      // cursor makes it say 'rotated').
      if (this.#stillCurrent(stats)) {
        if (result.reset && result.reason === 'corrupt' && !hasHeader(log)) {
          // Overwritten in place: every instance holding it open would otherwise reset forever.
          this.#options.onReplace('corrupt');
          await this.#rotateIfStill(log);
          continue;
        }
        return result;
      }
      await this.#drop(log);
    }
    throw new HardfsError('ELOCKED', `the change log kept being replaced during a read (${MAX_REOPENS} times)`, {
      path: this.path,
    });
  }

  /**
   * read(), synchronously: for callers that cannot await (a synchronous cache lookup). Uses the
   * descriptor an earlier asynchronous call opened; when there is none (first use, or the log
   * was just rotated), reads the whole file by name through the pinned directory, bounded by
   * maxReadBytes past the header (past that, as for a log missing or not a file: a 'corrupt'
   * reset that keeps the cursor, until an asynchronous call opens the log).
   */
  readSync(cursor?: ChangeLogCursor): ChangeLogRead {
    assertCursor(cursor);
    this.#assertOpen();
    const log = this.#current;
    if (log !== undefined && !log.dropped) {
      log.users += 1;
      let result: ChangeLogRead;
      let stats: Stats;
      try {
        result = this.#readFrom(log, cursor);
        stats = fstatSync(log.handle.fd);
      } finally {
        this.#release(log);
      }
      if (this.#stillCurrent(stats) && !(result.reset && result.reason === 'corrupt')) return result;
    }
    return this.#readByName(cursor);
  }

  #readByName(cursor: ChangeLogCursor | undefined): ChangeLogRead {
    let bytes: Buffer;
    try {
      bytes = this.#dir.readFileSync(this.#name, { maxBytes: this.#options.maxReadBytes + HEADER_BYTES });
    } catch (error) {
      // Gone, too large, or not a file: the next asynchronous call replaces or reopens it; until
      // then nothing can be trusted, which is what a reset says. The cursor cannot advance.
      if (errnoCode(error) === 'ENOENT' || isHardfsError(error)) {
        return { reset: true, reason: 'corrupt', cursor: cursor ?? { generation: '', offset: 0, partial: false } };
      }
      throw error;
    }
    const generation = HEADER_PATTERN.exec(bytes.toString('latin1', 0, Math.min(bytes.length, HEADER_BYTES)))?.[1];
    const size = bytes.length;
    const fallback = cursor ?? { generation: '', offset: 0, partial: false };
    if (generation === undefined) return { reset: true, reason: 'corrupt', cursor: fallback };
    const reset = (reason: ChangeLogResetReason): ChangeLogRead => ({
      reset: true,
      reason,
      // The header ends in a newline: a log of just its header is not partial.
      cursor: { generation, offset: size, partial: bytes[size - 1] !== NEWLINE },
    });
    if (cursor === undefined) return reset('start');
    if (cursor.generation !== generation) return reset('rotated');
    if (size < cursor.offset || cursor.offset < HEADER_BYTES) return reset('corrupt');
    // No 'backlog' here: the read was bounded by maxReadBytes past the header, and the cursor is
    // past the header, so what is unread is never more than maxReadBytes.
    return recordsAfter(bytes.subarray(cursor.offset), cursor, generation);
  }

  /** Replaces the log by an empty one of a new generation: every reader's next read is a reset. */
  async rotate(): Promise<void> {
    this.#assertOpen();
    // Stryker disable next-line BooleanLiteral: an fsync shows only across a power cut, which takes every cache with it
    await this.#dir.writeFileAtomic(this.#name, header(newGeneration()), { fsync: false, mode: this.#options.mode });
    const current = this.#current;
    if (current !== undefined) await this.#drop(current);
  }

  /**
   * Rotates only if the name still holds the file we have open: when several appenders cross
   * rotateBytes together, the first rotates and the others, finding a new file, do not.
   */
  async #rotateIfStill(log: OpenLog): Promise<void> {
    let named: Stats;
    try {
      named = await this.#dir.lstat(this.#name);
    } catch {
      return; // gone or unreadable: the next operation reopens (and recreates) it
    }
    // Dropped meanwhile (a close, or a rotation by another call): its descriptor may be closed,
    // and whoever dropped it has moved on.
    if (log.dropped) return;
    const mine = fstatSync(log.handle.fd);
    if (named.ino === mine.ino && named.dev === mine.dev) await this.rotate();
  }

  /** The caller's path of the log file (the root's path and the name), for messages. */
  get path(): string {
    return `${this.#dir.path}/${this.#name}`;
  }

  /** Releases the log's descriptor; the root stays open. Idempotent. */
  async close(): Promise<void> {
    // Stryker disable next-line ConditionalExpression: idempotent without the guard too (a second close finds nothing to drop)
    if (this.#closed) return;
    this.#closed = true;
    const opening = this.#opening;
    await opening?.catch(() => undefined);
    const current = this.#current;
    if (current !== undefined) await this.#drop(current);
  }

  // ---------------------------------------------------------------------------------------

  #readFrom(log: OpenLog, cursor: ChangeLogCursor | undefined): ChangeLogRead {
    const fd = log.handle.fd;
    const size = fstatSync(fd).size;
    const reset = (reason: ChangeLogResetReason): ChangeLogRead => ({
      reset: true,
      reason,
      cursor: { generation: log.generation, offset: size, partial: size > HEADER_BYTES && byteAt(fd, size - 1) !== NEWLINE },
    });
    if (cursor === undefined) return reset('start');
    if (cursor.generation !== log.generation) return reset('rotated');
    // Shorter than where we stood: someone truncated it. Nothing it says can be trusted.
    if (size < cursor.offset || cursor.offset < HEADER_BYTES) return reset('corrupt');
    if (size - cursor.offset > this.#options.maxReadBytes) return reset('backlog');
    // Stryker disable next-line ArithmeticOperator: the read stops at the end of the file; a larger buffer only takes in lines appended since the fstat
    const unread = Buffer.allocUnsafe(size - cursor.offset);
    const length = readFully(fd, unread, cursor.offset);
    return recordsAfter(unread.subarray(0, length), cursor, log.generation);
  }

  #stillCurrent(stats: Stats): boolean {
    if (stats.nlink === 0) return false;
    /* v8 ignore start -- Windows may keep the link count of a replaced file open: compare identities */
    // Stryker disable all: Windows only (IS_WINDOWS is false wherever the tests run)
    if (IS_WINDOWS) {
      try {
        const named = lstatSync(`${this.#dir.path}/${this.#name}`);
        return named.ino === stats.ino && named.dev === stats.dev;
      } catch {
        return false;
      }
    }
    // Stryker restore all
    /* v8 ignore stop */
    return true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new HardfsError('ECLOSED', 'change log is closed', { path: this.path });
  }

  async #acquire(): Promise<OpenLog> {
    this.#assertOpen();
    let log = this.#current;
    if (log === undefined) {
      this.#opening ??= this.#open().finally(() => {
        this.#opening = undefined;
      });
      log = await this.#opening;
      this.#assertOpen();
    }
    log.users += 1;
    return log;
  }

  #release(log: OpenLog): void {
    log.users -= 1;
    if (log.dropped && log.users === 0) void log.handle.close().catch(() => undefined);
  }

  // A descriptor is closed only once nobody is between acquire and release with it: a
  // synchronous call on a closed (and perhaps reused) descriptor number would touch another file.
  #drop(log: OpenLog): Promise<void> {
    // Stryker disable next-line ConditionalExpression: every caller drops the log it used a moment ago, before any reopen can have completed
    if (this.#current === log) this.#current = undefined;
    // Stryker disable next-line ConditionalExpression: dropping twice closes once (a FileHandle's second close() resolves at once)
    if (log.dropped) return Promise.resolve();
    log.dropped = true;
    return log.users === 0 ? log.handle.close().catch(() => undefined) : Promise.resolve();
  }

  async #classifyRefused(): Promise<'directory' | 'hard-link' | 'not-a-file' | 'replaced'> {
    try {
      const stats = await this.#dir.lstat(this.#name);
      if (stats.isDirectory()) return 'directory';
      if (stats.isFile() && stats.nlink > 1) return 'hard-link';
      // A plain file with one link is at the name now: what the root refused (a file another
      // opener's rotation had just replaced, with no link left) is gone. Open again.
      if (stats.isFile()) return 'replaced';
    } catch {
      // Gone or changed again: replacing it by rename is still right.
    }
    return 'not-a-file';
  }

  async #open(): Promise<OpenLog> {
    for (let attempt = 0; attempt < MAX_REOPENS; attempt += 1) {
      let handle: FileHandle;
      try {
        handle = await this.#dir.openFile(this.#name, { append: true });
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') {
          await this.rotate();
          continue;
        }
        // openFile refuses a symlink (ESYMLINK), and a directory, FIFO, socket or file with other
        // than one link (EINSECURE; ENXIO and EISDIR come mapped to it).
        if (isHardfsError(error, 'ESYMLINK') || isHardfsError(error, 'EINSECURE')) {
          // The root refuses a directory, a FIFO, a socket and a file with several links alike;
          // what is there decides what to do (the lstat classifies, it grants nothing).
          const found = await this.#classifyRefused();
          if (found === 'replaced') continue;
          if (found === 'directory') {
            // rename(2) cannot replace a directory by a file; the owner of the name (the store)
            // moves it aside and opens again.
            throw new HardfsError('EINSECURE', 'a directory is at the change log name', { path: this.path, cause: error });
          }
          // Replaced by rename, never followed or opened: a planted link or FIFO only ever
          // costs the readers one reset.
          this.#options.onReplace(isHardfsError(error, 'ESYMLINK') ? 'symlink' : found);
          await this.rotate();
          continue;
        }
        throw error;
      }
      // openFile({ append }) proved on the descriptor a regular file with exactly one link: a hard
      // link planted at the name (to another store's log) was refused above and never receives a
      // record. A rotation by another opener after that check shows as a link count of 0 at the
      // first append or read, which reopen.
      const generation = readGeneration(handle);
      if (generation !== undefined) {
        const log: OpenLog = { handle, generation, users: 0, dropped: false };
        this.#current = log;
        return log;
      }
      await handle.close();
      this.#options.onReplace('corrupt');
      await this.rotate();
    }
    throw new HardfsError('ELOCKED', `could not open the change log (replaced ${MAX_REOPENS} times)`, { path: this.path });
  }
}

/**
 * Opens (creating if needed) the change log `name` in the pinned directory `dir`. A symlink,
 * FIFO, socket, hard-linked or corrupt file at the name is replaced by a fresh log (reported
 * through `onReplace`), never followed or written through; a directory there is EINSECURE. A
 * `name` that is not one path component is EBADNAME; bad options are a TypeError (`mode` must
 * keep owner read and write). Defaults: `rotateBytes` 1 MiB, `maxReadBytes` 4 MiB, `mode` 0o600.
 */

export async function openChangeLog(dir: SafeDir, name: string, options: ChangeLogOptions = {}): Promise<ChangeLog> {
  assertSingleComponent(name, 'change log name');
  const log = new ChangeLog(dir, name, resolveOptions(options));
  // Open now so that a problem with the directory or the name surfaces here, not at first use.
  await log.read();
  return log;
}

/**
 * The change log `name` in `dir`, for synchronous reading only (readSync), creating nothing:
 * a log that does not exist yet reads as a reset until a writer creates it. The first
 * asynchronous call (append, read) opens it as openChangeLog does, creating it if missing.
 */
export function openChangeLogSync(dir: SafeDir, name: string, options: ChangeLogOptions = {}): ChangeLog {
  assertSingleComponent(name, 'change log name');
  return new ChangeLog(dir, name, resolveOptions(options));
}

function resolveOptions(options: ChangeLogOptions): ResolvedOptions {
  const rotateBytes = options.rotateBytes ?? 1024 * 1024;
  const maxReadBytes = options.maxReadBytes ?? 4 * 1024 * 1024;
  for (const [name, value] of [['rotateBytes', rotateBytes], ['maxReadBytes', maxReadBytes]] as const) {
    if (!Number.isSafeInteger(value) || value < HEADER_BYTES) {
      throw new TypeError(`${name} must be an integer of at least ${HEADER_BYTES}, got ${String(value)}`);
    }
  }
  const mode = options.mode ?? 0o600;
  // The owner must keep read and write: a log its own process cannot reopen is useless.
  if (
    !Number.isInteger(mode) ||
    // Stryker disable next-line EqualityOperator: 0 fails the owner check as well
    mode < 0 ||
    mode > 0o777 ||
    (mode & 0o600) !== 0o600
  ) {
    throw new TypeError(`mode must be an integer up to 0o777 with owner read and write (0o600), got ${String(mode)}`);
  }
  const onReplace = options.onReplace ?? (() => undefined);
  if (typeof onReplace !== 'function') throw new TypeError('onReplace must be a function');
  return { rotateBytes, maxReadBytes, mode, onReplace };
}

function encodeRecord(record: unknown): Buffer {
  if (typeof record !== 'string' || record.length === 0) {
    throw new TypeError('a change record must be a non-empty string');
  }
  if (record.includes('\n')) throw new TypeError('a change record must not contain a newline');
  // UTF-8 cannot carry a lone surrogate: it would read back as U+FFFD, another record.
  if (LONE_SURROGATE.test(record)) throw new TypeError('a change record must be well-formed UTF-16 (lone surrogate)');
  const line = Buffer.from(`${record}\n`);
  if (line.byteLength - 1 > MAX_CHANGE_RECORD_BYTES) {
    throw new HardfsError('ETOOBIG', `a change record is at most ${MAX_CHANGE_RECORD_BYTES} bytes`);
  }
  return line;
}

const LONE_SURROGATE = /\p{Surrogate}/u;

function assertCursor(cursor: ChangeLogCursor | undefined): void {
  if (cursor === undefined) return;
  // Checked as unknown: a cursor is plain data a caller may have stored and brought back.
  const candidate = cursor as unknown;
  if (typeof candidate !== 'object' || candidate === null) throw new TypeError('cursor must be one returned by ChangeLog#read');
  if (
    typeof cursor.generation !== 'string' ||
    !Number.isSafeInteger(cursor.offset) ||
    cursor.offset < 0 ||
    typeof cursor.partial !== 'boolean'
  ) {
    throw new TypeError('cursor must be one returned by ChangeLog#read');
  }
}

function hasHeader(log: OpenLog): boolean {
  return readGeneration(log.handle) === log.generation;
}

function newGeneration(): string {
  return randomBytes(GENERATION_HEX / 2).toString('hex');
}

function header(generation: string): string {
  return `${MAGIC}${generation}\n`;
}

function readGeneration(handle: FileHandle): string | undefined {
  const bytes = Buffer.alloc(HEADER_BYTES);
  const length = readFully(handle.fd, bytes, 0);
  return HEADER_PATTERN.exec(bytes.toString('latin1', 0, length))?.[1];
}

/** The complete records in `unread` (the bytes from cursor.offset on). */
function recordsAfter(unread: Buffer, cursor: ChangeLogCursor, generation: string): ChangeLogRead {
  const end = unread.lastIndexOf(NEWLINE);
  if (end < 0) return { reset: false, records: [], cursor }; // nothing complete yet
  let text = unread.toString('utf8', 0, end);
  if (cursor.partial) {
    // The first line is the tail of a record we only saw part of: its change was already
    // covered by the rebuild that followed the reset which handed out this cursor.
    const first = text.indexOf('\n');
    text = first < 0 ? '' : text.slice(first + 1);
  }
  const records = text.length === 0 ? [] : text.split('\n');
  return { reset: false, records, cursor: { generation, offset: cursor.offset + end + 1, partial: false } };
}

function readFully(fd: number, buffer: Buffer, position: number): number {
  let length = 0;
  // Stryker disable next-line EqualityOperator: one more read of 0 bytes returns 0 and ends the loop
  while (length < buffer.byteLength) {
    const bytesRead = readSync(fd, buffer, length, buffer.byteLength - length, position + length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return length;
}

function byteAt(fd: number, position: number): number | undefined {
  const one = Buffer.alloc(1);
  return readSync(fd, one, 0, 1, position) === 1 ? one[0] : undefined;
}
