import { CREATE_EXCLUSIVE_FLAGS } from '../sys/flags.js';
import { mapOpenError } from '../sys/open-errors.js';
import { faultPoint } from '../sys/fault-seam.js';
import { fsyncFd, opsFor, type FdOps } from '../sys/fd-ops.js';
import { renameWithRetry, renameWithRetrySync } from '../sys/rename-retry.js';
import { makeTempFileName } from '../sys/temp-names.js';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from '../sys/syscalls.js';

/** How an atomic write creates, syncs and publishes the file (SafeDir#writeFile, writeFileAtomic). */
export interface AtomicWriteOptions {
  /**
   * Final mode of the file, set on the descriptor before it becomes visible, exact whatever the
   * umask. `'preserve'`: the mode of the regular file being replaced (0o600 if there is none).
   * Default 0o600.
   */
  mode?: number | 'preserve';
  /**
   * Default true: fchmod the temp file to exactly `mode` whatever the umask. false skips that
   * syscall and lets the umask narrow the mode (it can only remove bits, never add any): for
   * private files written often, where 0o600 under the usual umasks (0o022, 0o077) is already
   * exact and a narrower mode would be harmless.
   */
  exactMode?: boolean;
  /** fsync the file and the directory. Default true; false trades the last write on power loss for speed. */
  fsync?: boolean;
  /**
   * fsync the directory after the rename. Defaults to `fsync`. Batch writers (a migration
   * staging hundreds of files) turn it off and call SafeDir#sync() once at the end.
   */
  syncDirectory?: boolean;
}

/** Data a write accepts: a string (utf8 unless an `encoding` says otherwise) or bytes; anything else is a TypeError. */
export type WriteData = string | Uint8Array;


/** How the atomic write reaches names inside one directory (descriptor-anchored or verified). */
export interface DirectoryAccess {
  pathOf(name: string): string;
  displayPathOf(name: string): string;
  syncDirectory(): Promise<void>;
  /** fsync the directory synchronously (writeFileSync). */
  syncDirectorySync?(): void;
  /**
   * Called after the temp file is complete and before the rename: a verify strategy proves the
   * directory is still where it was, so that a failed proof leaves nothing behind.
   */
  beforeRename?(): void;
  /**
   * Verify strategies: called right after the temp file is created, before any byte is written,
   * to prove it was created in this directory (the directory's identity, the temp name's inode
   * against the descriptor's, the directory's identity again). No data is written otherwise.
   */
  afterCreate?(fd: number, tempPath: string): void;
  /**
   * Verify strategies: removes a temp file that failed a later proof. The file was proven to be
   * in this directory when it was created, so it is unlinked once the path leads there again
   * (bounded retries); the default is a single unlink.
   */
  removeTemp?(tempPath: string): void;
}

export function resolveFileMode(mode: number | undefined): number {
  const resolved = mode ?? 0o600;
  if (!Number.isInteger(resolved) || resolved < 0 || resolved > 0o7777) {
    throw new TypeError(`mode must be an integer between 0 and 0o7777, got ${String(mode)}`);
  }
  return resolved;
}

export function assertWriteData(data: unknown): asserts data is WriteData {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new TypeError('data must be a string or a Uint8Array');
  }
}

export function toBytes(data: WriteData, encoding: BufferEncoding = 'utf8'): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, encoding) : data;
}

/**
 * temp (O_EXCL|O_NOFOLLOW, final mode) → write → fsync → close → rename → fsync(dir).
 * Readers see the old bytes or the new bytes, never a mix; a symlink or hardlink planted at
 * the target name is replaced by the rename, never written through; every failure before the
 * rename removes the temp file and rethrows the original error.
 */
export async function writeAtomicIn(
  dir: DirectoryAccess,
  name: string,
  data: WriteData,
  options: AtomicWriteOptions & { mode?: number } = {},
  inline = false,
): Promise<void> {
  assertWriteData(data);
  const mode = resolveFileMode(options.mode);
  const durable = options.fsync ?? true;
  const bytes = toBytes(data);
  // Inline syscalls win when this write is alone; when others are in flight the thread pool
  // overlaps their syscalls while the event loop would run them one after another.
  const ops = opsFor(inline && writesInFlight === 0, bytes.byteLength);
  writesInFlight += 1;
  try {
    await writeWith(ops, dir, name, bytes, mode, durable, options);
  } finally {
    writesInFlight -= 1;
  }
}

let writesInFlight = 0;

async function writeWith(
  ops: FdOps,
  dir: DirectoryAccess,
  name: string,
  bytes: Uint8Array,
  mode: number,
  durable: boolean,
  options: AtomicWriteOptions,
): Promise<void> {
  const tempName = makeTempFileName();
  const tempPath = dir.pathOf(tempName);

  let fd: number | undefined;
  let created = false;
  try {
    faultPoint('open');
    try {
      fd = await ops.open(tempPath, CREATE_EXCLUSIVE_FLAGS, mode);
    } catch (error) {
      throw mapOpenError(error, dir.displayPathOf(tempName), 'file');
    }
    created = true;
    if (dir.afterCreate) proveOrErase(dir, fd, () => dir.afterCreate?.(fd as number, tempPath));
    // The create mode is filtered by the umask; fchmod on the descriptor makes the final mode
    // exact before the file is reachable under its real name (never a chmod by path).
    faultPoint('chmod');
    if (options.exactMode ?? true) await ops.fchmod(fd, mode);
    faultPoint('write');
    await ops.writeAll(fd, bytes);
    if (durable) {
      faultPoint('fsync');
      await fsyncFd(fd);
    }
    if (dir.beforeRename) proveOrErase(dir, fd, () => dir.beforeRename?.());
    faultPoint('close');
    const closing = fd;
    fd = undefined;
    await ops.close(closing);
    const target = dir.pathOf(name);
    await renameWithRetry(async () => {
      faultPoint('rename');
      await ops.rename(tempPath, target);
    });
    created = false;
  } catch (error) {
    if (fd !== undefined) await ops.close(fd).catch(() => undefined);
    if (created) {
      if (dir.removeTemp) dir.removeTemp(tempPath);
      else await removeTempFile(ops, tempPath);
    }
    throw error;
  }
  if (options.syncDirectory ?? durable) {
    faultPoint('fsyncDir');
    await dir.syncDirectory();
  }
}

// A failed proof means the temp file may sit in a directory an attacker swapped in: its bytes
// are erased through the descriptor before anything else, so no copy of the data stays there
// even if the unlink by name cannot reach it.
function proveOrErase(_dir: DirectoryAccess, fd: number, prove: () => void): void {
  try {
    prove();
  } catch (error) {
    try {
      ftruncateSync(fd, 0);
    } catch {
      // The proof's error is the one to report.
    }
    throw error;
  }
}

/** The synchronous twin of writeAtomicIn (exit handlers, scripts): same steps, same cleanup. */
export function writeAtomicInSync(dir: DirectoryAccess, name: string, data: WriteData, options: AtomicWriteOptions & { mode?: number } = {}): void {
  assertWriteData(data);
  const mode = resolveFileMode(options.mode);
  const durable = options.fsync ?? true;
  const bytes = toBytes(data);
  const tempName = makeTempFileName();
  const tempPath = dir.pathOf(tempName);
  let fd: number | undefined;
  let created = false;
  try {
    faultPoint('open');
    try {
      fd = openSync(tempPath, CREATE_EXCLUSIVE_FLAGS, mode);
    } catch (error) {
      throw mapOpenError(error, dir.displayPathOf(tempName), 'file');
    }
    created = true;
    if (dir.afterCreate) proveOrErase(dir, fd, () => dir.afterCreate?.(fd as number, tempPath));
    faultPoint('chmod');
    if (options.exactMode ?? true) fchmodSync(fd, mode);
    faultPoint('write');
    for (let offset = 0; offset < bytes.byteLength; ) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset, null);
    if (durable) {
      faultPoint('fsync');
      fsyncSync(fd);
    }
    if (dir.beforeRename) proveOrErase(dir, fd, () => dir.beforeRename?.());
    faultPoint('close');
    const closing = fd;
    fd = undefined;
    closeSync(closing);
    const target = dir.pathOf(name);
    renameWithRetrySync(() => {
      faultPoint('rename');
      renameSync(tempPath, target);
    });
    created = false;
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // the original error is reported
      }
    }
    if (created) {
      try {
        if (dir.removeTemp) dir.removeTemp(tempPath);
        else unlinkSync(tempPath);
      } catch {
        // as removeTempFile
      }
    }
    throw error;
  }
  if (options.syncDirectory ?? durable) {
    faultPoint('fsyncDir');
    if (dir.syncDirectorySync) dir.syncDirectorySync();
  }
}

async function removeTempFile(ops: FdOps, tempPath: string): Promise<void> {
  // Already gone (ENOENT) or unremovable: either way the caller's original error is the one
  // worth reporting, and the temp name's shape (isTempFileName) lets a later sweep find it.
  await ops.unlink(tempPath).catch(ignoreCleanupError);
}

function ignoreCleanupError(): undefined {
  return undefined;
}

/** A mode option that is neither a valid mode nor 'preserve' is a TypeError, before any syscall. */
export function assertModeOption(mode: unknown): void {
  if (mode === undefined || mode === 'preserve') return;
  if (typeof mode !== 'number') throw new TypeError(`mode must be a number or "preserve", got ${typeof mode}`);
  resolveFileMode(mode);
}

