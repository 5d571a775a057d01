import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { HardfsError, errnoCode, isHardfsError } from '../errors.js';
import { coalesce } from '../sys/coalesce.js';
import {
  O_APPEND,
  O_CREAT,
  O_EXCL,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  OPEN_READ_APPEND_FLAGS,
  OPEN_READ_FLAGS,
  OPEN_READ_WRITE_FLAGS,
} from '../sys/flags.js';
import { fsyncFd } from '../sys/fd-ops.js';
import { renameDescriptorPaths } from '../sys/native-errors.js';
import { mapOpenError } from '../sys/open-errors.js';
import { makeTempFileName } from '../sys/temp-names.js';
import {
  closeSync,
  fchmodSync,
  fstatSync,
  lstatSync,
  openHandle,
  readdir,
  readdirSync,
  unlinkSync,
  type BigIntStats,
  type FileHandle,
  type ReadStream,
  type Stats,
} from '../sys/syscalls.js';
import { assertModeOption, assertWriteData, resolveFileMode, toBytes, writeAtomicIn, type AtomicWriteOptions, type WriteData } from './atomic-write.js';
import type { RootCore, SymlinkPolicy } from './core.js';
import { SafeDirent, direntKind } from './dirent.js';
import { releaseOnCollect, forgetOnClose } from './finalizer.js';
import { copyModeFlags, readSourceFully } from './ops/copy.js';
import { accessAt, assertMode, chmodAt, chownAt, existsAt, lchownAt, lstatAt, lstatAtAsync, statAt, statAtAsync, utimesAt, type StatOptions, type TimeLike } from './ops/meta.js';
import { linkAt, mkdirAt, readlinkAt, renameAt, renameNoReplaceAt, symlinkAt, type MkdirOptions } from './ops/names.js';
import { assertRegularFd, createReadStreamAt, openRegularFd, readFileAt, readFileAtSync, type ReadStreamOptions } from './ops/read.js';
import { rmAt, rmdirAt, unlinkAt, type RmOptions } from './ops/remove.js';
import {
  accessOf,
  appendFileAt,
  createExclusiveFd,
  createWriteStreamAt,
  eraseCreated,
  proveSameFile,
  writeAllSync,
  writeFileAt,
  writeFileAtSync,
  type WriteStreamOptions,
} from './ops/write.js';
import { pinDescriptor, pinDirectory, pinWithoutDescriptor, type Pinned } from './pin.js';
import { assertModeAllowed, type DirPolicy } from './policy.js';
import { readRegularFileAtSync, resolveMaxBytes, type ReadOptions } from './read-regular-file.js';
import { requestedResolution, type Resolution, type ResolutionRequest } from './resolution.js';
import { ABOUT_DIRECTORY, type DirNode } from './resolvers/resolver.js';
import { CALLER_PATH, Walk, type WalkOptions } from './walk.js';

export type { SymlinkPolicy } from './core.js';
export type { RmOptions } from './ops/remove.js';
export type { MkdirOptions } from './ops/names.js';
export type { StatOptions, TimeLike } from './ops/meta.js';
export type { ReadStreamOptions } from './ops/read.js';
export type { WriteStreamOptions } from './ops/write.js';
export { SafeDirent } from './dirent.js';

/** Options of openDir: the policy the directory must pass, how names resolve, I/O, symlinks. */
export interface OpenDirOptions extends DirPolicy {
  /**
   * `auto` (default): descriptor resolution where it works, else verify (with a one-time
   * process warning, code HARDFS_VERIFY_RESOLUTION). `descriptor`: refuse to open
   * (EUNSUPPORTED) without it. `verify`: force the best-effort fallback. Also HARDFS_RESOLUTION.
   */
  resolution?: ResolutionRequest;
  /**
   * `hybrid` (default): cheap syscalls on small files run inline on the event loop, fsync and
   * large I/O on the thread pool (see sys/fd-ops.ts for why). `async`: data I/O on the thread
   * pool (the walk's directory opens stay inline: metadata only). Also settable with HARDFS_IO.
   */
  io?: IoMode;
  /** Symlinks inside the root: `refuse` (default) or `follow-within` (see SymlinkPolicy). */
  symlinks?: SymlinkPolicy;
}

/** Where a root's syscalls run (OpenDirOptions.io); any other value is a TypeError at openDir. */
export type IoMode = 'hybrid' | 'async';

function resolveIoMode(explicit: IoMode | undefined): IoMode {
  const value = explicit ?? (process.env['HARDFS_IO'] || 'hybrid');
  if (value !== 'hybrid' && value !== 'async') {
    throw new TypeError(`io must be "hybrid" or "async", got ${JSON.stringify(value)}`);
  }
  return value;
}

function resolveSymlinks(value: unknown): SymlinkPolicy {
  if (value === undefined) return 'refuse';
  if (value !== 'refuse' && value !== 'follow-within') {
    throw new TypeError(`symlinks must be "refuse" or "follow-within", got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Options of SafeDir#openSubdir: the policy the subdirectory must pass, and whether to create it. */
export interface OpenSubdirOptions extends DirPolicy {
  /** Create the directory if it is missing (never through a symlink). Default false. */
  create?: boolean;
  /** Mode of a directory created here, exact whatever the umask. Default 0o700. */
  mode?: number;
}

/**
 * Options of SafeDir#openRoot. The policy fields default to this root's; a `mode` outside
 * 0..0o7777 is a TypeError.
 */
export interface OpenRootOptions extends OpenSubdirOptions {
  /** The sub-root's symlink policy. Default: this root's. */
  symlinks?: SymlinkPolicy;
}

/** An entry's type as SafeDir#entries reports it (`other`: FIFO, socket, device). */
export type DirEntryType = 'file' | 'directory' | 'symlink' | 'other';

/** One entry of SafeDir#entries. */
export interface DirEntry {
  /** The entry's name (one path component). */
  name: string;
  /** Its type as readdir reports it: a symlink is `symlink`, never followed. */
  type: DirEntryType;
}

/** Options of SafeDir#openFile. */
export interface OpenFileOptions {
  /** Open for reading and writing instead of read-only. Default false. */
  write?: boolean;
  /**
   * Open for reading and appending (O_APPEND): every write lands at the end of the file, even
   * when other processes append to it too. Implies `write`. Default false.
   */
  append?: boolean;
}

/** Options of SafeDir#createFileExclusive (and, without `fsync`, its Sync twin). */
export interface CreateFileOptions {
  /** Mode of the new file, exact whatever the umask (see exactMode). Default 0o600. */
  mode?: number;
  /**
   * Default true: fchmod the new file to exactly `mode`. false skips that syscall and lets the
   * umask narrow the mode (it can only remove bits, never add any) — for files where a narrower
   * mode is harmless, such as lock files.
   */
  exactMode?: boolean;
  /** fsync the file after writing `data` (the directory is not synced). Default true. */
  fsync?: boolean;
}

/** Options of SafeDir#rename and renameNoReplace. */
export interface RenameOptions {
  /** Move into another root instead of within this one (`to` is then relative to it). */
  targetDir?: SafeDir;
}

/** Options of SafeDir#readFile / readFileSync: the size bound and the encoding. */
export interface ReadFileOptions extends ReadOptions {
  /** Decode to a string with this encoding; a Buffer without. */
  encoding?: BufferEncoding | null | undefined;
}

/** Options of SafeDir#writeFile, writeFileAtomic and writeFileSync (a string is the encoding). */
export interface WriteFileOptions extends AtomicWriteOptions {
  /** Encoding of string data. Default utf8. */
  encoding?: BufferEncoding;
  /** Create missing parent directories (mode 0o700, exact), never through a symlink. Default false. */
  mkdirs?: boolean;
}

/** Options of SafeDir#appendFile (a string is the encoding). */
export interface AppendFileOptions {
  /** Mode of the file if it is created, exact whatever the umask. Default 0o600. */
  mode?: number;
  /** Encoding of string data. Default utf8. */
  encoding?: BufferEncoding;
}

/** Options of SafeDir#readdir. */
export interface ReaddirOptions {
  /** Return SafeDirent objects (name, parentPath, isFile() …) instead of names. Default false. */
  withFileTypes?: boolean;
}

/** Options of SafeDir#copyFile (a number is the `mode`). */
export interface CopyFileOptions {
  /** `fs.constants.COPYFILE_EXCL`: fail with EEXIST if the destination exists. */
  mode?: number;
  /** Copy into another root (`dest` relative to it). */
  targetDir?: SafeDir;
  /** Refuse a source larger than this (ETOOBIG). Default 64 MiB. */
  maxBytes?: number;
}

/** Flags `open` accepts: node's strings, each opened with O_NOFOLLOW|O_NONBLOCK added. */
export type OpenFlags = 'r' | 'r+' | 'w' | 'w+' | 'wx' | 'wx+' | 'a' | 'a+' | 'ax' | 'ax+';

const OPEN_FLAG_TABLE: Record<OpenFlags, { flags: number; create: boolean; exclusive: boolean; truncate: boolean; writable: boolean }> = {
  r: { flags: O_RDONLY, create: false, exclusive: false, truncate: false, writable: false },
  'r+': { flags: O_RDWR, create: false, exclusive: false, truncate: false, writable: true },
  w: { flags: O_WRONLY, create: true, exclusive: false, truncate: true, writable: true },
  'w+': { flags: O_RDWR, create: true, exclusive: false, truncate: true, writable: true },
  wx: { flags: O_WRONLY, create: true, exclusive: true, truncate: false, writable: true },
  'wx+': { flags: O_RDWR, create: true, exclusive: true, truncate: false, writable: true },
  a: { flags: O_WRONLY | O_APPEND, create: true, exclusive: false, truncate: false, writable: true },
  'a+': { flags: O_RDWR | O_APPEND, create: true, exclusive: false, truncate: false, writable: true },
  ax: { flags: O_WRONLY | O_APPEND, create: true, exclusive: true, truncate: false, writable: true },
  'ax+': { flags: O_RDWR | O_APPEND, create: true, exclusive: true, truncate: false, writable: true },
};

const PIN_TOKEN = Symbol('hardfs.SafeDir');

/** @internal */
interface PinnedState {
  pinned: Pinned;
  policy: DirPolicy;
  inline: boolean;
  symlinks: SymlinkPolicy;
}

/** Per operation: descriptor → caller path of every directory its walks opened, and the walks. */
class Recorded extends Map<number, string> {
  readonly walks: Walk[] = [];
}

/**
 * A root: a pinned directory, in the spirit of Go's os.Root and cap-std's Dir. Its identity
 * (device + inode) is fixed when it is opened; every operation takes a relative path
 * (`a/b/c.json`), walked from the pinned descriptor one component at a time with
 * O_DIRECTORY|O_NOFOLLOW, never by re-walking a path string (descriptor resolution). Names and
 * argument order mirror `node:fs/promises`.
 *
 * Refusals common to every method: an absolute path or one that climbs above the root with
 * `..` is `EESCAPE`; NUL is `EBADNAME`; a symlink met on the way is `ESYMLINK` under the
 * default `symlinks: 'refuse'` (under `'follow-within'` it is followed while it stays inside,
 * `EESCAPE` otherwise, `ELOOP` past 40 links); a closed root is `ECLOSED`. Native errors keep
 * their `code` and `syscall` and name the caller's path (root path + relative path).
 *
 * @example
 * ```ts
 * await using dir = await openDir('/var/lib/app', { symlinks: 'follow-within' });
 * await dir.writeFile('state/agents/a.json', JSON.stringify(state), { mkdirs: true });
 * const text = await dir.readFile('state/agents/a.json', 'utf8');
 * for (const entry of await dir.readdir('state', { withFileTypes: true })) console.log(entry.name, entry.isDirectory());
 * ```
 */
export class SafeDir {
  readonly #core: RootCore;
  readonly #root: DirNode;
  readonly #policy: DirPolicy;
  readonly #inline: boolean;
  #inFlight = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  /** @internal Use openDir() or SafeDir#openRoot(). */
  constructor(token: symbol, state: PinnedState) {
    if (token !== PIN_TOKEN) throw new TypeError('SafeDir is created by openDir() or openRoot()');
    this.#root = state.pinned.node;
    this.#policy = state.policy;
    this.#inline = state.inline;
    this.#core = {
      root: state.pinned.node,
      resolver: state.pinned.resolver,
      symlinks: state.symlinks,
      inline: state.inline,
      policy: state.policy,
    };
    // A root never closed is closed when collected: its raw descriptor is released (no
    // FileHandle, so no DEP0137 warning and no leak).
    if (this.#root.fd !== undefined) releaseOnCollect(this, this.#root.fd);
  }

  /** The absolute path the directory had when it was opened (for messages; never re-walked in descriptor mode). */
  get path(): string {
    return this.#root.path;
  }

  /** How names are resolved: `descriptor` (race-free) or `verify` (best-effort, see SECURITY.md). */
  get resolution(): Resolution {
    return this.#core.resolver.kind;
  }

  /** The symlink policy this root was opened with. */
  get symlinks(): SymlinkPolicy {
    return this.#core.symlinks;
  }

  /** True once close() has been called: every operation is then ECLOSED. */
  get closed(): boolean {

    return this.#closed;
  }

  /** Device and inode pinned at open. */
  get identity(): { dev: bigint; ino: bigint } {
    return { dev: this.#root.dev, ino: this.#root.ino };
  }

  // ---------------------------------------------------------------- reads

  /**
   * Reads a regular file: opened O_RDONLY|O_NOFOLLOW|O_NONBLOCK, `fstat` must say regular file
   * (a FIFO, socket, device or directory is `EINSECURE`, never a hang or a native ENXIO/EISDIR),
   * at most `maxBytes` (default 64 MiB, `ETOOBIG`). A symlink at the name is `ESYMLINK` under
   * `refuse`. With an `encoding` (or a string as options) the result is a string.
   *
   * @example
   * ```ts
   * const config = JSON.parse(await dir.readFile('etc/config.json', { encoding: 'utf8', maxBytes: 1 << 20 }));
   * ```
   */
  readFile(path: string, options: BufferEncoding | (ReadFileOptions & { encoding: BufferEncoding })): Promise<string>;
  readFile(path: string, options?: ReadFileOptions & { encoding?: null | undefined }): Promise<Buffer>;
  async readFile(path: string, options?: BufferEncoding | ReadFileOptions): Promise<Buffer | string> {
    const { maxBytes, encoding } = readOptions(options);
    return this.#op('readFile', async (record) => {
      const walk = this.#walk(path, record);
      try {
        const data = await readFileAt(walk, maxBytes, this.#inline);
        return encoding ? data.toString(encoding) : data;
      } finally {
        walk.release();
      }
    });
  }

  /**
   * Synchronous readFile, for exit handlers and bulk loads where thousands of small files make
   * thread-pool round trips dominate. Same checks as readFile.
   */
  readFileSync(path: string, options: BufferEncoding | (ReadFileOptions & { encoding: BufferEncoding })): string;
  readFileSync(path: string, options?: ReadFileOptions & { encoding?: null | undefined }): Buffer;
  readFileSync(path: string, options?: BufferEncoding | ReadFileOptions): Buffer | string {
    const { maxBytes, encoding } = readOptions(options);
    return this.#opSync('readFileSync', (record) => {
      const walk = this.#walk(path, record);
      try {
        const data = readFileAtSync(walk, maxBytes);
        return encoding ? data.toString(encoding) : data;
      } finally {
        walk.release();
      }
    });
  }

  /**
   * A readable stream of a regular file (same checks as readFile, without the size bound).
   * The descriptor is opened before this returns; the stream owns and closes it.
   */
  createReadStream(path: string, options: ReadStreamOptions = {}): ReadStream {
    return this.#opSync('createReadStream', (record) => {
      const walk = this.#walk(path, record);
      try {
        return createReadStreamAt(walk, options);
      } finally {
        walk.release();
      }
    });
  }

  // ---------------------------------------------------------------- writes

  /**
   * Atomic, durable write (the same as writeFileAtomic): temp file `O_EXCL|O_NOFOLLOW` with the
   * final mode (exact whatever the umask; default 0o600, or `mode: 'preserve'` to keep the
   * replaced file's), write, fsync, rename over the target, fsync the directory. A symlink at
   * the target is replaced, never written through, under `refuse`; under `follow-within` the
   * in-root file it names is replaced. `mkdirs` creates missing parents (0o700).
   *
   * @example
   * ```ts
   * await dir.writeFile('agents/ops/state.json', JSON.stringify(state), { mkdirs: true, mode: 'preserve' });
   * ```
   */
  async writeFile(path: string, data: WriteData, options: WriteFileOptions | BufferEncoding = {}): Promise<void> {
    const { encoding, mkdirs, writeOptions } = writeOptionsOf(options);
    assertWriteData(data);
    const bytes = encoding === undefined ? data : toBytes(data, encoding);
    await this.#op('writeFile', async (record) => {
      const walk = this.#walk(path, record, mkdirs ? { mkdirs: 0o700 } : {});
      try {
        await writeFileAt(walk, bytes, writeOptions, this.#inline, this.#syncFor(walk.dir));
      } finally {
        walk.release();
      }
    });
  }

  /**
   * The explicit name of writeFile: atomic and durable, the same options and refusals (a path
   * naming the root itself is EBADNAME, one ending in `/` is EINSECURE, a symlink on the way is
   * ESYMLINK under `refuse`).
   *
   * @example
   * ```ts
   * await dir.writeFileAtomic('config.json', JSON.stringify(config, null, 2), { mode: 0o640 });
   * ```
   */
  async writeFileAtomic(path: string, data: WriteData, options: WriteFileOptions = {}): Promise<void> {
    return this.writeFile(path, data, options);
  }

  /** Synchronous atomic writeFile (same protocol, sync syscalls), for exit handlers. */
  writeFileSync(path: string, data: WriteData, options: WriteFileOptions | BufferEncoding = {}): void {
    const { encoding, mkdirs, writeOptions } = writeOptionsOf(options);
    assertWriteData(data);
    const bytes = encoding === undefined ? data : toBytes(data, encoding);
    this.#opSync('writeFileSync', (record) => {
      const walk = this.#walk(path, record, mkdirs ? { mkdirs: 0o700 } : {});
      try {
        writeFileAtSync(walk, bytes, writeOptions);
      } finally {
        walk.release();
      }
    });
  }

  /**
   * Appends to a file, creating it with exactly `mode` (default 0o600) if missing. The file
   * must be a regular file with exactly one link (`EINSECURE`: a planted hard link to a file
   * outside the root is never written through); a symlink is `ESYMLINK` under `refuse`.
   * Not atomic with respect to readers (as node's appendFile); each call is one write.
   *
   * @example
   * ```ts
   * await dir.appendFile('logs/audit.log', `${new Date().toISOString()} login ${user}\n`);
   * ```
   */
  async appendFile(path: string, data: WriteData, options: AppendFileOptions | BufferEncoding = {}): Promise<void> {
    const opts = typeof options === 'string' ? { encoding: options } : options;
    assertWriteData(data);
    const mode = resolveFileMode(opts.mode);
    await this.#op('appendFile', (record) => {
      const walk = this.#walk(path, record);
      try {
        appendFileAt(walk, data, mode, opts.encoding);
      } finally {
        walk.release();
      }
    });
  }

  /**
   * An atomic write stream: committed (fsync, rename, directory fsync) before `finish`;
   * an error or `destroy()` first removes the temp file and leaves the target untouched. The
   * path is walked (and refused: EESCAPE, ESYMLINK, EBADNAME) before this returns.
   *
   * @example
   * ```ts
   * import { pipeline } from 'node:stream/promises';
   *
   * await pipeline(source, dir.createWriteStream('downloads/archive.tar', { mkdirs: true }));
   * // resolved: the file is complete and durable; rejected: the target is untouched

   * ```
   */
  createWriteStream(path: string, options: WriteStreamOptions = {}): Writable {
    assertModeOption(options.mode);
    return this.#opSync('createWriteStream', (record) => {
      const walk = this.#walk(path, record, options.mkdirs ? { mkdirs: 0o700 } : {});
      try {
        return createWriteStreamAt(walk, options);
      } finally {
        walk.release();
      }
    });
  }

  /**
   * Opens a file as node's `fs.promises.open` does, with flags restricted to node's strings and
   * O_NOFOLLOW|O_NONBLOCK always added. Writable opens (`r+`, `w`, `a` …) require a regular file
   * with exactly one link (`EINSECURE`), checked before anything is truncated; a file created
   * gets exactly `mode` (default 0o600). The caller owns the returned handle. Unknown flags are
   * a TypeError; `wx`/`ax` on an existing name (a dangling symlink included) are EEXIST.
   *
   * @example
   * ```ts
   * const handle = await dir.open('data/journal.bin', 'a+');
   * try {
   *   await handle.write(record);
   *   await handle.sync();
   * } finally {
   *   await handle.close();
   * }
   * ```
   */
  async open(path: string, flags: OpenFlags = 'r', mode = 0o600): Promise<FileHandle> {
    if (!Object.hasOwn(OPEN_FLAG_TABLE, flags)) {
      throw new TypeError(`open flags must be one of ${Object.keys(OPEN_FLAG_TABLE).join(', ')}, got ${JSON.stringify(flags)}`);
    }
    const spec = OPEN_FLAG_TABLE[flags];
    resolveFileMode(mode);
    return this.#op('open', async (record) => {
      const walk = this.#walk(path, record);
      try {
        return await openChecked(walk, spec, mode);
      } finally {
        walk.release();
      }
    });
  }

  /**
   * Opens an existing regular file without following a symlink and without blocking on a FIFO.
   * With `write` or `append` it must have exactly one link (`EINSECURE`). The caller owns the
   * returned handle and must close it.
   */
  async openFile(path: string, options: OpenFileOptions = {}): Promise<FileHandle> {
    const flags = options.append ? OPEN_READ_APPEND_FLAGS : options.write ? OPEN_READ_WRITE_FLAGS : OPEN_READ_FLAGS;
    const writable = options.append === true || options.write === true;
    return this.#op('openFile', async (record) => {
      const walk = this.#walk(path, record);
      try {
        return await openHandleChecked(walk, flags, writable, undefined);
      } finally {
        walk.release();
      }
    });
  }

  /**
   * openFile, synchronously (the same flags and checks): returns a raw descriptor, which the
   * caller owns and closes (fs.closeSync). For synchronous readers that must judge the file on
   * its descriptor (fstat) before reading it.
   */
  openFileSync(path: string, options: OpenFileOptions = {}): number {
    const flags = options.append ? OPEN_READ_APPEND_FLAGS : options.write ? OPEN_READ_WRITE_FLAGS : OPEN_READ_FLAGS;
    const writable = options.append === true || options.write === true;
    return this.#opSync('openFileSync', (record) => this.#withWalk(path, record, (walk) => openRegularFd(walk, flags, writable)));
  }

  /**
   * Creates a new file with O_CREAT|O_EXCL|O_NOFOLLOW (EEXIST if the name is taken by anything,
   * a dangling symlink included), writes `data`, and returns the open handle, which the caller
   * must close. Used for lock files and other create-once records.
   */
  async createFileExclusive(path: string, data: WriteData, options: CreateFileOptions = {}): Promise<FileHandle> {
    const mode = resolveFileMode(options.mode);
    assertWriteData(data);
    return this.#op('createFileExclusive', async (record) => {
      const walk = this.#walk(path, record);
      try {
        const name = walk.requireFileName();
        const kernelPath = this.#core.resolver.pathIn(walk.dir, name);
        let handle: FileHandle;
        try {
          handle = await openHandle(kernelPath, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
        } catch (error) {
          throw mapOpenError(error, walk.displayPath, 'file');
        }
        try {
          if (this.#core.resolver.checks) proveCreatedHere(walk, handle.fd, kernelPath);
          if (options.exactMode ?? true) await handle.chmod(mode); // fchmod: exact mode whatever the umask
          await handle.writeFile(data);
          if (options.fsync ?? true) await handle.sync();
          walk.check();
          return handle;
        } catch (error) {
          await handle.truncate(0).catch(() => undefined);
          await handle.close().catch(() => undefined);
          try {
            unlinkSync(kernelPath);
          } catch {
            // the original error is reported
          }
          throw error;
        }
      } finally {
        walk.release();
      }
    });
  }

  /**
   * The synchronous twin of createFileExclusive, for tiny records that need no durability (lock
   * files): no fsync, and it returns the raw descriptor, which the caller owns and must close
   * (fs.closeSync / fs.close). Inline on purpose: a store takes a lock on every commit, and a
   * thread-pool round trip would queue behind every fsync in flight.
   */
  createFileExclusiveSync(path: string, data: WriteData, options: Omit<CreateFileOptions, 'fsync'> = {}): number {
    assertWriteData(data);
    const mode = resolveFileMode(options.mode);
    return this.#opSync('createFileExclusiveSync', (record) => {
      const walk = this.#walk(path, record);
      try {
        const { fd, path: kernelPath } = createExclusiveFd(walk, mode);
        try {
          if (this.#core.resolver.checks) proveCreatedHere(walk, fd, kernelPath);
          if (options.exactMode ?? true) fchmodSync(fd, mode); // exact mode whatever the umask
          writeAllSync(fd, toBytes(data));
          walk.check();
          return fd;
        } catch (error) {
          eraseCreated(fd, kernelPath);
          throw error;
        }
      } finally {
        walk.release();
      }
    });
  }

  /**
   * Copies a regular file (following per policy; at most `maxBytes`, default 64 MiB) to `dest`
   * in this root or in `targetDir`, atomically (temp file + rename; the copy gets the source's
   * mode). With `fs.constants.COPYFILE_EXCL` an existing destination is EEXIST and is never
   * replaced. COPYFILE_FICLONE_FORCE is EUNSUPPORTED.
   */
  async copyFile(source: string, dest: string, mode?: number | CopyFileOptions): Promise<void> {
    const opts: CopyFileOptions = typeof mode === 'number' || mode === undefined ? (mode === undefined ? {} : { mode }) : mode;
    const { exclusive } = copyModeFlags(opts.mode);
    const maxBytes = resolveMaxBytes(opts.maxBytes === undefined ? undefined : { maxBytes: opts.maxBytes });
    const target = opts.targetDir ?? this;
    await this.#opWith(target, 'copyFile', async (record) => {
      const from = this.#walk(source, record);
      let content: { bytes: Buffer; mode: number };
      try {
        content = readSourceFully(from);
      } finally {
        from.release();
      }
      if (content.bytes.byteLength > maxBytes) {
        throw new HardfsError('ETOOBIG', `file is ${content.bytes.byteLength} bytes, over the ${maxBytes}-byte bound`, { path: from.displayPath });
      }
      const to = target.#walk(dest, record);
      try {
        if (!exclusive) {
          await writeFileAt(to, content.bytes, { mode: content.mode }, target.#inline, target.#syncFor(to.dir));
          return;
        }
        // No-replace: a complete temp file, then link(2) to the name (EEXIST if taken), then
        // the temp name unlinked.
        const temp = makeTempFileName();
        const access = accessOf(to, target.#syncFor(to.dir));
        await writeAtomicIn(access, temp, content.bytes, { mode: content.mode, syncDirectory: false }, target.#inline);
        try {
          renameNoReplaceAt(target.#walkIn(to, temp, record), to);
        } catch (error) {
          try {
            unlinkSync(access.pathOf(temp));
          } catch {
            // reported below
          }
          throw error;
        }
        await target.#syncFor(to.dir)();
      } finally {
        to.release();
      }
    });
  }

  // ---------------------------------------------------------------- names

  /**
   * Renames `from` to `to` (relative paths; `to` in `options.targetDir` if given). Neither last
   * component is followed; an existing target is replaced. On Windows, EPERM/EBUSY/EACCES from a
   * file held open elsewhere are retried for up to 2 s (SECURITY.md). A path naming the root
   * itself is EBADNAME; errors name the caller's path.
   *
   * @example
   * ```ts
   * await dir.rename('incoming/report.pdf', 'archive/report.pdf');
   * await dir.rename('draft.json', 'published.json', { targetDir: publicDir });
   * ```
   */
  async rename(from: string, to: string, options: RenameOptions = {}): Promise<void> {
    const target = options.targetDir ?? this;
    await this.#opWith(target, 'rename', async (record) => {
      const source = this.#walk(from, record, {}, 'source path');
      try {
        const dest = target.#walk(to, record, {}, 'target path');
        try {
          await renameAt(source, dest);
        } finally {
          dest.release();
        }
      } finally {
        source.release();
      }
    });
  }

  /**
   * Renames only if `to` does not exist (EEXIST otherwise), by hard-linking then unlinking the
   * source. Regular files only; the target never holds anything but the complete source.
   */
  async renameNoReplace(from: string, to: string, options: RenameOptions = {}): Promise<void> {
    const target = options.targetDir ?? this;
    await this.#opWith(target, 'renameNoReplace', (record) => {
      const source = this.#walk(from, record, {}, 'source path');
      try {
        const dest = target.#walk(to, record, {}, 'target path');
        try {
          renameNoReplaceAt(source, dest);
        } finally {
          dest.release();
        }
      } finally {
        source.release();
      }
    });
  }

  /** A hard link `newPath` to the file at `existingPath` (the source's last component is not followed). */
  async link(existingPath: string, newPath: string): Promise<void> {
    await this.#op('link', (record) => {
      const existing = this.#walk(existingPath, record, {}, 'existing path');
      try {
        const created = this.#walk(newPath, record, {}, 'new path');
        try {
          linkAt(existing, created);
        } finally {
          created.release();
        }
      } finally {
        existing.release();
      }
    });
  }

  /**
   * Creates a symlink at `path` storing `target` as given (node's argument order). A link is
   * harmless to the root: its walks never follow one out (`EESCAPE`), or at all under `refuse`.
   */
  async symlink(target: string, path: string): Promise<void> {
    await this.#op('symlink', (record) => { this.#withWalk(path, record, (walk) => { symlinkAt(walk, target); }); });
  }

  /** The target stored in the symlink at `path` (its last component is not followed). */
  async readlink(path: string): Promise<string> {
    return this.#op('readlink', (record) => this.#withWalk(path, record, readlinkAt));
  }

  /** Removes a name. A symlink is removed itself, never its target. */
  async unlink(path: string): Promise<void> {
    await this.#op('unlink', (record) => { this.#withWalk(path, record, unlinkAt); });
  }

  /** Synchronous unlink, for exit handlers (where no promise will ever settle). */
  unlinkSync(path: string): void {
    this.#opSync('unlinkSync', (record) => { this.#withWalk(path, record, unlinkAt); });
  }

  /** Removes an empty directory. */
  async rmdir(path: string): Promise<void> {
    await this.#op('rmdir', (record) => { this.#withWalk(path, record, rmdirAt); });
  }

  /**
   * Removes a file, a symlink (itself) or, with `recursive`, a directory tree, through
   * descriptors: a subdirectory swapped for a symlink during the removal is unlinked, never
   * followed, and nothing outside the tree can be reached. `force`: a missing path is not an
   * error. A directory without `recursive` is EISDIR (as node).
   *
   * @example
   * ```ts
   * await dir.rm('cache', { recursive: true, force: true });
   * ```
   */
  async rm(path: string, options: RmOptions = {}): Promise<void> {
    await this.#op('rm', (record) => {
      let walk: Walk;
      try {
        walk = this.#walk(path, record);
      } catch (error) {
        if (options.force && errnoCode(error) === 'ENOENT' && !isHardfsError(error)) return;
        throw error;
      }
      try {
        rmAt(walk, options);
      } finally {
        walk.release();
      }
    });
  }

  /**
   * Removes a subdirectory and everything under it, descending only through descriptors opened
   * with O_NOFOLLOW: a symlink inside is unlinked, never followed. The name must be a directory
   * (ENOTDIR / ESYMLINK otherwise).
   * Prefer `rm(path, { recursive: true })`, which also removes files and symlinks (see CHANGELOG).
   */
  async removeTree(path: string): Promise<void> {
    await this.#op('removeTree', async (record) => {
      const walk = this.#walk(path, record);
      try {
        walk.requireName();
        const stats = lstatAt(walk);
        if (stats.isSymbolicLink()) throw new HardfsError('ESYMLINK', 'refusing a symlink where a directory is required', { path: walk.displayPath });
        if (!stats.isDirectory()) throw new HardfsError('ENOTDIR', 'not a directory', { path: walk.displayPath });
        rmAt(walk, { recursive: true });
      } finally {
        walk.release();
      }
      await Promise.resolve();
    });
  }

  /**
   * Creates a directory with exactly `mode` (default 0o700) whatever the umask, never through a
   * symlink. `recursive` creates missing parents and returns the first directory created (the
   * caller's path) or undefined, like node. Without `recursive` an existing name is EEXIST; a
   * file on the way is ENOTDIR; a mode outside 0..0o7777 is a TypeError.
   *
   * @example
   * ```ts
   * const first = await dir.mkdir('cache/thumbnails/256', { recursive: true, mode: 0o750 });
   * ```
   */
  async mkdir(path: string, options: MkdirOptions & { recursive: true }): Promise<string | undefined>;
  async mkdir(path: string, options?: MkdirOptions): Promise<undefined>;
  async mkdir(path: string, options: MkdirOptions = {}): Promise<string | undefined> {
    const mode = assertMode(options.mode ?? 0o700);
    const recursive = options.recursive === true;
    return this.#op('mkdir', (record) => {
      let first: string | undefined;
      const walk = this.#walk(path, record, recursive ? { mkdirs: mode, onCreate: (created) => (first ??= created) } : {});
      try {
        return mkdirAt(walk, mode, recursive, first);
      } finally {
        walk.release();
      }
    });
  }

  // ---------------------------------------------------------------- metadata

  /**
   * stat, following per policy: under `follow-within` a symlink at the last component is
   * followed within the root (`EESCAPE` if it leads outside); under `refuse` it is `ESYMLINK`
   * (the caller's path), as for every operation that would have to follow it. Use `lstat` for
   * the name itself. Without a path: the root itself.
   *
   * @example
   * ```ts
   * const { size, mtimeMs } = await dir.stat('state/agents/a.json');
   * const { ino } = await dir.stat('state', { bigint: true });
   * ```
   */
  stat(path?: string, options?: StatOptions & { bigint?: false }): Promise<Stats>;
  stat(path: string | undefined, options: StatOptions & { bigint: true }): Promise<BigIntStats>;
  async stat(path = '.', options: StatOptions = {}): Promise<Stats | BigIntStats> {
    if (!this.#inline) return this.#op('stat', (record) => this.#withWalkAsync(path, record, (walk) => statAtAsync(walk, options)));
    return this.#op('stat', (record) => this.#withWalk(path, record, (walk) => statAt(walk, options)));
  }

  /** Synchronous stat (see stat). */
  statSync(path?: string, options?: StatOptions & { bigint?: false }): Stats;
  statSync(path: string | undefined, options: StatOptions & { bigint: true }): BigIntStats;
  statSync(path = '.', options: StatOptions = {}): Stats | BigIntStats {
    return this.#opSync('statSync', (record) => this.#withWalk(path, record, (walk) => statAt(walk, options)));
  }

  /** lstat: a symlink at the last component is reported as a symlink, never followed. */
  lstat(path?: string, options?: StatOptions & { bigint?: false }): Promise<Stats>;
  lstat(path: string | undefined, options: StatOptions & { bigint: true }): Promise<BigIntStats>;
  async lstat(path = '.', options: StatOptions = {}): Promise<Stats | BigIntStats> {
    if (!this.#inline) return this.#op('lstat', (record) => this.#withWalkAsync(path, record, (walk) => lstatAtAsync(walk, options)));
    return this.#op('lstat', (record) => this.#withWalk(path, record, (walk) => lstatAt(walk, options)));
  }

  /** Synchronous lstat. */
  lstatSync(path?: string, options?: StatOptions & { bigint?: false }): Stats;
  lstatSync(path: string | undefined, options: StatOptions & { bigint: true }): BigIntStats;
  lstatSync(path = '.', options: StatOptions = {}): Stats | BigIntStats {
    return this.#opSync('lstatSync', (record) => this.#withWalk(path, record, (walk) => lstatAt(walk, options)));
  }

  /** chmod through a descriptor opened O_NOFOLLOW (fchmod; never by path), following per policy. */
  async chmod(path: string, mode: number): Promise<void> {
    assertMode(mode);
    await this.#op('chmod', (record) => { this.#withWalk(path, record, (walk) => { chmodAt(walk, mode); }); });
  }

  /** chown through a descriptor opened O_NOFOLLOW (fchown; never by path), following per policy. */
  async chown(path: string, uid: number, gid: number): Promise<void> {
    await this.#op('chown', (record) => { this.#withWalk(path, record, (walk) => { chownAt(walk, uid, gid); }); });
  }

  /** lchown: the name itself (a symlink is changed, not its target), through the parent's descriptor. */
  async lchown(path: string, uid: number, gid: number): Promise<void> {
    await this.#op('lchown', (record) => { this.#withWalk(path, record, (walk) => { lchownAt(walk, uid, gid); }); });
  }

  /** utimes through a descriptor opened O_NOFOLLOW (futimes; never by path), following per policy. */
  async utimes(path: string, atime: TimeLike, mtime: TimeLike): Promise<void> {
    await this.#op('utimes', (record) => { this.#withWalk(path, record, (walk) => { utimesAt(walk, atime, mtime); }); });
  }

  /** access(2) on the target (resolved per policy): rejects with the native error (EACCES, ENOENT). */
  async access(path: string, mode?: number): Promise<void> {
    await this.#op('access', (record) => { this.#withWalk(path, record, (walk) => { accessAt(walk, mode); }); });
  }

  /** True if the path exists (following per policy); false for ENOENT/ENOTDIR; refusals throw. */
  async exists(path: string): Promise<boolean> {
    return this.#op('exists', (record) => this.#exists(path, record));
  }

  /** Synchronous exists. */
  existsSync(path: string): boolean {
    return this.#opSync('existsSync', (record) => this.#exists(path, record));
  }

  #exists(path: string, record: Recorded): boolean {
    let walk: Walk;
    try {
      walk = this.#walk(path, record);
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
    try {
      return existsAt(walk);
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    } finally {
      walk.release();
    }
  }

  // ---------------------------------------------------------------- listing

  /**
   * Entry names of a directory (default: the root), no `.`/`..`, unsorted; with
   * `withFileTypes`, SafeDirent objects (types as readdir reports them; symlinks not followed).
   * A path that is not a directory is ENOTDIR; a symlink to one is ESYMLINK under `refuse`.
   *
   * @example
   * ```ts
   * const names = await dir.readdir('sessions');
   * const subdirs = (await dir.readdir('.', { withFileTypes: true })).filter((entry) => entry.isDirectory());
   * ```
   */
  readdir(path?: string, options?: ReaddirOptions & { withFileTypes?: false }): Promise<string[]>;
  readdir(path: string | undefined, options: ReaddirOptions & { withFileTypes: true }): Promise<SafeDirent[]>;
  async readdir(path = '.', options: ReaddirOptions = {}): Promise<string[] | SafeDirent[]> {
    return this.#op('readdir', async (record) => {
      const walk = this.#walk(path, record);
      try {
        walk.enterTarget();
        const kernelPath = this.#core.resolver.pathOf(walk.dir);
        if (!options.withFileTypes) {
          const names = this.#inline ? readdirSync(kernelPath) : await readdir(kernelPath);
          walk.check();
          return names;
        }
        const parent = walk.dir.path;
        const listed = this.#inline ? readdirSync(kernelPath, { withFileTypes: true }) : await readdir(kernelPath, { withFileTypes: true });
        const dirents = listed.map((dirent) => new SafeDirent(dirent.name, parent, direntKind(dirent)));
        walk.check();
        return dirents;
      } finally {
        walk.release();
      }
    });
  }

  /** readdir, synchronously (the same walk and checks), as node's `fs.readdirSync`. */
  readdirSync(path?: string, options?: ReaddirOptions & { withFileTypes?: false }): string[];
  readdirSync(path: string | undefined, options: ReaddirOptions & { withFileTypes: true }): SafeDirent[];
  readdirSync(path = '.', options: ReaddirOptions = {}): string[] | SafeDirent[] {
    return this.#opSync('readdirSync', (record) => {
      const walk = this.#walk(path, record);
      try {
        walk.enterTarget();
        const kernelPath = this.#core.resolver.pathOf(walk.dir);
        const listed = options.withFileTypes
          ? readdirSync(kernelPath, { withFileTypes: true }).map((dirent) => new SafeDirent(dirent.name, walk.dir.path, direntKind(dirent)))
          : readdirSync(kernelPath);
        walk.check();
        return listed;
      } finally {
        walk.release();
      }
    });
  }

  /** Names in the root directory (no `.`/`..`), unsorted. */
  async list(): Promise<string[]> {
    return this.readdir('.');
  }

  /** Names in the root with their types as readdir reports them (symlinks reported as symlinks, never followed). */
  async entries(): Promise<DirEntry[]> {
    const dirents = await this.readdir('.', { withFileTypes: true });
    return dirents.map((dirent) => ({
      name: dirent.name,
      type: dirent.isSymbolicLink() ? 'symlink' : dirent.isDirectory() ? 'directory' : dirent.isFile() ? 'file' : 'other',
    }));
  }

  // ---------------------------------------------------------------- the root itself

  /** stat of the pinned directory itself, through its descriptor where there is one. */
  async statSelf(): Promise<Stats> {
    return this.#op('statSelf', () => {
      this.#checkRoot();
      return this.#root.fd !== undefined ? fstatSync(this.#root.fd) : statAt(this.#walk('.', new Recorded()), {}) as Stats;
    });
  }

  /** Sets the pinned directory's own mode through its descriptor (fchmod; never by path). */
  async setMode(mode: number): Promise<void> {
    assertMode(mode);
    await this.#op('setMode', () => {
      /* v8 ignore next 5 -- Windows: no directory descriptor */
      if (this.#root.fd === undefined) {
        throw new HardfsError('EUNSUPPORTED', 'no directory descriptor on this platform to change the mode through', { path: this.#root.path });
      }
      this.#checkRoot();
      fchmodSync(this.#root.fd, mode);
      this.#checkRoot();
    });
  }

  /**
   * Opens a directory inside this root as a new root (its own descriptor and policy check; the
   * walk follows per this root's policy). `create` makes it (exact `mode`, default 0o700) if
   * missing, never through a symlink. The caller closes it. Refused like openDir: a file is
   * ENOTDIR, a symlink at the name ESYMLINK under `refuse`, a directory failing the policy
   * EINSECURE.
   *
   * @example
   * ```ts
   * await using agent = await dir.openRoot(`agents/${agentId}`, { create: true });
   * await agent.writeFile('state.json', JSON.stringify(state));
   * ```
   */
  async openRoot(
path: string, options: OpenRootOptions = {}): Promise<SafeDir> {
    const mode = rootMode(options);
    return this.#op('openRoot', (record) => this.#openRootNow(path, options, mode, record));
  }

  /**
   * openRoot, synchronously (the same walk, checks and creation): for synchronous readers that
   * need a sub-root, such as a store opened by openStoreSync.
   */
  openRootSync(path: string, options: OpenRootOptions = {}): SafeDir {
    const mode = rootMode(options);
    return this.#opSync('openRootSync', (record) => this.#openRootNow(path, options, mode, record));
  }

  #openRootNow(path: string, options: OpenRootOptions, mode: number, record: Recorded): SafeDir {
    const policy = mergePolicy(this.#policy, options);
    const symlinks = options.symlinks === undefined ? this.#core.symlinks : resolveSymlinks(options.symlinks);
    const walk = this.#walk(path, record);
    try {
      if (options.create && walk.name !== undefined) {
        assertModeAllowed(mode, walk.displayPath, policy);
        try {
          mkdirAt(walk, mode, false, undefined);
        } catch (error) {
          // Already there: entering it below says what it is (ENOTDIR, ESYMLINK …).
          if (errnoCode(error) !== 'EEXIST' || isHardfsError(error)) throw error;
        }
      }
      walk.enterTarget();
      walk.check();
      const pinned = this.#pinNode(walk, policy);
      return new SafeDir(PIN_TOKEN, { pinned, policy, inline: this.#inline, symlinks });
    } finally {
      walk.release();
    }
  }

  /**
   * Opens (optionally creates) a subdirectory as a new pinned handle; the caller closes it.
   * The same as openRoot.
   */
  async openSubdir(path: string, options: OpenSubdirOptions = {}): Promise<SafeDir> {
    return this.openRoot(path, options);
  }

  /** fsync the directory itself (makes renames and creations in it durable). */
  async sync(): Promise<void> {
    await this.#op('sync', async () => {
      this.#checkRoot();
      await this.#syncRoot();
    });
  }

  /** Waits for operations in flight, then releases the descriptor. Idempotent. */
  async close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      if (this.#inFlight > 0) {
        await new Promise<void>((done) => {
          this.#drained = done;
        });
        // Let the operations that just finished settle their callers' promises first.
        await new Promise<void>((done) => setImmediate(done));
      }
      if (this.#root.fd !== undefined) {
        forgetOnClose(this);
        closeSync(this.#root.fd);
      }
    })();
    return this.#closing;
  }

  /** `await using dir = await openDir(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- machinery

  // The directory a walk entered becomes a root of its own: the walk's descriptor is handed
  // over (the root's own is re-opened through `.`), checked against the policy.
  #pinNode(walk: Walk, policy: DirPolicy): Pinned {
    const node = walk.detachTarget();
    /* v8 ignore next -- Windows only */
    if (node.fd === undefined) return pinWithoutDescriptor(node.path, policy);
    // pinDescriptor owns the descriptor from here: closed if the policy refuses it.
    return pinDescriptor(node.fd, node.path, policy, this.#core.resolver.kind);
  }

  #walk(path: string, record: Recorded, options: WalkOptions = {}, what = 'path'): Walk {
    const walk = new Walk(this.#core, path, { ...options, record }, what);
    record.walks.push(walk);
    return walk;
  }

  // A walk to `name` in the directory another walk ended in (copyFile's temp name).
  #walkIn(walk: Walk, name: string, record: Recorded): Walk {
    const rel = relativeFromRoot(this.#root.path, walk.dir.path);
    return this.#walk(rel === '' ? name : `${rel}/${name}`, record);
  }

  #withWalk<T>(path: string, record: Recorded, body: (walk: Walk) => T): T {
    const walk = this.#walk(path, record);
    try {
      return body(walk);
    } finally {
      walk.release();
    }
  }

  async #withWalkAsync<T>(path: string, record: Recorded, body: (walk: Walk) => Promise<T>): Promise<T> {
    const walk = this.#walk(path, record);
    try {
      return await body(walk);
    } finally {
      walk.release();
    }
  }

  #checkRoot(): void {
    if (this.#core.resolver.checks) this.#core.resolver.check([this.#root]);
  }

  // Concurrent writers in the root share directory fsyncs (see sys/coalesce.ts): each one
  // still waits for an fsync that started after its rename. A subdirectory is fsynced through
  // the walk's own descriptor.
  readonly #syncRoot = coalesce(async () => {
    // Windows cannot open or fsync a directory; NTFS journals the rename itself.
    /* v8 ignore next -- the else branch is Windows-only */
    if (this.#root.fd !== undefined) await fsyncFd(this.#root.fd);
  });

  #syncFor(node: DirNode): () => Promise<void> {
    if (node === this.#root) return this.#syncRoot;
    return async () => {
      if (node.fd !== undefined) await fsyncFd(node.fd);
    };
  }

  async #op<T>(op: string, body: (record: Recorded) => T | Promise<T>): Promise<T> {
    return this.#opWith(this, op, body);
  }

  /**
   * Runs an operation that touches this root and `other` (the same root, or a rename's
   * target). Both in-flight references are taken synchronously, before the first await, so a
   * close() issued right after the call always waits for the operation instead of closing
   * under it (the descriptor number must not be reused while a path through it resolves).
   */
  async #opWith<T>(other: SafeDir, op: string, body: (record: Recorded) => T | Promise<T>): Promise<T> {
    this.#acquire(op);
    try {
      other.#acquire(op);
    } catch (error) {
      this.#release();
      throw error;
    }
    const record = new Recorded();
    try {
      return await body(record);
    } catch (error) {
      throw this.#shape(error, op, record, other);
    } finally {
      other.#release();
      this.#release();
    }
  }

  #opSync<T>(op: string, body: (record: Recorded) => T): T {
    this.#acquire(op);
    const record = new Recorded();
    try {
      return body(record);
    } catch (error) {
      throw this.#shape(error, op, record, this);
    } finally {
      this.#release();
    }
  }

  // Errors are shaped once, here: a refusal learns its operation; a native error names the
  // caller's paths instead of /proc/self/fd/N/….
  #shape(error: unknown, op: string, record: Recorded, other: SafeDir): unknown {
    if (typeof error !== 'object' || error === null) return error;
    if (ABOUT_DIRECTORY in error) {
      if (isHardfsError(error)) error.op ??= op;
      return error;
    }
    const tagged = (error as { [CALLER_PATH]?: string })[CALLER_PATH];
    const callerPath = tagged ?? record.walks.at(-1)?.callerPath;
    if (isHardfsError(error)) {
      error.op ??= op;
      if (callerPath !== undefined) (error as { path: string | undefined }).path = callerPath;
      return error;
    }
    renameDescriptorPaths(error, (fd) => {
      if (fd === this.#root.fd) return this.#root.path;
      if (fd === other.#root.fd) return other.#root.path;
      return record.get(fd);
    });
    const native = error as NodeJS.ErrnoException & { dest?: string; op?: string };
    native.op ??= op;
    // Two walks (rename, link): the native error names both; its path is the first's, its dest the second's.
    const [first, second] = record.walks;
    if (tagged === undefined && second !== undefined && typeof native.dest === 'string' && first !== undefined) {
      replacePath(native, 'dest', second.callerPath);
      replacePath(native, 'path', first.callerPath);
    } else if (callerPath !== undefined && typeof native.path === 'string') {
      replacePath(native, 'path', callerPath);
    }
    return error;
  }

  #acquire(op: string): void {
    if (this.#closed) {
      throw new HardfsError('ECLOSED', 'directory handle is closed', { path: this.#root.path, op });
    }
    this.#inFlight += 1;
  }

  #release(): void {
    this.#inFlight -= 1;
    if (this.#inFlight === 0 && this.#drained) {
      const drained = this.#drained;
      this.#drained = undefined;
      drained();
    }
  }
}

// Verify strategies: a file just created must be in the walk's directory before any byte of
// the caller's is written to it (see atomic-write.ts, afterCreate).
function proveCreatedHere(walk: Walk, fd: number, path: string): void {
  walk.check();
  proveSameFile(fd, path);
  walk.check();
}

function replacePath(error: NodeJS.ErrnoException & { dest?: string }, key: 'path' | 'dest', value: string): void {
  const old = error[key];
  if (typeof old !== 'string' || old === value) return;
  error.message = error.message.replace(`'${old}'`, `'${value}'`);
  error[key] = value;
}

function isMissing(error: unknown): boolean {
  const code = errnoCode(error);
  if (isHardfsError(error)) return code === 'ENOTDIR';
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function relativeFromRoot(root: string, path: string): string {
  if (path === root) return '';
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

function readOptions(options: BufferEncoding | ReadFileOptions | undefined): { maxBytes: number; encoding: BufferEncoding | undefined } {
  if (typeof options === 'string') return { maxBytes: resolveMaxBytes(undefined), encoding: options };
  return { maxBytes: resolveMaxBytes(options), encoding: options?.encoding ?? undefined };
}

function writeOptionsOf(options: WriteFileOptions | BufferEncoding): {
  encoding: BufferEncoding | undefined;
  mkdirs: boolean;
  writeOptions: AtomicWriteOptions;
} {
  if (typeof options === 'string') return { encoding: options, mkdirs: false, writeOptions: {} };
  const { encoding, mkdirs, ...writeOptions } = options;
  assertModeOption(writeOptions.mode);
  return { encoding, mkdirs: mkdirs === true, writeOptions };
}

async function openHandleChecked(walk: Walk, flags: number, writable: boolean, mode: number | undefined): Promise<FileHandle> {
  for (;;) {
    const name = walk.requireFileName();
    let handle: FileHandle;
    try {
      handle = await openHandle(walk.core.resolver.pathIn(walk.dir, name), flags, mode);
    } catch (error) {
      const mapped = mapOpenError(error, walk.displayPath, 'file');
      if (isHardfsError(mapped, 'ESYMLINK') && walk.followLast()) continue;
      throw mapped;
    }
    try {
      assertRegularFd(handle.fd, walk.displayPath, writable);
      walk.check();
      return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
}

// open(): creation is tried with O_EXCL first so that a file we create gets its exact mode and
// one we did not create is checked (one link, regular) before anything is truncated.
async function openChecked(walk: Walk, spec: (typeof OPEN_FLAG_TABLE)[OpenFlags], mode: number): Promise<FileHandle> {
  const base = spec.flags | O_NOFOLLOW | O_NONBLOCK;
  while (spec.create) {
    const name = walk.requireFileName();
    const kernelPath = walk.core.resolver.pathIn(walk.dir, name);
    try {
      const handle = await openHandle(kernelPath, base | O_CREAT | O_EXCL, mode);
      try {
        await handle.chmod(mode);
        walk.check();
        return handle;
      } catch (error) {
        await handle.close().catch(() => undefined);
        try {
          unlinkSync(kernelPath);
        } catch {
          // the original error is reported
        }
        throw error;
      }
    } catch (error) {
      if (spec.exclusive || errnoCode(error) !== 'EEXIST' || isHardfsError(error)) throw mapOpenError(error, walk.displayPath, 'file');
      // Taken: by a file (opened below) or by a link the policy follows (created through it).
      if (!(walk.follows && lstatSync(kernelPath).isSymbolicLink() && walk.followLast())) break;
    }
  }
  const handle = await openHandleChecked(walk, base, spec.writable, undefined);
  if (spec.truncate) {
    try {
      await handle.truncate(0);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
  return handle;
}

function rootMode(options: OpenRootOptions): number {
  const mode = options.mode ?? 0o700;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new TypeError(`mode must be an integer between 0 and 0o7777, got ${String(options.mode)}`);
  }
  return mode;
}

function mergePolicy(base: DirPolicy, override: DirPolicy): DirPolicy {
  const merged: DirPolicy = { ...base };
  if (override.allowOtherOwner !== undefined) merged.allowOtherOwner = override.allowOtherOwner;
  if (override.allowGroupWritable !== undefined) merged.allowGroupWritable = override.allowGroupWritable;
  if (override.allowWorldWritable !== undefined) merged.allowWorldWritable = override.allowWorldWritable;
  return merged;
}

function policyOf(options: DirPolicy): DirPolicy {
  return mergePolicy({}, options);
}

/**
 * Opens `path` as a root. The last component must not be a symlink (`ESYMLINK`, except a
 * symlink owned by root: macOS `/tmp`, Linux `/var/run`) and must be a directory (`ENOTDIR`)
 * whose owner and mode pass the policy on its descriptor (`EINSECURE`: owned by another user,
 * group- or world-writable without the sticky bit, unless relaxed); components above it
 * resolve as the operating system resolves them at that instant (the caller's trust anchor).
 * `resolution: 'descriptor'` refuses (`EUNSUPPORTED`) where descriptor resolution is unavailable.
 *
 * @example
 * ```ts
 * import { openDir } from 'hardfs';
 *
 * await using state = await openDir(`${process.env.HOME}/.app`, { resolution: 'descriptor' });
 * await state.writeFile('sessions/s1.json', '{"ok":true}', { mkdirs: true });
 * console.log(await state.readFile('sessions/s1.json', 'utf8'));
 * ```
 */
export async function openDir(path: string, options: OpenDirOptions = {}): Promise<SafeDir> {
  await Promise.resolve();
  return pinRoot(path, options, 'openDir');
}

/**
 * @internal The one implementation of opening a root, shared by openDir and openDirSync (which
 * differ only in how they return): argument checks, O_DIRECTORY|O_NOFOLLOW open, the policy on
 * the descriptor, the root-owned-link rule, the resolution choice and its /proc proof.
 */
export function pinRoot(path: string, options: OpenDirOptions, op: 'openDir' | 'openDirSync'): SafeDir {
  if (typeof path !== 'string' || path.length === 0) {
    throw new HardfsError('EBADNAME', 'directory path must be a non-empty string', { op });
  }
  if (path.includes('\0')) {
    throw new HardfsError('EBADNAME', 'directory path contains NUL', { path: path.replaceAll('\0', '\\0'), op });
  }
  // resolve() also drops a trailing slash, which would otherwise make the kernel follow a
  // final symlink despite O_NOFOLLOW.
  const absolute = resolve(path);
  const request = requestedResolution(options.resolution);
  const inline = resolveIoMode(options.io) === 'hybrid';
  const symlinks = resolveSymlinks(options.symlinks);
  const policy = policyOf(options);
  try {
    const pinned = pinDirectory(absolute, policy, request);
    return new SafeDir(PIN_TOKEN, { pinned, policy, inline, symlinks });
  } catch (error) {
    if (isHardfsError(error)) error.op ??= op;
    throw error;
  }
}

// Used by readRegularFileAtSync's callers that only need the bytes of an absolute path.
export { readRegularFileAtSync };
