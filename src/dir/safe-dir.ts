import { closeSync, fchmodSync, lstatSync, openSync, readdirSync, unlinkSync, writeSync, type BigIntStats, type Stats } from 'node:fs';
import {
  link,
  lstat,
  mkdir,
  open,
  readdir,
  rmdir,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { HardfsError, errnoCode } from '../errors.js';
import { coalesce } from '../io/coalesce.js';
import { assertWriteData, writeAtomicIn, resolveFileMode, type AtomicWriteOptions, type WriteData } from '../io/atomic-write.js';
import { readRegularFileAt, readRegularFileAtSync, resolveMaxBytes, type ReadOptions } from '../io/read-regular-file.js';
import { inlineOps, threadPoolOps, type FdOps } from '../io/fd-ops.js';
import {
  CREATE_EXCLUSIVE_RW_FLAGS,
  IS_WINDOWS,
  OPEN_DIR_FLAGS,
  OPEN_READ_FLAGS,
  OPEN_READ_WRITE_FLAGS,
  OPEN_READ_APPEND_FLAGS,
  O_NOFOLLOW,
} from './flags.js';
import { assertSingleComponent } from './names.js';
import { mapOpenError } from './open-errors.js';
import { assertModeAllowed, checkDirStats, type DirPolicy } from './policy.js';
import {
  chooseResolution,
  descriptorPath,
  requestedResolution,
  sameIdentity,
  type Resolution,
  type ResolutionRequest,
} from './resolution.js';

export interface OpenDirOptions extends DirPolicy {
  /** `auto` (default) uses descriptor resolution where it works; `verify` forces the fallback. */
  resolution?: ResolutionRequest;
  /**
   * `hybrid` (default): cheap syscalls on small files run inline on the event loop, fsync and
   * large I/O on the thread pool (see io/fd-ops.ts for why). `async`: everything on the thread
   * pool. Also settable with HARDFS_IO.
   */
  io?: IoMode;
}

export type IoMode = 'hybrid' | 'async';

function resolveIoMode(explicit: IoMode | undefined): IoMode {
  const value = explicit ?? (process.env['HARDFS_IO'] || 'hybrid');
  if (value !== 'hybrid' && value !== 'async') {
    throw new TypeError(`io must be "hybrid" or "async", got ${JSON.stringify(value)}`);
  }
  return value;
}

export interface OpenSubdirOptions extends DirPolicy {
  /** Create the directory if it is missing (never through a symlink). Default false. */
  create?: boolean;
  /** Mode of a directory created here, exact whatever the umask. Default 0o700. */
  mode?: number;
}

export type DirEntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface DirEntry {
  name: string;
  type: DirEntryType;
}

export interface OpenFileOptions {
  /** Open for reading and writing instead of read-only. Default false. */
  write?: boolean;
  /**
   * Open for reading and appending (O_APPEND): every write lands at the end of the file, even
   * when other processes append to it too. Implies `write`. Default false.
   */
  append?: boolean;
}

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

export interface RenameOptions {
  /** Move into another pinned directory instead of renaming within this one. */
  targetDir?: SafeDir;
}

const PIN_TOKEN = Symbol('hardfs.SafeDir');

interface PinnedState {
  path: string;
  handle: FileHandle | undefined;
  identity: BigIntStats;
  resolution: Resolution;
  policy: DirPolicy;
  inline: boolean;
}

/**
 * A pinned directory handle, in the spirit of Go's os.Root and cap-std's Dir. The directory's
 * identity (device + inode) is fixed when it is opened; every operation names a single
 * component and is resolved relative to that identity, never by re-walking a path string.
 */
export class SafeDir {
  readonly #path: string;
  readonly #handle: FileHandle | undefined;
  readonly #identity: BigIntStats;
  readonly #resolution: Resolution;
  readonly #policy: DirPolicy;
  readonly #inline: boolean;
  #inFlight = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  /** @internal Use openDir() or SafeDir#openSubdir(). */
  constructor(token: symbol, state: PinnedState) {
    if (token !== PIN_TOKEN) throw new TypeError('SafeDir is created by openDir() or openSubdir()');
    this.#path = state.path;
    this.#handle = state.handle;
    this.#identity = state.identity;
    this.#resolution = state.resolution;
    this.#policy = state.policy;
    this.#inline = state.inline;
  }

  get #ops(): FdOps {
    return this.#inline ? inlineOps : threadPoolOps;
  }

  /** The absolute path the directory had when it was opened (for messages; never re-walked in descriptor mode). */
  get path(): string {
    return this.#path;
  }

  get resolution(): Resolution {
    return this.#resolution;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Device and inode pinned at open. */
  get identity(): { dev: bigint; ino: bigint } {
    return { dev: this.#identity.dev, ino: this.#identity.ino };
  }

  async writeFileAtomic(name: string, data: WriteData, options: AtomicWriteOptions = {}): Promise<void> {
    assertSingleComponent(name);
    await this.#run(async () => {
      await writeAtomicIn(
        {
          pathOf: (child) => this.#pathOf(child),
          displayPathOf: (child) => this.#displayPathOf(child),
          syncDirectory: () => this.#syncDirectory(),
        },
        name,
        data,
        options,
        this.#inline,
      );
    });
  }

  async readFile(name: string, options?: ReadOptions): Promise<Buffer> {
    assertSingleComponent(name);
    const maxBytes = resolveMaxBytes(options);
    return this.#run(async () => {
      await this.#refuseSymlinkWithoutNoFollow(name);
      return readRegularFileAt(this.#pathOf(name), this.#displayPathOf(name), maxBytes, this.#inline);
    });
  }

  /**
   * Synchronous readFile, for exit handlers and bulk loads where thousands of small files make
   * thread-pool round trips dominate. Same checks as readFile.
   */
  readFileSync(name: string, options?: ReadOptions): Buffer {
    assertSingleComponent(name);
    const maxBytes = resolveMaxBytes(options);
    return this.#runSync(() => {
      this.#refuseSymlinkWithoutNoFollowSync(name);
      return readRegularFileAtSync(this.#pathOf(name), this.#displayPathOf(name), maxBytes);
    });
  }

  /** Synchronous unlink, for exit handlers (where no promise will ever settle). */
  unlinkSync(name: string): void {
    assertSingleComponent(name);
    this.#runSync(() => { unlinkSync(this.#pathOf(name)); });
  }

  /**
   * Opens an existing regular file without following a symlink and without blocking on a FIFO.
   * The caller owns the returned handle and must close it.
   */
  async openFile(name: string, options: OpenFileOptions = {}): Promise<FileHandle> {
    assertSingleComponent(name);
    return this.#run(async () => {
      const flags = options.append ? OPEN_READ_APPEND_FLAGS : options.write ? OPEN_READ_WRITE_FLAGS : OPEN_READ_FLAGS;
      const handle = await this.#openNoFollow(name, flags);
      try {
        const stats = await handle.stat();
        if (!stats.isFile()) {
          throw new HardfsError('EINSECURE', 'not a regular file', { path: this.#displayPathOf(name) });
        }
        return handle;
      } catch (error) {
        await handle.close();
        throw error;
      }
    });
  }

  /**
   * Creates a new file with O_CREAT|O_EXCL|O_NOFOLLOW (EEXIST if the name is taken by anything,
   * a dangling symlink included), writes `data`, and returns the open handle, which the caller
   * must close. Used for lock files and other create-once records.
   */
  async createFileExclusive(name: string, data: WriteData, options: CreateFileOptions = {}): Promise<FileHandle> {
    assertSingleComponent(name);
    const mode = resolveFileMode(options.mode);
    return this.#run(async () => {
      const path = this.#pathOf(name);
      await this.#refuseSymlinkWithoutNoFollow(name);
      let handle: FileHandle;
      try {
        handle = await open(path, CREATE_EXCLUSIVE_RW_FLAGS, mode);
      } catch (error) {
        // Stryker disable next-line StringLiteral: equivalent, mapOpenError only compares the kind with 'directory'
        throw mapOpenError(error, this.#displayPathOf(name), 'file');
      }
      try {
        if (options.exactMode ?? true) await handle.chmod(mode); // fchmod: exact mode whatever the umask
        await handle.writeFile(data);
        if (options.fsync ?? true) await handle.sync();
        return handle;
      } catch (error) {
        await handle.close().catch(() => undefined);
        await unlink(path).catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * The synchronous twin of createFileExclusive, for tiny records that need no durability (lock
   * files): no fsync, and it returns the raw descriptor, which the caller owns and must close
   * (fs.closeSync / fs.close). Inline on purpose: a store takes a lock on every commit, and a
   * thread-pool round trip would queue behind every fsync in flight.
   */
  createFileExclusiveSync(name: string, data: WriteData, options: Omit<CreateFileOptions, 'fsync'> = {}): number {
    assertSingleComponent(name);
    assertWriteData(data);
    const mode = resolveFileMode(options.mode);
    return this.#runSync(() => {
      this.#refuseSymlinkWithoutNoFollowSync(name);
      const path = this.#pathOf(name);
      let fd: number;
      try {
        fd = openSync(path, CREATE_EXCLUSIVE_RW_FLAGS, mode);
      } catch (error) {
        // Stryker disable next-line StringLiteral: equivalent, mapOpenError only compares the kind with 'directory'
        throw mapOpenError(error, this.#displayPathOf(name), 'file');
      }
      try {
        if (options.exactMode ?? true) fchmodSync(fd, mode); // exact mode whatever the umask
        const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        for (let offset = 0; offset < bytes.byteLength; ) offset += writeSync(fd, bytes, offset);
        return fd;
      } catch (error) {
        closeSync(fd);
        try {
          unlinkSync(path);
        } catch {
          // The original error is the one to report; a leftover is recovered as a stale lock.
        }
        throw error;
      }
    });
  }

  /** Renames a name within this directory, or into `options.targetDir`. Replaces an existing target. */
  async rename(from: string, to: string, options: RenameOptions = {}): Promise<void> {
    assertSingleComponent(from, 'source name');
    assertSingleComponent(to, 'target name');
    const target = options.targetDir ?? this;
    await this.#runWith(target, () => this.#ops.rename(this.#pathOf(from), target.#pathOf(to)));
  }

  /**
   * Renames only if `to` does not exist (EEXIST otherwise), by hard-linking then unlinking the
   * source. Regular files only; the target never holds anything but the complete source.
   */
  async renameNoReplace(from: string, to: string, options: RenameOptions = {}): Promise<void> {
    assertSingleComponent(from, 'source name');
    assertSingleComponent(to, 'target name');
    const target = options.targetDir ?? this;
    await this.#runWith(target, async () => {
      await link(this.#pathOf(from), target.#pathOf(to));
      await this.#ops.unlink(this.#pathOf(from));
    });
  }

  /** Removes a name. A symlink is removed itself, never its target. */
  async unlink(name: string): Promise<void> {
    assertSingleComponent(name);
    await this.#run(() => this.#ops.unlink(this.#pathOf(name)));
  }

  /** Removes an empty subdirectory. */
  async rmdir(name: string): Promise<void> {
    assertSingleComponent(name);
    await this.#run(() => rmdir(this.#pathOf(name)));
  }

  /**
   * Removes a subdirectory and everything under it, descending only through pinned handles
   * opened with O_NOFOLLOW: a symlink inside is unlinked, never followed.
   */
  async removeTree(name: string): Promise<void> {
    assertSingleComponent(name);
    // One in-flight reference for the whole removal: a close() issued meanwhile waits for it.
    await this.#run(async () => {
      const child = await this.#openSubdirInside(name, { allowOtherOwner: true, allowGroupWritable: true, allowWorldWritable: true });
      try {
        for (const entry of await child.entries()) {
          if (entry.type === 'directory') await child.removeTree(entry.name);
          else await child.unlink(entry.name);
        }
      } finally {
        await child.close();
      }
      await rmdir(this.#pathOf(name));
    });
  }

  /** Names in the directory (no `.`/`..`), unsorted. */
  async list(): Promise<string[]> {
    return this.#run(async () => (this.#inline ? readdirSync(this.#pathOf(undefined)) : readdir(this.#pathOf(undefined))));
  }

  /** Names with their types as readdir reports them (symlinks reported as symlinks, never followed). */
  async entries(): Promise<DirEntry[]> {
    return this.#run(async () => {
      const path = this.#pathOf(undefined);
      const dirents = this.#inline ? readdirSync(path, { withFileTypes: true }) : await readdir(path, { withFileTypes: true });
      return dirents.map((dirent) => ({
        name: dirent.name,
        type: dirent.isSymbolicLink()
          ? 'symlink'
          : dirent.isDirectory()
            ? 'directory'
            : dirent.isFile()
              ? 'file'
              : 'other',
      }));
    });
  }

  /** lstat of a name: a symlink is reported as a symlink. */
  async stat(name: string): Promise<Stats> {
    assertSingleComponent(name);
    return this.#run(async () => (this.#inline ? lstatSync(this.#pathOf(name)) : lstat(this.#pathOf(name))));
  }

  /** stat of the pinned directory itself, through its descriptor where there is one. */
  async statSelf(): Promise<Stats> {
    return this.#run(async () => (this.#handle ? this.#handle.stat() : lstat(this.#path)));
  }

  /** Sets the pinned directory's own mode through its descriptor (fchmod; never by path). */
  async setMode(mode: number): Promise<void> {
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
      throw new TypeError(`mode must be an integer between 0 and 0o7777, got ${String(mode)}`);
    }
    await this.#run(async () => {
      /* v8 ignore next 5 -- Windows: no directory descriptor */
      if (this.#handle === undefined) {
        throw new HardfsError('EINSECURE', 'no directory descriptor on this platform to change the mode through', {
          path: this.#path,
        });
      }
      await this.#handle.chmod(mode); // fchmod
    });
  }

  /** Opens (optionally creates) a subdirectory as a new pinned handle; the caller closes it. */
  async openSubdir(name: string, options: OpenSubdirOptions = {}): Promise<SafeDir> {
    assertSingleComponent(name);
    return this.#run(() => this.#openSubdirInside(name, options));
  }

  // The body of openSubdir, for callers that already hold an in-flight reference.
  async #openSubdirInside(name: string, options: OpenSubdirOptions): Promise<SafeDir> {
    const mode = options.mode ?? 0o700;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
      throw new TypeError(`mode must be an integer between 0 and 0o7777, got ${String(options.mode)}`);
    }
    const policy = mergePolicy(this.#policy, options);
    const path = this.#pathOf(name);
    const displayPath = this.#displayPathOf(name);
    let created = false;
    if (options.create) {
      // A mode the policy refuses is refused before mkdir, whatever the umask would make of it.
      assertModeAllowed(mode, displayPath, policy);
      try {
        await mkdir(path, mode);
        created = true;
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw error;
      }
    }
    const opened = await pinDirectory(path, displayPath, policy, this.#resolution === 'descriptor' ? 'descriptor' : 'verify', this.#inline);
    if (created && (Number(opened.identity.mode) & 0o7777) !== mode && opened.handle) {
      await opened.handle.chmod(mode); // fchmod: the umask must not weaken or widen it
    }
    return new SafeDir(PIN_TOKEN, opened);
  }

  /** fsync the directory itself (makes renames and creations in it durable). */
  async sync(): Promise<void> {
    await this.#run(() => this.#syncDirectory());
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
      }
      await this.#handle?.close();
    })();
    return this.#closing;
  }

  // The descriptor number must not be closed (and so reused by another open) while an
  // operation is still resolving /proc/self/fd/<fd>/…: every operation holds a reference.
  async #run<T>(operation: () => Promise<T>): Promise<T> {
    return this.#runWith(this, operation);
  }

  /**
   * Runs an operation that touches this handle and `other` (the same handle, or a rename's
   * target). Both in-flight references are taken synchronously, before the first await, so a
   * close() issued right after the call always waits for the operation instead of closing
   * under it.
   */
  async #runWith<T>(other: SafeDir, operation: () => Promise<T>): Promise<T> {
    this.#acquire();
    try {
      other.#acquire();
    } catch (error) {
      this.#release();
      throw error;
    }
    try {
      await this.#verifyIfNeeded();
      if (other !== this) await other.#verifyIfNeeded();
      const result = await operation();
      await this.#verifyIfNeeded();
      if (other !== this) await other.#verifyIfNeeded();
      return result;
    } finally {
      other.#release();
      this.#release();
    }
  }

  #acquire(): void {
    if (this.#closed) {
      throw new HardfsError('ECLOSED', 'directory handle is closed', { path: this.#path });
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

  async #verifyIfNeeded(): Promise<void> {
    if (this.#resolution === 'verify') await this.#verifyIdentity();
  }

  #runSync<T>(operation: () => T): T {
    if (this.#closed) {
      throw new HardfsError('ECLOSED', 'directory handle is closed', { path: this.#path });
    }
    if (this.#resolution === 'verify') this.#verifyIdentitySync();
    const result = operation();
    if (this.#resolution === 'verify') this.#verifyIdentitySync();
    return result;
  }

  #verifyIdentitySync(): void {
    let current: BigIntStats;
    try {
      current = lstatSync(this.#path, { bigint: true });
    } catch (error) {
      throw new HardfsError('EESCAPE', `pinned directory is gone from its path (${errnoCode(error) ?? 'error'})`, {
        path: this.#path,
        cause: error,
      });
    }
    this.#compareIdentity(current);
  }

  #compareIdentity(current: BigIntStats): void {
    if (current.isSymbolicLink()) {
      throw new HardfsError('ESYMLINK', 'pinned directory was replaced by a symlink', { path: this.#path });
    }
    if (!sameIdentity(current, this.#identity)) {
      throw new HardfsError('EESCAPE', 'pinned directory was replaced by another directory', { path: this.#path });
    }
  }

  #refuseSymlinkWithoutNoFollowSync(name: string): void {
    if (O_NOFOLLOW !== 0) return;
    /* v8 ignore start -- only platforms without O_NOFOLLOW (Windows) get here */
    let stats: Stats;
    try {
      stats = lstatSync(this.#pathOf(name));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw error;
    }
    if (stats.isSymbolicLink()) {
      throw new HardfsError('ESYMLINK', 'refusing to follow a symlink', { path: this.#displayPathOf(name) });
    }
    /* v8 ignore stop */
  }

  #pathOf(name: string | undefined): string {
    if (this.#resolution === 'descriptor' && this.#handle) {
      const base = descriptorPath(this.#handle.fd);
      return name === undefined ? base : `${base}/${name}`;
    }
    return name === undefined ? this.#path : join(this.#path, name);
  }

  // Concatenation, not path.join: this runs for every read of a bulk load, `name` is a
  // checked single component and #path is absolute and normalized, so join could only add cost.
  #displayPathOf(name: string): string {
    return this.#path.endsWith(sep) ? `${this.#path}${name}` : `${this.#path}${sep}${name}`;
  }

  // Concurrent writers in this directory share directory fsyncs (see io/coalesce.ts): each one
  // still waits for an fsync that started after its rename.
  readonly #syncDirectory = coalesce(async () => {
    // Windows cannot open or fsync a directory; NTFS journals the rename itself.
    /* v8 ignore next -- the else branch is Windows-only */
    if (this.#handle) await this.#handle.sync();
  });

  async #verifyIdentity(): Promise<void> {
    let current: BigIntStats;
    try {
      current = await lstat(this.#path, { bigint: true });
    } catch (error) {
      throw new HardfsError('EESCAPE', `pinned directory is gone from its path (${errnoCode(error) ?? 'error'})`, {
        path: this.#path,
        cause: error,
      });
    }
    this.#compareIdentity(current);
  }

  async #openNoFollow(name: string, flags: number): Promise<FileHandle> {
    await this.#refuseSymlinkWithoutNoFollow(name);
    try {
      return await open(this.#pathOf(name), flags);
    } catch (error) {
      // Stryker disable next-line StringLiteral: mapOpenError only compares the kind with 'directory', so '' acts as 'file'
      throw mapOpenError(error, this.#displayPathOf(name), 'file');
    }
  }

  // Without O_NOFOLLOW (Windows) an lstat first is the best that can be done; it is racy, and
  // SECURITY.md says so.
  async #refuseSymlinkWithoutNoFollow(name: string): Promise<void> {
    if (O_NOFOLLOW !== 0) return;
    /* v8 ignore start -- only platforms without O_NOFOLLOW (Windows) get here */
    try {
      const stats = await lstat(this.#pathOf(name));
      if (stats.isSymbolicLink()) {
        throw new HardfsError('ESYMLINK', 'refusing to follow a symlink', { path: this.#displayPathOf(name) });
      }
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
    /* v8 ignore stop */
  }
}

async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
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

async function pinDirectory(
  openPath: string,
  displayPath: string,
  policy: DirPolicy,
  request: ResolutionRequest,
  inline: boolean,
): Promise<PinnedState> {
  /* v8 ignore start -- Windows: no directory descriptors */
  if (IS_WINDOWS) {
    // No directory descriptors: pin the identity from lstat and verify it around every operation.
    const identity = await lstat(openPath, { bigint: true });
    checkDirStats(identity, displayPath, policy);
    return { path: displayPath, handle: undefined, identity, resolution: 'verify', policy, inline };
  }
  /* v8 ignore stop */
  let handle: FileHandle;
  try {
    handle = await open(openPath, OPEN_DIR_FLAGS);
  } catch (error) {
    // Linux answers O_DIRECTORY|O_NOFOLLOW on a symlink with ENOTDIR, not ELOOP: look again so
    // the refusal says what it is (the lstat only classifies the error, it grants nothing).
    if (errnoCode(error) === 'ENOTDIR' && (await isSymlink(openPath))) {
      throw new HardfsError('ESYMLINK', 'refusing a symlink where a directory is required', {
        path: displayPath,
        cause: error,
      });
    }
    throw mapOpenError(error, displayPath, 'directory');
  }
  try {
    const identity = await handle.stat({ bigint: true });
    checkDirStats(identity, displayPath, policy);
    const resolution = await chooseResolution(request, handle, identity, displayPath);
    if (resolution === 'verify') {
      // The path must still name the inode we opened, or later verification would be meaningless.
      const viaPath = await lstat(displayPath, { bigint: true });
      if (viaPath.isSymbolicLink() || !sameIdentity(viaPath, identity)) {
        throw new HardfsError('EESCAPE', 'directory changed while it was being opened', { path: displayPath });
      }
    }
    return { path: displayPath, handle, identity, resolution, policy, inline };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Opens `path` as a pinned directory. The last component must not be a symlink (ESYMLINK) and
 * must be a directory (ENOTDIR) that passes the policy (EINSECURE); components above it resolve
 * as the operating system resolves them at that instant.
 */
export async function openDir(path: string, options: OpenDirOptions = {}): Promise<SafeDir> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new HardfsError('EBADNAME', 'directory path must be a non-empty string');
  }
  if (path.includes('\0')) {
    throw new HardfsError('EBADNAME', 'directory path contains NUL', { path: path.replaceAll('\0', '\\0') });
  }
  // resolve() also drops a trailing slash, which would otherwise make the kernel follow a
  // final symlink despite O_NOFOLLOW.
  const absolute = resolve(path);
  const request = requestedResolution(options.resolution);
  const inline = resolveIoMode(options.io) === 'hybrid';
  return new SafeDir(PIN_TOKEN, await pinDirectory(absolute, absolute, policyOf(options), request, inline));
}
