import { HardfsError } from '../../errors.js';
import { lstatSync } from '../../sys/syscalls.js';
import { checkNode } from './verify.js';
import { childPath, type Resolver } from './resolver.js';

/* v8 ignore start -- Windows only: no directory descriptors, no O_NOFOLLOW */
/**
 * Windows: no directory descriptors and no O_NOFOLLOW, so a walk lstats each directory (a
 * symlink or junction is ESYMLINK) and records its identity, and every operation re-checks the
 * identities around itself. Best-effort, like verify, and racier (lstat then use).
 */
export const windowsResolver: Resolver = {
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
    const stats = lstatSync(path, { bigint: true });
    if (stats.isSymbolicLink()) throw new HardfsError('ESYMLINK', 'refusing to follow a symlink', { path });
    if (!stats.isDirectory()) throw new HardfsError('ENOTDIR', 'not a directory', { path });
    return { fd: undefined, path, dev: stats.dev, ino: stats.ino };
  },
  close() {
    // Nothing is held.
  },
  check(nodes) {
    for (const node of nodes) checkNode(node);
  },
};
/* v8 ignore stop */
