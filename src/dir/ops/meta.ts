import { HardfsError, errnoCode, isHardfsError } from '../../errors.js';
import { OPEN_READ_FLAGS } from '../../sys/flags.js';
import { mapOpenError } from '../../sys/open-errors.js';
import {
  accessSync,
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  lstatSync,
  openSync,
  type BigIntStats,
  type Stats,
} from '../../sys/syscalls.js';
import { lstat } from '../../sys/syscalls.js';
import type { Walk } from '../walk.js';

/** Options of SafeDir#stat / lstat (and their Sync twins). */
export interface StatOptions {
  /** Return BigIntStats (nanosecond times, 64-bit inode numbers). Default false. */
  bigint?: boolean;
}

type AnyStats = Stats | BigIntStats;

/** lstat of the target: a symlink at the last component is reported as a symlink. */
export function lstatAt(walk: Walk, options: StatOptions = {}): AnyStats {
  const stats = lstatSync(walk.kernelPath, { bigint: options.bigint === true });
  walk.check();
  return stats;
}

/** lstat on the thread pool (io: 'async'): the walk is inline, the final syscall is not. */
export async function lstatAtAsync(walk: Walk, options: StatOptions = {}): Promise<AnyStats> {
  const stats = await lstat(walk.kernelPath, { bigint: options.bigint === true });
  walk.check();
  return stats;
}

/** stat on the thread pool (io: 'async'), following per policy exactly as statAt. */
export async function statAtAsync(walk: Walk, options: StatOptions = {}): Promise<AnyStats> {
  for (;;) {
    const stats = await lstat(walk.kernelPath, { bigint: options.bigint === true });
    if (stats.isSymbolicLink()) {
      if (walk.followLast()) continue;
      throw new HardfsError('ESYMLINK', 'refusing to follow a symlink', { path: walk.displayPath });
    }
    walk.check();
    return stats;
  }
}

/**
 * stat, following per policy (DESIGN "Roots"): under follow-within a symlink at the last
 * component is followed (within the root; EESCAPE outside); under refuse it is ESYMLINK, as for
 * every operation that would have to follow it. A caller that means the name itself uses
 * lstat, which never follows the last component.
 */
export function statAt(walk: Walk, options: StatOptions = {}): AnyStats {
  for (;;) {
    const stats = lstatSync(walk.kernelPath, { bigint: options.bigint === true });
    if (stats.isSymbolicLink()) {
      if (walk.followLast()) continue;
      throw new HardfsError('ESYMLINK', 'refusing to follow a symlink', { path: walk.displayPath });
    }
    walk.check();
    return stats;
  }
}

/**
 * Opens the target (following per policy) read-only with O_NOFOLLOW|O_NONBLOCK, for an
 * operation on its descriptor (fchmod, fchown, futimes): never by path. A directory is opened
 * the same way (O_RDONLY works on directories).
 */
export function withTargetFd<T>(walk: Walk, use: (fd: number) => T): T {
  for (;;) {
    let fd: number;
    try {
      fd = openSync(walk.kernelPath, OPEN_READ_FLAGS);
    } catch (error) {
      const mapped = mapOpenError(error, walk.displayPath, 'file');
      if (isHardfsError(mapped, 'ESYMLINK') && walk.followLast()) continue;
      throw mapped;
    }
    try {
      const result = use(fd);
      walk.check();
      return result;
    } finally {
      closeSync(fd);
    }
  }
}

export function assertMode(mode: unknown): number {
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new TypeError(`mode must be an integer between 0 and 0o7777, got ${String(mode)}`);
  }
  return mode;
}

export function chmodAt(walk: Walk, mode: number): void {
  withTargetFd(walk, (fd) => { fchmodSync(fd, mode); });
}

export function chownAt(walk: Walk, uid: number, gid: number): void {
  withTargetFd(walk, (fd) => { fchownSync(fd, uid, gid); });
}

/**
 * lchown: the name itself, never its target. A symlink cannot be opened O_NOFOLLOW for an
 * fchown, so it goes through the parent's descriptor path (`/proc/self/fd/<parent>/<name>`),
 * which lchown resolves without following the last component: never by re-walking a path.
 */
export function lchownAt(walk: Walk, uid: number, gid: number): void {
  lchownSync(walk.kernelPath, uid, gid);
  walk.check();
}

/** A time as node's `fs.utimes` takes it: seconds since the epoch (number or numeric string) or a Date. */
export type TimeLike = number | string | Date;


export function utimesAt(walk: Walk, atime: TimeLike, mtime: TimeLike): void {
  withTargetFd(walk, (fd) => { futimesSync(fd, atime, mtime); });
}

/**
 * access(2) on the resolved target. The last component is resolved by the walk (per policy)
 * and proven not to be a symlink first, so the kernel is not asked to follow one; access only
 * reports, it changes nothing.
 */
export function accessAt(walk: Walk, mode: number | undefined): void {
  for (;;) {
    const stats = lstatSync(walk.kernelPath);
    if (stats.isSymbolicLink()) {
      if (walk.followLast()) continue;
      throw new HardfsError('ESYMLINK', 'refusing to follow a symlink', { path: walk.displayPath });
    }
    accessSync(walk.kernelPath, mode);
    walk.check();
    return;
  }
}

/**
 * exists: follows like stat, but a link the policy refuses to follow is ESYMLINK, never "true";
 * false for a missing path (ENOENT / ENOTDIR); refusals (EESCAPE …) throw.
 */
export function existsAt(walk: Walk): boolean {
  try {
    statAt(walk);
    return true;
  } catch (error) {
    const code = errnoCode(error);
    if ((code === 'ENOENT' || code === 'ENOTDIR') && !isHardfsError(error)) return false;
    throw error;
  }
}

