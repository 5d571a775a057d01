import { HardfsError, errnoCode, isHardfsError } from '../../errors.js';
import { renameWithRetry, renameWithRetrySync } from '../../sys/rename-retry.js';
import { closeSync, fchmodSync, linkSync, lstatSync, mkdirSync, openSync, readlinkSync, renameSync, rmdirSync, symlinkSync, unlinkSync } from '../../sys/syscalls.js';
import { OPEN_DIR_FLAGS } from '../../sys/flags.js';
import type { Walk } from '../walk.js';

function existsAsName(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

// A target spelled `name/` names a directory, so only a directory may move there: rename(2)
// refuses a file with ENOTDIR (POSIX, Linux, Go) even where the target does not exist yet. The
// walk settles the trailing slash and keeps the bare name, so the kernel never sees the slash
// and the check is ours. Not followed: a symlink to a directory is not a directory here either.
function requireDirectorySource(source: string, from: Walk, to: Walk): void {
  if (!to.namesDirectory || from.namesDirectory) return;
  if (!lstatSync(source).isDirectory()) {
    throw from.tag(new HardfsError('ENOTDIR', 'not a directory (a target ending in "/" takes only a directory)', { path: from.displayPath }));
  }
}

/** rename(2) of two names, neither followed; retried on Windows as sys/rename-retry.ts says. */
export async function renameAt(from: Walk, to: Walk): Promise<void> {
  const source = from.core.resolver.pathIn(from.dir, from.requireName());
  const target = to.core.resolver.pathIn(to.dir, to.requireName());
  requireDirectorySource(source, from, to);
  await renameWithRetry(() => {
    renameSync(source, target);
    return Promise.resolve();
  });
  from.check();
  to.check();
}

export function renameAtSync(from: Walk, to: Walk): void {
  const source = from.core.resolver.pathIn(from.dir, from.requireName());
  const target = to.core.resolver.pathIn(to.dir, to.requireName());
  requireDirectorySource(source, from, to);
  renameWithRetrySync(() => { renameSync(source, target); });
  from.check();
  to.check();
}

/**
 * Renames only if the target does not exist (EEXIST otherwise), by hard-linking then unlinking
 * the source: the target never holds anything but the complete source. Not for directories.
 */
export function renameNoReplaceAt(from: Walk, to: Walk): void {
  const source = from.core.resolver.pathIn(from.dir, from.requireName());
  const target = to.core.resolver.pathIn(to.dir, to.requireName());
  requireDirectorySource(source, from, to);
  linkSync(source, target);
  unlinkSync(source);
  from.check();
  to.check();
}

/** link(2): a new name for an existing file; a symlink at the source is linked itself, not followed. */
export function linkAt(existing: Walk, created: Walk): void {
  linkSync(existing.core.resolver.pathIn(existing.dir, existing.requireName()), created.core.resolver.pathIn(created.dir, created.requireFileName()));
  existing.check();
  created.check();
}

/**
 * symlink(2): stores `target` as given. Creating a link is harmless to the root (its walk
 * never follows one out); what refuses an escape is the walk that later meets it.
 */
export function symlinkAt(walk: Walk, target: string): void {
  if (typeof target !== 'string' || target.length === 0 || target.includes('\0')) {
    throw new HardfsError('EBADNAME', 'symlink target must be a non-empty string without NUL', { path: walk.displayPath });
  }
  symlinkSync(target, walk.core.resolver.pathIn(walk.dir, walk.requireFileName()));
  walk.check();
}

export function readlinkAt(walk: Walk): string {
  const target = readlinkSync(walk.core.resolver.pathIn(walk.dir, walk.requireName()));
  walk.check();
  return target;
}

/** Options of SafeDir#mkdir. */
export interface MkdirOptions {

  /** Create missing parents too; an existing directory is then not an error. Default false. */
  recursive?: boolean;
  /** Mode of each directory created, exact whatever the umask. Default 0o700. */
  mode?: number;
}

/**
 * mkdir, never through a symlink; each directory created gets exactly `mode` (fchmod on its
 * descriptor). With `recursive`, returns the first directory created (the caller's path), or
 * undefined if all existed, like node.
 */
export function mkdirAt(walk: Walk, mode: number, recursive: boolean, firstCreated: string | undefined): string | undefined {
  if (walk.name === undefined) {
    if (recursive) return firstCreated;
    throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${walk.displayPath}'`), {
      code: 'EEXIST',
      syscall: 'mkdir',
      path: walk.displayPath,
    });
  }
  const { resolver } = walk.core;
  const path = resolver.pathIn(walk.dir, walk.name);
  if (!recursive && walk.endsInDot) {
    // mkdir("b/.") asks for "." inside b, which the kernel never creates: ENOENT without b,
    // EEXIST with it. Creating b instead would act where node does not.
    const code = existsAsName(path) ? 'EEXIST' : 'ENOENT';
    const what = code === 'EEXIST' ? 'file already exists' : 'no such file or directory';
    throw Object.assign(new Error(`${code}: ${what}, mkdir '${walk.callerPath}'`), { code, syscall: 'mkdir', path: walk.callerPath });
  }
  try {
    mkdirSync(path, mode);
  } catch (error) {
    if (recursive && errnoCode(error) === 'EEXIST') {
      // Must be a directory (not a file, not a symlink to one): entering it proves that. A
      // non-directory there is node's EEXIST (a link the policy refuses stays ESYMLINK).
      try {
        walk.enterTarget();
      } catch (notDirectory) {
        if (isHardfsError(notDirectory, 'ENOTDIR')) throw error;
        throw notDirectory;
      }
      walk.check();
      return firstCreated;
    }
    throw error;
  }
  try {
    if (walk.dir.fd !== undefined) {
      const fd = openSync(path, OPEN_DIR_FLAGS);
      try {
        fchmodSync(fd, mode);
      } finally {
        closeSync(fd);
      }
    }
    walk.check();
  } catch (error) {
    try {
      // Created through a directory that failed its proof: take it back.
      rmdirSync(path);
    } catch {
      // the proof's error is reported
    }
    throw error;
  }
  return recursive ? (firstCreated ?? walk.displayPath) : undefined;
}
