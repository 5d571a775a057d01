import { Writable } from 'node:stream';
import { HardfsError, errnoCode, isHardfsError } from '../../errors.js';
import {
  CREATE_EXCLUSIVE_FLAGS,
  CREATE_EXCLUSIVE_RW_FLAGS,
  O_APPEND,
  O_NONBLOCK,
  O_NOFOLLOW,
  O_WRONLY,
  OPEN_DIR_FLAGS,
} from '../../sys/flags.js';
import { mapOpenError } from '../../sys/open-errors.js';
import { renameWithRetry } from '../../sys/rename-retry.js';
import { makeTempFileName } from '../../sys/temp-names.js';
import {
  closeSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
  type BigIntStats,
} from '../../sys/syscalls.js';
import { fsyncFd } from '../../sys/fd-ops.js';
import {
  resolveFileMode,
  toBytes,
  writeAtomicIn,
  writeAtomicInSync,
  type AtomicWriteOptions,
  type DirectoryAccess,
  type WriteData,
} from '../atomic-write.js';
import type { DirNode } from '../resolvers/resolver.js';
import { joinDisplay, type Walk } from '../walk.js';
import { assertRegularFd } from './read.js';

/** The directory a walk ended in, as the atomic write reaches it. */
export function accessOf(walk: Walk, syncDirectory: () => Promise<void>): DirectoryAccess {
  const { resolver } = walk.core;
  const dir = walk.dir;
  const access: DirectoryAccess = {
    pathOf: (child) => resolver.pathIn(dir, child),
    displayPathOf: (child) => joinDisplay(dir.path, child),
    syncDirectory,
    syncDirectorySync: () => {
      if (dir.fd !== undefined) fsyncSync(dir.fd);
    },
  };
  if (resolver.checks) {
    access.beforeRename = () => {
      walk.check();
    };
    access.afterCreate = (fd, tempPath) => {
      walk.check();
      proveSameFile(fd, tempPath);
      walk.check();
    };
    access.removeTemp = (tempPath) => {
      removeWhenReachable(walk, tempPath);
    };
  }
  return access;
}

const pause = new Int32Array(new SharedArrayBuffer(4));
/** How long a removal waits for a swapped path to lead home again (only ever under a swap). */
const REMOVE_WAIT_MS = 1000;

/**
 * Unlinks a file this walk created in its directory, waiting (1 ms at a time, for at most
 * REMOVE_WAIT_MS) while a verify check says the path leads elsewhere: a swapped ancestor is
 * usually swapped back, and an unlink through the swapped path would miss.
 */
export function removeWhenReachable(walk: Walk, path: string): void {
  const deadline = Date.now() + REMOVE_WAIT_MS;
  while (Date.now() < deadline) {
    try {
      walk.check();
      unlinkSync(path);
      walk.check();
      return;
    } catch (error) {
      if (!isHardfsError(error) && errnoCode(error) === 'ENOENT') {
        // Gone, or the path moved between the check and the unlink (the unlink then missed in
        // the other directory): with the path leading home again, only a look at the name
        // itself tells which.
        try {
          walk.check();
          if (!existsNoFollow(path)) return;
        } catch {
          // swapped: wait and retry
        }
      }
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

function existsNoFollow(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** The name resolves to the very file the descriptor holds (EESCAPE otherwise). */
export function proveSameFile(fd: number, path: string): void {
  const mine = fstatSync(fd);
  let named;
  try {
    named = lstatSync(path);
  } catch (error) {
    throw new HardfsError('EESCAPE', `a file just created is not at its path (${errnoCode(error) ?? 'error'})`, { path, cause: error });
  }
  if (named.ino !== mine.ino || named.dev !== mine.dev) {
    throw new HardfsError('EESCAPE', 'a file just created is not at its path: the directory was swapped', { path });
  }
}

/**
 * Under follow-within, a symlink at the target is written through (the file it names inside
 * the root is replaced); under refuse, the rename replaces the link itself. Also answers the
 * mode 'preserve' asks for. One lstat, and only when either needs it.
 */
export function settleTarget(walk: Walk, mode: AtomicWriteOptions['mode']): number | undefined {
  if (!walk.follows && mode !== 'preserve') return typeof mode === 'number' ? mode : undefined;
  for (;;) {
    const name = walk.requireFileName();
    let stats: BigIntStats | undefined;
    try {
      stats = lstatSync(walk.core.resolver.pathIn(walk.dir, name), { bigint: true });
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
      stats = undefined;
    }
    if (stats?.isSymbolicLink() && walk.followLast()) continue;
    if (mode !== 'preserve') return mode;
    return stats?.isFile() ? Number(stats.mode) & 0o7777 : undefined;
  }
}

export async function writeFileAt(
  walk: Walk,
  data: WriteData,
  options: AtomicWriteOptions,
  inline: boolean,
  syncDirectory: () => Promise<void>,
): Promise<void> {
  const mode = settleTarget(walk, options.mode);
  const name = walk.requireFileName();
  await writeAtomicIn(accessOf(walk, syncDirectory), name, data, withMode(options, mode), inline);
  walk.check();
}

export function writeFileAtSync(walk: Walk, data: WriteData, options: AtomicWriteOptions): void {
  const mode = settleTarget(walk, options.mode);
  const name = walk.requireFileName();
  writeAtomicInSync(accessOf(walk, () => Promise.resolve()), name, data, withMode(options, mode));
  walk.check();
}

function withMode(options: AtomicWriteOptions, mode: number | undefined): AtomicWriteOptions & { mode?: number } {
  const settled: AtomicWriteOptions & { mode?: number } = {};
  if (options.exactMode !== undefined) settled.exactMode = options.exactMode;
  if (options.fsync !== undefined) settled.fsync = options.fsync;
  if (options.syncDirectory !== undefined) settled.syncDirectory = options.syncDirectory;
  if (mode !== undefined) settled.mode = mode;
  return settled;
}

/**
 * Creates `name` with O_CREAT|O_EXCL|O_NOFOLLOW and the exact mode, or opens the existing one
 * with O_NOFOLLOW, for appending: the descriptor must then be a regular file with one link.
 */
export function openForAppend(walk: Walk, mode: number): number {
  for (;;) {
    const name = walk.requireFileName();
    const path = walk.core.resolver.pathIn(walk.dir, name);
    let fd: number;
    let created = false;
    try {
      fd = openSync(path, CREATE_EXCLUSIVE_FLAGS | O_APPEND | O_NONBLOCK, mode);
      created = true;
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw mapOpenError(error, walk.displayPath, 'file');
      try {
        fd = openSync(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK);
      } catch (again) {
        const mapped = mapOpenError(again, walk.displayPath, 'file');
        if (isHardfsError(mapped, 'ESYMLINK') && walk.followLast()) continue;
        throw mapped;
      }
    }
    try {
      if (created) fchmodSync(fd, mode);
      else assertRegularFd(fd, walk.displayPath, true);
      walk.check();
      return fd;
    } catch (error) {
      closeSync(fd);
      if (created) removeCreated(path);
      throw error;
    }
  }
}

function removeCreated(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // The original error is reported; a leftover is an empty file of ours.
  }
}

export function writeAllSync(fd: number, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.byteLength; ) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset, null);
}

export interface CreateExclusiveResult {
  fd: number;
  path: string;
}

/** O_CREAT|O_EXCL|O_NOFOLLOW create of `name` (EEXIST if taken by anything, a dangling symlink included). */
export function createExclusiveFd(walk: Walk, mode: number): CreateExclusiveResult {
  const name = walk.requireFileName();
  const path = walk.core.resolver.pathIn(walk.dir, name);
  try {
    return { fd: openSync(path, CREATE_EXCLUSIVE_RW_FLAGS, mode), path };
  } catch (error) {
    throw mapOpenError(error, walk.displayPath, 'file');
  }
}

export function eraseCreated(fd: number, path: string): void {
  try {
    ftruncateSync(fd, 0);
  } catch {
    // best effort: the unlink below removes it where it can be reached
  }
  try {
    closeSync(fd);
  } catch {
    // already reported
  }
  try {
    unlinkSync(path);
  } catch {
    // as above
  }
}

/** Options of SafeDir#createWriteStream (an atomic write stream). */
export interface WriteStreamOptions {
  /** Final mode, exact whatever the umask, or 'preserve'. Default 0o600. */
  mode?: number | 'preserve';
  /** fsync the file and the directory on commit. Default true. */
  fsync?: boolean;
  /** Create missing parent directories (0o700). Default false. */
  mkdirs?: boolean;
  /** Bytes buffered before `write()` returns false. Default node's Writable default. */
  highWaterMark?: number;
}


/**
 * An atomic write stream: bytes go to a temp file beside the target; `finish` is emitted only
 * after fsync and the rename (the commit), and an error or destroy() before that removes the
 * temp file and leaves the target untouched. The stream holds its own descriptor of the
 * directory, so closing the root meanwhile changes nothing.
 */
export function createWriteStreamAt(walk: Walk, options: WriteStreamOptions): Writable {
  const settled = settleTarget(walk, options.mode);
  const mode = resolveFileMode(settled);
  const name = walk.requireFileName();
  const { resolver } = walk.core;
  // Our own descriptor of the target directory (the walk's are released when we return).
  const dirPath = resolver.pathIn(walk.dir, '.'); // not /proc/self/fd/N itself: a magic link O_NOFOLLOW refuses
  const dirFd: number | undefined = walk.dir.fd === undefined ? undefined : openSync(dirPath, OPEN_DIR_FLAGS);
  const own: DirNode = { fd: dirFd, path: walk.dir.path, dev: walk.dir.dev, ino: walk.dir.ino };
  const tempName = makeTempFileName();
  const tempPath = resolver.pathIn(own, tempName);
  const targetPath = resolver.pathIn(own, name);
  let fd: number | undefined;
  try {
    fd = openSync(tempPath, CREATE_EXCLUSIVE_FLAGS, mode);
    fchmodSync(fd, mode);
  } catch (error) {
    if (fd !== undefined) eraseCreated(fd, tempPath);
    if (dirFd !== undefined) closeSync(dirFd);
    throw mapOpenError(error, joinDisplay(own.path, tempName), 'file');
  }
  const durable = options.fsync ?? true;
  let done = false;
  const finishUp = (): void => {
    if (dirFd !== undefined) closeSync(dirFd);
  };
  const discard = (): void => {
    if (done) return;
    done = true;
    if (fd !== undefined) eraseCreated(fd, tempPath);
    fd = undefined;
    finishUp();
  };
  const streamOptions: ConstructorParameters<typeof Writable>[0] = {
    write(chunk: Buffer, _encoding, callback) {
      try {
        writeAllSync(fd as number, chunk);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    final(callback) {
      void (async () => {
        const writing = fd as number;
        if (durable) await fsyncFd(writing);
        fd = undefined;
        closeSync(writing);
        try {
          await renameWithRetry(() => {
            renameSync(tempPath, targetPath);
            return Promise.resolve();
          });
        } catch (error) {
          try {
            unlinkSync(tempPath);
          } catch {
            // reported below
          }
          throw error;
        }
        done = true;
        if (durable && dirFd !== undefined) await fsyncFd(dirFd);
        finishUp();
      })().then(
        () => { callback(); },
        (error: unknown) => {
          discard();
          callback(error as Error);
        },
      );
    },
    destroy(error, callback) {
      discard();
      callback(error);
    },
  };
  if (options.highWaterMark !== undefined) streamOptions.highWaterMark = options.highWaterMark;
  return new Writable(streamOptions);
}

/** Appends to (creating with `mode`) a regular file with one link. */
export function appendFileAt(walk: Walk, data: WriteData, mode: number, encoding: BufferEncoding | undefined): void {
  const fd = openForAppend(walk, mode);
  try {
    writeAllSync(fd, toBytes(data, encoding));
  } finally {
    closeSync(fd);
  }
}

