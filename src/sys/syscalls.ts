/**
 * The node:fs calls the layers above use, in one place: nothing outside src/sys imports
 * node:fs (the change log and the lock layer still do until they move onto the dir layer).
 * Descriptor-level steps of the hot paths go through fd-ops.ts instead (inline vs thread pool).
 */
export {
  accessSync,
  closeSync,
  constants as fsConstants,
  createReadStream as fsCreateReadStream,
  fchmodSync,
  fchownSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  renameSync,
  rmdirSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type BigIntStats,
  type Dirent,
  type ReadStream,
  type Stats,
} from 'node:fs';
export { lstat, open as openHandle, readdir, rmdir, type FileHandle } from 'node:fs/promises';
