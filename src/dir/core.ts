import type { DirPolicy } from './policy.js';
import type { DirNode, Resolver } from './resolvers/resolver.js';

/**
 * How a root treats symlinks inside it:
 * - `refuse` (default): a symlink met anywhere a walk must go through is ESYMLINK, and a file
 *   opened at a symlink is ESYMLINK (O_NOFOLLOW).
 * - `follow-within`: the walk itself resolves links, like Go's os.Root: a relative target is
 *   followed while it stays inside the root; an absolute target or one that climbs above the
 *   root is EESCAPE; more than 40 links in one resolution is ELOOP.
 * Operations on a name itself (lstat, unlink, rename, readlink, lchown, rm) never follow the
 * last component under either policy.
 */
export type SymlinkPolicy = 'refuse' | 'follow-within';

/** What every operation of one root needs: shared by the SafeDir face, the walk and the ops. */
export interface RootCore {
  readonly root: DirNode;
  readonly resolver: Resolver;
  readonly symlinks: SymlinkPolicy;
  /** hybrid I/O: cheap syscalls inline on the event loop (see sys/fd-ops.ts). */
  readonly inline: boolean;
  readonly policy: DirPolicy;
}

/** At most this many symlinks are followed while resolving one path (as Linux and Go do). */
export const MAX_SYMLINKS = 40;
