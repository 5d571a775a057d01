import { basename, dirname, resolve } from 'node:path';
import { HardfsError } from '../errors.js';
import { assertSingleComponent } from '../dir/names.js';
import { openDir, type OpenDirOptions } from '../dir/safe-dir.js';
import type { AtomicWriteOptions, WriteData } from './atomic-write.js';
import type { ReadOptions } from './read-regular-file.js';

export type PathWriteOptions = AtomicWriteOptions & OpenDirOptions;
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

/** Atomic, durable write of one file, through a SafeDir pinned on its parent for this call. */
export async function writeFileAtomic(
  filePath: string,
  data: WriteData,
  options: PathWriteOptions = {},
): Promise<void> {
  const { dir: dirPath, name } = splitFilePath(filePath);
  const { mode, fsync, syncDirectory, ...dirOptions } = options;
  const dir = await openDir(dirPath, dirOptions);
  try {
    const writeOptions: AtomicWriteOptions = {};
    if (mode !== undefined) writeOptions.mode = mode;
    if (fsync !== undefined) writeOptions.fsync = fsync;
    if (syncDirectory !== undefined) writeOptions.syncDirectory = syncDirectory;
    await dir.writeFileAtomic(name, data, writeOptions);
  } finally {
    await dir.close();
  }
}

/** Reads a regular file without following a symlink at its name, bounded by maxBytes. */
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
