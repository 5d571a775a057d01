import { HardfsError, errnoCode } from '../../errors.js';
import { OPEN_DIR_FLAGS } from '../../sys/flags.js';
import { closeSync, fstatSync, lstatSync, openSync, type BigIntStats } from '../../sys/syscalls.js';
import { classifyDirOpenError } from './descriptor.js';
import { aboutDirectory, childPath, type DirNode, type Resolver } from './resolver.js';

/**
 * POSIX without usable /proc (macOS, Linux without /proc, or forced): `<path>/<name>`, with
 * every directory of the walk opened O_DIRECTORY|O_NOFOLLOW by its path (so it has a
 * descriptor for fsync and fchmod) and its device+inode re-checked by lstat around the
 * operation. Best-effort: a swap and swap-back between two checks is not seen (SECURITY.md).
 */
export const verifyResolver: Resolver = {
  kind: 'verify',
  checks: true,
  pathIn(dir, name) {
    return childPath(dir.path, name);
  },
  pathOf(dir) {
    return dir.path;
  },
  openChild(dir, name) {
    const path = childPath(dir.path, name);
    let fd: number;
    try {
      fd = openSync(path, OPEN_DIR_FLAGS);
    } catch (error) {
      throw classifyDirOpenError(error, path, path);
    }
    try {
      const stats = fstatSync(fd, { bigint: true });
      return { fd, path, dev: stats.dev, ino: stats.ino };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  },
  close(node) {
    if (node.fd !== undefined) closeSync(node.fd);
  },
  check(nodes) {
    for (const node of nodes) checkNode(node);
  },
};

export function checkNode(node: DirNode): void {
  let current: BigIntStats;
  try {
    current = lstatSync(node.path, { bigint: true });
  } catch (error) {
    throw aboutDirectory(
      new HardfsError('EESCAPE', `pinned directory is gone from its path (${errnoCode(error) ?? 'error'})`, {
        path: node.path,
        cause: error,
      }),
    );
  }
  if (current.isSymbolicLink()) {
    throw aboutDirectory(new HardfsError('ESYMLINK', 'pinned directory was replaced by a symlink', { path: node.path }));
  }
  if (current.dev !== node.dev || current.ino !== node.ino) {
    throw aboutDirectory(new HardfsError('EESCAPE', 'pinned directory was replaced by another directory', { path: node.path }));
  }
}
