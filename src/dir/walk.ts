import { HardfsError, isHardfsError } from '../errors.js';
import { isPlainName, splitRelativePath } from '../sys/relative-path.js';
import { OPEN_DIR_FLAGS } from '../sys/flags.js';
import { fchmodSync, lstatSync, mkdirSync, openSync, readlinkSync } from '../sys/syscalls.js';
import { errnoCode } from '../errors.js';
import { MAX_SYMLINKS, type RootCore } from './core.js';
import type { DirNode } from './resolvers/resolver.js';

export interface WalkOptions {
  /** Create missing intermediate directories with this exact mode (mkdirs / recursive mkdir). */
  mkdirs?: number | undefined;
  /** Called with each directory the walk creates (recursive mkdir reports the first). */
  onCreate?: ((path: string) => void) | undefined;
  /** Descriptor → caller path of every directory opened, for shaping native errors. */
  record?: Map<number, string> | undefined;
}

/**
 * The one walk every operation uses: the relative path's components are resolved one at a
 * time from the root, each intermediate directory opened relative to the previous one with
 * O_DIRECTORY|O_NOFOLLOW (through the root's resolver). `..` pops the walk and is EESCAPE above
 * the root; under `follow-within` a symlink met on the way is read and its target spliced into
 * the remaining components (absolute targets EESCAPE, at most MAX_SYMLINKS, ELOOP past that).
 *
 * The walk ends at the directory holding the last component (`dir`) and that component
 * (`name`, undefined when the path names a directory itself, like `a/..` or `.`), without
 * looking at the last component: an operation opens it with O_NOFOLLOW and, when its policy
 * says to follow and the open says "symlink", asks `followLast()` to go on through the link.
 *
 * Every descriptor the walk opens is closed by `release()`, which operations call in a
 * `finally`: on success and on every failure.
 */
export class Walk {
  readonly core: RootCore;
  /** Root first, then each directory opened by the walk. */
  readonly #stack: DirNode[];
  #links = 0;
  #name: string | undefined;
  readonly #options: WalkOptions;
  readonly #what: string;
  readonly #rawPath: string;
  #trailingSlash = false;
  #dotEnding = false;
  #followedLast = false;

  constructor(core: RootCore, path: string, options: WalkOptions = {}, what = 'path') {
    this.core = core;
    this.#what = what;
    this.#rawPath = path;
    this.#stack = [core.root];
    this.#options = options;
    if (core.resolver.checks) core.resolver.check(this.#stack);
    // The fast path: one plain name needs no split and no walk.
    if (isPlainName(path)) {
      this.#name = path;
      return;
    }
    try {
      if (typeof path === 'string' && path.length === 0) {
        throw new HardfsError('EBADNAME', `${what} must not be empty (use "." for the directory itself)`);
      }
      const parts = splitRelativePath(path, what);
      // `name/` and `name/.` name a directory: the last component must be one (Go, POSIX).
      this.#trailingSlash = /\/\.?$/.test(path) && parts.length > 0 && parts[parts.length - 1] !== '..';
      // `name/.` is the directory itself: never a name to remove, move or link (EINVAL, as POSIX).
      this.#dotEnding = /(^|\/)\.\/*$/.test(path) && parts.length > 0;
      this.#advance(parts);
      if (this.#trailingSlash) this.#settleDirectory();
    } catch (error) {
      this.release();
      throw this.tag(error);
    }
  }

  /** The caller's path: the root's path joined with the relative path as given (NUL spelled \0). */
  get callerPath(): string {
    const raw = typeof this.#rawPath === 'string' ? this.#rawPath.replaceAll('\0', '\\0') : String(this.#rawPath);
    return raw === '' || raw === '.' ? this.core.root.path : joinDisplay(this.core.root.path, raw.replace(/^\.\//, ''));
  }

  /** True for `name/`: the target must be a directory (file operations refuse it). */
  get namesDirectory(): boolean {
    return this.#trailingSlash;
  }

  /** True for `name/.` (and `name/./`): the caller named "." inside `name`, not `name` itself. */
  get endsInDot(): boolean {
    return this.#dotEnding;
  }

  /** Marks an error as about this walk's path (the face names the caller's path in it). */
  tag(error: unknown): unknown {
    if (typeof error === 'object' && error !== null && !(CALLER_PATH in error)) {
      Object.defineProperty(error, CALLER_PATH, { value: this.callerPath, enumerable: false });
    }
    return error;
  }

  // A trailing slash: the last component must resolve to a directory. A symlink there is
  // followed per policy (ESYMLINK under refuse); a non-directory is ENOTDIR; a missing name
  // stays missing (mkdir('x/') creates it).
  #settleDirectory(): void {
    for (;;) {
      const name = this.#name;
      if (name === undefined) return;
      let stats;
      try {
        stats = lstatSync(this.core.resolver.pathIn(this.dir, name));
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return;
        throw error;
      }
      if (stats.isSymbolicLink()) {
        if (this.followLast()) continue;
        throw new HardfsError('ESYMLINK', 'refusing to follow a symlink', { path: this.displayPath });
      }
      if (!stats.isDirectory()) throw new HardfsError('ENOTDIR', 'not a directory', { path: this.displayPath });
      return;
    }
  }

  /** The directory holding the last component. */
  get dir(): DirNode {
    return this.#stack[this.#stack.length - 1] as DirNode;
  }

  /** The last component, or undefined when the path names `dir` itself. */
  get name(): string | undefined {
    return this.#name;
  }

  /** Every directory the walk stands on, root first (what a verify check re-proves). */
  get nodes(): readonly DirNode[] {
    return this.#stack;
  }

  /** The kernel path of the target (the last component in `dir`, or `dir` itself). */
  get kernelPath(): string {
    const { resolver } = this.core;
    // `<dir>/.`, not `<dir>`: /proc/self/fd/N itself is a (magic) symlink to an lstat.
    return this.#name === undefined ? resolver.pathIn(this.dir, '.') : resolver.pathIn(this.dir, this.#name);
  }

  /** The caller's path of the target: the root's path joined with the resolved in-root path. */
  get displayPath(): string {
    return this.#name === undefined ? this.dir.path : joinDisplay(this.dir.path, this.#name);
  }

  /** The last component, refusing a path that names a directory itself (`.`, `a/..`, ``). */
  requireName(): string {
    if (this.#dotEnding) {
      throw this.tag(
        Object.assign(new Error(`EINVAL: invalid argument, a path ending in "/." is not a name '${this.callerPath}'`), {
          code: 'EINVAL',
          syscall: 'walk',
          path: this.callerPath,
        }),
      );
    }
    if (this.#name === undefined) {
      throw this.tag(
        new HardfsError('EBADNAME', `${this.#what} must name an entry inside the directory, not the directory itself`, {
          path: this.dir.path,
        }),
      );
    }
    return this.#name;
  }

  /** The last component of a path that must name a file (`name/` names a directory: EISDIR). */
  requireFileName(): string {
    const name = this.requireName();
    if (this.#trailingSlash) {
      throw this.tag(new HardfsError('EINSECURE', 'not a regular file (a path ending in "/" names a directory)', { path: this.displayPath }));
    }
    return name;
  }

  /** Whether a symlink at the last component is followed (the `follow-within` policy). */
  get follows(): boolean {
    return this.core.symlinks === 'follow-within';
  }

  /**
   * The last component is a symlink and the policy follows it: read it and walk on through its
   * target. Returns false under `refuse` (the caller reports ESYMLINK).
   */
  followLast(): boolean {
    if (!this.follows || this.#name === undefined) return false;
    const name = this.#name;
    try {
      const target = this.#readLink(name);
      if (target === undefined) return true; // not a link any more: the caller tries again
      this.#name = undefined;
      this.#advance(splitLinkTarget(target, joinDisplay(this.dir.path, name)));
      // A target ending in "/" names a directory, as a caller's trailing slash does.
      if (/\/\.?$/.test(target) && this.name !== undefined) {
        this.#trailingSlash = true;
        this.#settleDirectory();
      }
    } catch (error) {
      throw this.tag(error);
    }
    this.#followedLast = true;
    return true;
  }

  /**
   * True once a symlink at the last component was followed (follow-within): the target is no
   * longer the caller's own name, which rmdir must not act on (`rmdir("link/")` is ENOTDIR).
   */
  get followedLast(): boolean {
    return this.#followedLast;
  }

  /** Opens the target as a directory (for readdir, openRoot, mkdir -p ends …), following per policy. */
  enterTarget(): void {
    if (this.#name === undefined) return;
    const name = this.#name;
    this.#name = undefined;
    try {
      this.#step(name, []);
    } catch (error) {
      throw this.tag(error);
    }
  }

  /**
   * Proves (verify strategies) that every directory of the walk is still where its path says;
   * operations call it after their syscalls and undo what they made when it throws.
   */
  check(): void {
    if (this.core.resolver.checks) this.core.resolver.check(this.#stack);
  }

  /**
   * Hands the directory the walk stands in over to the caller (who must close it): the walk's
   * own descriptor, or, for the root itself, a fresh descriptor of it opened through `.`.
   */
  detachTarget(): DirNode {
    if (this.#name !== undefined) this.enterTarget();
    if (this.#stack.length > 1) return this.#stack.pop() as DirNode;
    const root = this.core.root;
    if (root.fd === undefined) return root;
    const fd = openSync(`${this.core.resolver.pathOf(root)}/.`, OPEN_DIR_FLAGS);
    return { fd, path: root.path, dev: root.dev, ino: root.ino };
  }

  release(): void {
    const { resolver } = this.core;
    while (this.#stack.length > 1) {
      const node = this.#stack.pop() as DirNode;
      try {
        resolver.close(node);
      } catch {
        // A close failure leaves nothing open: the descriptor is gone either way.
      }
    }
  }

  #advance(parts: string[]): void {
    let queue = parts;
    while (queue.length > 0) {
      const part = queue[0] as string;
      const rest = queue.slice(1);
      if (part === '..') {
        this.#pop();
        queue = rest;
        this.#name = undefined;
        continue;
      }
      if (rest.length === 0) {
        this.#name = part;
        return;
      }
      queue = this.#step(part, rest);
    }
  }

  /** Goes into `part` (a directory, or a link to one under follow-within); returns what is left. */
  #step(part: string, rest: string[]): string[] {
    const { resolver } = this.core;
    const top = this.dir;
    try {
      this.#push(resolver.openChild(top, part));
      return rest;
    } catch (error) {
      if (isHardfsError(error, 'ESYMLINK') && this.follows) {
        const target = this.#readLink(part);
        if (target === undefined) return this.#step(part, rest);
        const spliced = [...splitLinkTarget(target, joinDisplay(top.path, part)), ...rest];
        // The link itself was the last thing to enter: enter what it names.
        if (rest.length === 0) return this.#enterAll(spliced);
        return spliced;
      }
      if (errnoCode(error) === 'ENOENT' && this.#options.mkdirs !== undefined) {
        this.#create(top, part);
        return rest;
      }
      throw error;
    }
  }

  // Walks every component of `parts` as a directory (a link target that must be entered).
  #enterAll(parts: string[]): string[] {
    let queue = parts;
    while (queue.length > 0) {
      const part = queue[0] as string;
      const rest = queue.slice(1);
      if (part === '..') {
        this.#pop();
        queue = rest;
      } else {
        queue = this.#step(part, rest);
      }
    }
    return [];
  }

  #create(top: DirNode, part: string): void {
    const { resolver } = this.core;
    const mode = this.#options.mkdirs as number;
    try {
      mkdirSync(resolver.pathIn(top, part), mode);
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
      // Lost a race with another creator: open what is there (never through a symlink).
      this.#push(resolver.openChild(top, part));
      return;
    }
    const node = resolver.openChild(top, part);
    this.#push(node);
    // mkdir's mode is filtered by the umask: make it exact on the descriptor.
    if (node.fd !== undefined) fchmodSync(node.fd, mode);
    this.#options.onCreate?.(node.path);
  }

  #push(node: DirNode): void {
    this.#stack.push(node);
    if (node.fd !== undefined) this.#options.record?.set(node.fd, node.path);
  }

  #pop(): void {
    if (this.#stack.length === 1) {
      throw new HardfsError('EESCAPE', 'path climbs above the directory', { path: this.core.root.path });
    }
    const node = this.#stack.pop() as DirNode;
    this.core.resolver.close(node);
  }

  #readLink(name: string): string | undefined {
    this.#links += 1;
    if (this.#links > MAX_SYMLINKS) {
      throw new HardfsError('ELOOP', `more than ${MAX_SYMLINKS} symlinks while resolving the path`, {
        path: joinDisplay(this.dir.path, name),
      });
    }
    try {
      return readlinkSync(this.core.resolver.pathIn(this.dir, name));
    } catch (error) {
      // EINVAL: no longer a symlink (swapped back since it was seen as one). The caller looks
      // again; every look counts against MAX_SYMLINKS, so a swapper cannot loop it forever.
      if (errnoCode(error) === 'EINVAL') return undefined;
      throw error;
    }
  }
}

function splitLinkTarget(target: string, linkPath: string): string[] {
  try {
    return splitRelativePath(target, 'symlink target');
  } catch (error) {
    if (isHardfsError(error, 'EESCAPE')) {
      throw new HardfsError('EESCAPE', 'symlink points outside the directory (absolute target)', { path: linkPath, cause: error });
    }
    throw error;
  }
}

/** The property a walk leaves on an error it raised: the caller's path of that walk. */
export const CALLER_PATH: unique symbol = Symbol('hardfs.callerPath') as never;

export function joinDisplay(parent: string, name: string): string {
  return parent.endsWith(SEP) ? `${parent}${name}` : `${parent}${SEP}${name}`;
}

/* v8 ignore next -- the backslash is Windows only */
const SEP = process.platform === 'win32' ? '\\' : '/';
