import { dirname, resolve } from 'node:path';
import { HardfsError, errnoCode } from '../errors.js';
import { IS_WINDOWS, OPEN_DIR_FLAGS } from '../sys/flags.js';
import { mapOpenError } from '../sys/open-errors.js';
import { closeSync, fstatSync, lstatSync, openSync, readlinkSync, type BigIntStats } from '../sys/syscalls.js';
import { MAX_SYMLINKS } from './core.js';
import { checkDirStats, type DirPolicy } from './policy.js';
import { chooseResolution, sameIdentity, type Resolution, type ResolutionRequest } from './resolution.js';
import { descriptorResolver } from './resolvers/descriptor.js';
import type { DirNode, Resolver } from './resolvers/resolver.js';
import { verifyResolver } from './resolvers/verify.js';
import { windowsResolver } from './resolvers/windows.js';

export interface Pinned {
  node: DirNode;
  resolver: Resolver;
  stats: BigIntStats;
}

export function resolverFor(resolution: Resolution): Resolver {
  /* v8 ignore next -- Windows only */
  if (IS_WINDOWS) return windowsResolver;
  return resolution === 'descriptor' ? descriptorResolver : verifyResolver;
}

/**
 * A symlink owned by root (uid 0) at the last component of a root's path is outside the threat
 * model (macOS `/tmp` → `/private/tmp`, Linux `/var/run` → `/run`): only root could have made it
 * or can change it. Any other symlink there is ESYMLINK — and so is every link when the process
 * itself runs as root (then a root-owned link is its own, and its own links are refused). Returns the path to open instead, or
 * undefined when `path` is not such a link.
 */
function rootOwnedLinkTarget(path: string): string | undefined {
  let first: BigIntStats;
  try {
    first = lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  // Run as root, a root-owned link is one of our own, refused like any other of ours.
  if (!first.isSymbolicLink() || first.uid !== 0n || effectiveUid() === 0) return undefined;
  // Reached only by a process that is not root: the suites run as root, and cover this in a
  // child run as a second user (test/dir/root/open.test.ts, "for another user").
  /* v8 ignore start */
  const target = readlinkSync(path);
  // The link read must be the one judged: a swap between lstat and readlink changes its inode.
  const again = lstatSync(path, { bigint: true });
  if (!again.isSymbolicLink() || again.uid !== 0n || !sameIdentity(first, again)) return undefined;
  return resolve(dirname(path), target);
  /* v8 ignore stop */
}

function effectiveUid(): number | undefined {
  /* v8 ignore next -- Windows has no geteuid */
  return typeof process.geteuid === 'function' ? process.geteuid() : undefined;
}

/** Opens the directory; returns its descriptor and the path it was opened by (a root-owned link's target). */
function openDirectoryFd(absolute: string, display: string): { fd: number; path: string } {
  let path = absolute;
  for (let links = 0; ; links += 1) {
    try {
      return { fd: openSync(path, OPEN_DIR_FLAGS), path };
    } catch (error) {
      const code = errnoCode(error);
      if (code !== 'ENOTDIR' && code !== 'ELOOP') throw mapOpenError(error, display, 'directory');
      // (links reaches MAX_SYMLINKS only by following root-owned links: never as root, see above)
      const next = links < MAX_SYMLINKS ? rootOwnedLinkTarget(path) : /* v8 ignore next */ undefined;
      if (next === undefined) {
        let symlink = code === 'ELOOP';
        try {
          symlink ||= lstatSync(path).isSymbolicLink();
        } catch {
          // classification only
        }
        if (symlink) {
          throw new HardfsError('ESYMLINK', 'refusing a symlink where a directory is required', { path: display, cause: error });
        }
        throw new HardfsError('ENOTDIR', 'not a directory', { path: display, cause: error });
      }
      path = next;
    }
  }
}

/**
 * Opens the directory at an absolute path as a root: O_RDONLY|O_DIRECTORY|O_NOFOLLOW (a symlink
 * at the last component is ESYMLINK unless owned by root), the policy checked on the descriptor,
 * the resolution chosen by proving /proc/self/fd reaches the same inode.
 */
export function pinDirectory(absolute: string, policy: DirPolicy, request: ResolutionRequest): Pinned {
  /* v8 ignore start -- Windows: no directory descriptors */
  if (IS_WINDOWS) return pinWithoutDescriptor(absolute, policy);
  /* v8 ignore stop */
  const { fd, path } = openDirectoryFd(absolute, absolute);
  // Through a root-owned link the root is named by the link's target: the path a verify
  // check can lstat, and the one messages give.
  return pinDescriptor(fd, path, policy, request);
}

/* v8 ignore start -- Windows only */
export function pinWithoutDescriptor(path: string, policy: DirPolicy): Pinned {
  const stats = lstatSync(path, { bigint: true });
  checkDirStats(stats, path, policy);
  return { node: { fd: undefined, path, dev: stats.dev, ino: stats.ino }, resolver: windowsResolver, stats };
}
/* v8 ignore stop */

/**
 * Makes a root of an open directory descriptor (taking ownership: closed on failure): the
 * policy is checked on the descriptor; verify resolution also proves `path` names it.
 */
export function pinDescriptor(fd: number, path: string, policy: DirPolicy, request: ResolutionRequest): Pinned {
  try {
    const stats = fstatSync(fd, { bigint: true });
    checkDirStats(stats, path, policy);
    const resolution = chooseResolution(request, fd, stats, path);
    const node: DirNode = { fd, path, dev: stats.dev, ino: stats.ino };
    if (resolution === 'verify') {
      // The path must name the inode we opened, or later verification would be meaningless.
      const named = lstatSync(path, { bigint: true });
      if (named.isSymbolicLink() || !sameIdentity(named, stats)) {
        throw new HardfsError('EESCAPE', 'directory changed while it was being opened', { path });
      }
    }
    return { node, resolver: resolverFor(resolution), stats };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
