import type { Resolution } from '../resolution.js';

/** A directory reached by a walk: its descriptor (where the platform has one) and caller path. */
export interface DirNode {
  /** Descriptor of the directory (O_DIRECTORY|O_NOFOLLOW), undefined on Windows. */
  readonly fd: number | undefined;
  /** The caller's path of this directory: the root's path joined with the in-root path. */
  readonly path: string;
  /** Device and inode when the node was opened (what verify mode re-checks). */
  readonly dev: bigint;
  readonly ino: bigint;
}

/**
 * How names inside a directory reach the kernel. One implementation per strategy, chosen when
 * the root is opened; the walk and the operations never branch on the platform.
 */
export interface Resolver {
  readonly kind: Resolution;
  /** The path the kernel resolves for `name` inside `dir`. */
  pathIn(dir: DirNode, name: string): string;
  /** The path the kernel resolves for `dir` itself. */
  pathOf(dir: DirNode): string;
  /**
   * Opens the child directory `name` of `dir` without following a symlink: ESYMLINK for a
   * symlink, ENOTDIR for a non-directory, native errors (ENOENT …) otherwise.
   */
  openChild(dir: DirNode, name: string): DirNode;
  /** Releases a node opened by openChild. */
  close(node: DirNode): void;
  /**
   * Proves that every node still is the directory its path names (verify strategies; the
   * descriptor strategy needs no proof). EESCAPE / ESYMLINK when one was swapped.
   */
  check(nodes: readonly DirNode[]): void;
  /** True if check() does anything: operations skip their bookkeeping otherwise. */
  readonly checks: boolean;
}

/**
 * Marks a refusal about a pinned directory itself (a verify check that failed): it names that
 * directory, not the path the operation was given.
 */
export const ABOUT_DIRECTORY: unique symbol = Symbol('hardfs.aboutDirectory') as never;

export function aboutDirectory<T extends object>(error: T): T {
  Object.defineProperty(error, ABOUT_DIRECTORY, { value: true, enumerable: false });
  return error;
}

export function childPath(parent: string, name: string): string {
  return parent.endsWith('/') || parent.endsWith('\\') ? `${parent}${name}` : `${parent}${SEP}${name}`;
}

/* v8 ignore next -- the backslash is Windows only */
const SEP = process.platform === 'win32' ? '\\' : '/';
