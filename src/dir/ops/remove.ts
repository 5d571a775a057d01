import { errnoCode, isHardfsError } from '../../errors.js';
import { lstatSync, readdirSync, rmdirSync, unlinkSync } from '../../sys/syscalls.js';
import type { DirNode, Resolver } from '../resolvers/resolver.js';
import type { Walk } from '../walk.js';

/** A native-shaped error for refusals node itself makes without a syscall (rm of a directory). */
export function systemError(code: string, message: string, syscall: string, path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${message}, ${syscall} '${path}'`);
  error.code = code;
  error.syscall = syscall;
  error.path = path;
  return error;
}

export function unlinkAt(walk: Walk): void {
  const name = walk.requireName();
  unlinkSync(walk.core.resolver.pathIn(walk.dir, name));
  walk.check();
}

export function rmdirAt(walk: Walk): void {
  const name = walk.requireName();
  // `rmdir("link/")`: the walk followed the link to settle the slash, but rmdir(2) never follows
  // its last component; Linux answers ENOTDIR and removes nothing, neither link nor target.
  if (walk.followedLast) throw systemError('ENOTDIR', 'not a directory', 'rmdir', walk.callerPath);
  rmdirSync(walk.core.resolver.pathIn(walk.dir, name));
  walk.check();
}

/** Options of SafeDir#rm, as node's `fs.rm`. */
export interface RmOptions {

  /** Remove a directory and everything under it. Default false. */
  recursive?: boolean;
  /** A missing path is not an error. Default false. */
  force?: boolean;
}

/**
 * rm: the last component is never followed (a symlink is removed itself). With `recursive`, a
 * directory is emptied through descriptors: each subdirectory is opened O_DIRECTORY|O_NOFOLLOW
 * relative to its parent's descriptor and emptied through its own, so a subdirectory swapped
 * for a symlink meanwhile is unlinked as a symlink, never descended into, and a rename of a
 * directory being emptied cannot redirect the removal anywhere else.
 */
export function rmAt(walk: Walk, options: RmOptions): void {
  const name = walk.requireName();
  const { resolver } = walk.core;
  const path = resolver.pathIn(walk.dir, name);
  let isDirectory: boolean;
  try {
    isDirectory = lstatSync(path).isDirectory();
  } catch (error) {
    if (options.force && errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  if (!isDirectory) {
    try {
      unlinkSync(path);
    } catch (error) {
      if (options.force && errnoCode(error) === 'ENOENT') return;
      throw error;
    }
  } else if (!options.recursive) {
    throw systemError('EISDIR', 'is a directory (use { recursive: true })', 'rm', walk.displayPath);
  } else {
    removeTree(resolver, walk.dir, name, options.force ?? false);
  }
  walk.check();
}

/** Removes `name` inside `parent` and, if it is a directory, everything under it (see rmAt). */
export function removeTree(resolver: Resolver, parent: DirNode, name: string, force: boolean): void {
  let child: DirNode;
  try {
    child = resolver.openChild(parent, name);
  } catch (error) {
    if (isHardfsError(error, 'ESYMLINK') || isHardfsError(error, 'ENOTDIR')) {
      // Not a directory (any more): remove the name itself.
      removeName(resolver, parent, name, force, false);
      return;
    }
    if (force && errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  try {
    for (const entry of readdirSync(resolver.pathOf(child), { withFileTypes: true })) {
      if (entry.isDirectory()) removeTree(resolver, child, entry.name, true);
      else removeName(resolver, child, entry.name, true, true);
    }
  } finally {
    resolver.close(child);
  }
  try {
    rmdirSync(resolver.pathIn(parent, name));
  } catch (error) {
    if (force && errnoCode(error) === 'ENOENT') return;
    throw error;
  }
}

function removeName(resolver: Resolver, parent: DirNode, name: string, force: boolean, descend: boolean): void {
  try {
    unlinkSync(resolver.pathIn(parent, name));
  } catch (error) {
    const code = errnoCode(error);
    // A directory put in its place since readdir: descend (through a descriptor) instead.
    if (descend && (code === 'EISDIR' || code === 'EPERM')) removeTree(resolver, parent, name, force);
    else if (!(force && code === 'ENOENT')) throw error;
  }
}

