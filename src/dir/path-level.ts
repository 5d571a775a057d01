import { basename, dirname, resolve } from 'node:path';
import { HardfsError } from '../errors.js';
import { assertSingleComponent } from './names.js';
import { ensureRealDir } from './real-dir.js';
import { openDir, type OpenDirOptions } from './safe-dir.js';
import type { AtomicWriteOptions, WriteData } from './atomic-write.js';
import type { ReadOptions } from './read-regular-file.js';

/** Options of the path-level writeFileAtomic: the write's own, plus how its parent is opened as a root. */
export interface PathWriteOptions extends AtomicWriteOptions, OpenDirOptions {
  /**
   * Create missing parent directories first (ensureRealDir: one at a time, exact mode 0o700,
   * never through a symlink). Default false.
   */
  mkdirs?: boolean;
}
/** Options of readFileNoFollow: the read bound, plus how its parent is opened as a root. */
export type PathReadOptions = ReadOptions & OpenDirOptions;

function splitFilePath(filePath: string): { dir: string; name: string } {
  if (typeof filePath !== 'string' || filePath.length === 0) {
    throw new HardfsError('EBADNAME', 'file path must be a non-empty string');
  }
  // `dir/.` and `dir/..` name directories too; resolving them first would turn them into a
  // file path (`dir/newfile/.` would become `dir/newfile`).
  if (/(^|[\\/])\.{1,2}$/.test(filePath)) {
    throw new HardfsError('EBADNAME', 'file path must name a file', { path: filePath });
  }
  const absolute = resolve(filePath);
  const name = basename(absolute);
  // A path ending in a separator or resolving to "/" names a directory, not a file.
  if (/[\\/]$/.test(filePath) || name === '') {
    throw new HardfsError('EBADNAME', 'file path must name a file', { path: filePath });
  }
  assertSingleComponent(name);
  return { dir: dirname(absolute), name };
}

/**
 * Atomic, durable write of one file, through a root pinned on its parent for this call (the
 * protocol of SafeDir#writeFile: temp file, fsync, rename, directory fsync; default mode 0o600,
 * exact whatever the umask). The parent must be a real directory (a symlink there is ESYMLINK,
 * except one owned by root, as `/var/run` or macOS `/tmp`; a file is ENOTDIR) that passes the
 * policy (EINSECURE). A path naming a directory (empty, ending in a separator, `.` or `..`)
 * is EBADNAME. A symlink at the file's own name is replaced, never written through (under the
 * default `symlinks: 'refuse'`; `follow-within` replaces the in-root file it names).

 *
 * @example
 * ```ts
 * await writeFileAtomic('/etc/app/config.json', JSON.stringify(config), { mode: 0o640, mkdirs: true });
 * ```
 */
export async function writeFileAtomic(filePath: string, data: WriteData, options: PathWriteOptions = {}): Promise<void> {
  const { dir: dirPath, name } = splitFilePath(filePath);
  const { mode, fsync, syncDirectory, exactMode, mkdirs, ...dirOptions } = options;
  if (mkdirs) {
    const policy: Parameters<typeof ensureRealDir>[1] = {};
    if (dirOptions.allowOtherOwner !== undefined) policy.allowOtherOwner = dirOptions.allowOtherOwner;
    if (dirOptions.allowGroupWritable !== undefined) policy.allowGroupWritable = dirOptions.allowGroupWritable;
    if (dirOptions.allowWorldWritable !== undefined) policy.allowWorldWritable = dirOptions.allowWorldWritable;
    await ensureRealDir(dirPath, policy);
  }
  const dir = await openDir(dirPath, dirOptions);
  try {
    const writeOptions: AtomicWriteOptions = {};
    if (mode !== undefined) writeOptions.mode = mode;
    if (fsync !== undefined) writeOptions.fsync = fsync;
    if (syncDirectory !== undefined) writeOptions.syncDirectory = syncDirectory;
    if (exactMode !== undefined) writeOptions.exactMode = exactMode;
    await dir.writeFile(name, data, writeOptions);
  } finally {
    await dir.close();
  }
}

/**
 * Reads a regular file without following a symlink at its name (ESYMLINK), bounded by
 * `maxBytes` (default 64 MiB, ETOOBIG); a FIFO, socket, device or directory is EINSECURE. The
 * parent is opened as a root for this call, with openDir's checks (ESYMLINK, ENOTDIR,
 * EINSECURE); a path naming a directory is EBADNAME.
 *
 * @example
 * ```ts
 * import { readFileNoFollow } from 'hardfs';
 *
 * const token = (await readFileNoFollow('/run/secrets/token', { maxBytes: 4096 })).toString('utf8').trim();
 * ```
 */

export async function readFileNoFollow(filePath: string, options: PathReadOptions = {}): Promise<Buffer> {
  const { dir: dirPath, name } = splitFilePath(filePath);
  const { maxBytes, ...dirOptions } = options;
  const dir = await openDir(dirPath, dirOptions);
  try {
    return await dir.readFile(name, maxBytes === undefined ? {} : { maxBytes });
  } finally {
    await dir.close();
  }
}
