import type { BigIntStats, Stats } from 'node:fs';
import { HardfsError } from '../errors.js';

/**
 * What a directory must look like to be trusted. Symlinks and non-directories are always
 * refused; the ownership and permission checks can be relaxed one by one.
 */
export interface DirPolicy {
  /** Accept a directory owned by someone other than the current user or root. Default false. */
  allowOtherOwner?: boolean;
  /** Accept a group-writable directory without the sticky bit. Default false. */
  allowGroupWritable?: boolean;
  /** Accept a world-writable directory without the sticky bit. Default false. */
  allowWorldWritable?: boolean;
}

const S_ISVTX = 0o1000;

type AnyStats = Stats | BigIntStats;

function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * Checks stats taken from an open descriptor (or an lstat) against the policy. Taking the
 * stats from the descriptor is what makes the check race-free: the inode checked is the inode
 * every later operation goes through.
 */
export function checkDirStats(stats: AnyStats, path: string, policy: DirPolicy = {}): void {
  if (stats.isSymbolicLink()) {
    throw new HardfsError('ESYMLINK', 'refusing a symlink where a directory is required', { path });
  }
  if (!stats.isDirectory()) {
    throw new HardfsError('ENOTDIR', 'not a directory', { path });
  }
  // Windows reports synthetic uid 0 and mode bits that do not describe its ACLs: the owner and
  // permission checks only mean something on POSIX.
  /* v8 ignore next -- Windows only */
  if (process.platform === 'win32') return;
  const uid = currentUid();
  const owner = Number(stats.uid);
  if (!policy.allowOtherOwner && uid !== undefined && owner !== uid && owner !== 0) {
    throw new HardfsError('EINSECURE', `directory is owned by uid ${owner}, not by uid ${uid}`, {
      path,
    });
  }
  assertModeAllowed(Number(stats.mode), path, policy);
}

/**
 * The permission half of the policy, on a bare mode: also used before creating a directory, so
 * that a requested mode the policy forbids is refused up front instead of depending on the umask.
 */
export function assertModeAllowed(mode: number, path: string, policy: DirPolicy = {}): void {
  /* v8 ignore next -- mode bits do not describe Windows ACLs */
  if (process.platform === 'win32') return;
  const sticky = (mode & S_ISVTX) !== 0;
  if (!sticky && (mode & 0o020) !== 0 && !policy.allowGroupWritable) {
    throw new HardfsError('EINSECURE', 'directory is group-writable without the sticky bit', {
      path,
    });
  }
  if (!sticky && (mode & 0o002) !== 0 && !policy.allowWorldWritable) {
    throw new HardfsError('EINSECURE', 'directory is world-writable without the sticky bit', {
      path,
    });
  }
}
