import { HardfsError, errnoCode } from '../../errors.js';
import { OPEN_DIR_FLAGS } from '../../sys/flags.js';
import { closeSync, lstatSync, openSync } from '../../sys/syscalls.js';
import { childPath, type Resolver } from './resolver.js';

export function descriptorPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/**
 * Linux with /proc: `/proc/self/fd/<fd>/<name>`. The kernel starts every lookup at the pinned
 * inode, so an ancestor renamed or replaced by a symlink after the open changes nothing, and
 * each intermediate directory is opened relative to the previous descriptor.
 */
export const descriptorResolver: Resolver = {
  kind: 'descriptor',
  checks: false,
  pathIn(dir, name) {
    return `/proc/self/fd/${dir.fd ?? -1}/${name}`;
  },
  pathOf(dir) {
    return `/proc/self/fd/${dir.fd ?? -1}`;
  },
  openChild(dir, name) {
    const path = this.pathIn(dir, name);
    let fd: number;
    try {
      fd = openSync(path, OPEN_DIR_FLAGS);
    } catch (error) {
      throw classifyDirOpenError(error, path, childPath(dir.path, name));
    }
    // dev/ino are only read by verify strategies; a descriptor walk does not pay an fstat.
    return { fd, path: childPath(dir.path, name), dev: 0n, ino: 0n };
  },
  close(node) {
    if (node.fd !== undefined) closeSync(node.fd);
  },
  check() {
    // The descriptor is the proof.
  },
};

/**
 * Linux answers O_DIRECTORY|O_NOFOLLOW on a symlink with ENOTDIR, not ELOOP: look again so the
 * refusal says what it is (the lstat only classifies the error, it grants nothing).
 */
export function classifyDirOpenError(error: unknown, kernelPath: string, display: string): unknown {
  const code = errnoCode(error);
  if (code === 'ENOTDIR' || code === 'ELOOP' || code === 'EMLINK') {
    let symlink = code !== 'ENOTDIR';
    if (!symlink) {
      try {
        symlink = lstatSync(kernelPath).isSymbolicLink();
      } catch {
        symlink = false;
      }
    }
    return symlink
      ? new HardfsError('ESYMLINK', 'refusing to follow a symlink', { path: display, cause: error })
      : new HardfsError('ENOTDIR', 'not a directory', { path: display, cause: error });
  }
  return error;
}
