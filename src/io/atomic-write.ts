import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { CREATE_EXCLUSIVE_FLAGS } from '../dir/flags.js';
import { mapOpenError } from '../dir/open-errors.js';
import { faultPoint } from './fault-seam.js';
import { makeTempFileName } from './temp-names.js';

export interface AtomicWriteOptions {
  /** Final mode of the file, set on the descriptor before it becomes visible. Default 0o600. */
  mode?: number;
  /** fsync the file and the directory. Default true; false trades the last write on power loss for speed. */
  fsync?: boolean;
  /**
   * fsync the directory after the rename. Defaults to `fsync`. Batch writers (a migration
   * staging hundreds of files) turn it off and call SafeDir#sync() once at the end.
   */
  syncDirectory?: boolean;
}

export type WriteData = string | Uint8Array;

/** How the atomic write reaches names inside one directory (descriptor-anchored or verified). */
export interface DirectoryAccess {
  pathOf(name: string): string;
  displayPathOf(name: string): string;
  syncDirectory(): Promise<void>;
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
  options: AtomicWriteOptions = {},
): Promise<void> {
  assertWriteData(data);
  const mode = resolveFileMode(options.mode);
  const durable = options.fsync ?? true;
  const tempName = makeTempFileName();
  const tempPath = dir.pathOf(tempName);

  let handle: FileHandle | undefined;
  let created = false;
  try {
    faultPoint('open');
    try {
      handle = await open(tempPath, CREATE_EXCLUSIVE_FLAGS, mode);
    } catch (error) {
      throw mapOpenError(error, dir.displayPathOf(tempName), 'file');
    }
    created = true;
    // The create mode is filtered by the umask; fchmod on the descriptor makes the final mode
    // exact before the file is reachable under its real name (never a chmod by path).
    faultPoint('chmod');
    await handle.chmod(mode); // fchmod
    faultPoint('write');
    await handle.writeFile(data);
    if (durable) {
      faultPoint('fsync');
      await handle.sync();
    }
    faultPoint('close');
    const closing = handle;
    handle = undefined;
    await closing.close();
    faultPoint('rename');
    await rename(tempPath, dir.pathOf(name));
    created = false;
  } catch (error) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    if (created) await removeTempFile(tempPath);
    throw error;
  }
  if (options.syncDirectory ?? durable) {
    faultPoint('fsyncDir');
    await dir.syncDirectory();
  }
}

async function removeTempFile(tempPath: string): Promise<void> {
  await unlink(tempPath).catch((cleanupError: unknown) => {
    // Already gone (ENOENT) or unremovable: either way the caller's original error is the one
    // worth reporting, and the temp name's shape (isTempFileName) lets a later sweep find it.
    void cleanupError;
  });
}
