import { lstat } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { HardfsError, errnoCode } from '../errors.js';
import { isPathWithin } from './containment.js';
import { checkDirStats, type DirPolicy } from './policy.js';
import { openDir, type SafeDir } from './safe-dir.js';

/**
 * lstat-based check of a directory path: refuses a symlink (ESYMLINK), a non-directory
 * (ENOTDIR) and, unless the policy relaxes it, a directory owned by another user or writable
 * by group/others without the sticky bit (EINSECURE). A check by path is a snapshot; hold a
 * SafeDir (openDir) to keep operating on the inode that was checked.
 */
export async function assertRealDir(path: string, policy: DirPolicy = {}): Promise<void> {
  const absolute = resolve(path);
  checkDirStats(await lstat(absolute), absolute, policy);
}

/** Options of ensureRealDir: the policy each directory must pass, the mode of those created, an anchor. */
export interface EnsureRealDirOptions extends DirPolicy {

  /** Mode for each directory created, exact whatever the umask. Default 0o700. */
  mode?: number;
  /**
   * Anchor that must already exist: `path` must be within it (EESCAPE otherwise), and every
   * component below it, existing or created, must be a real directory passing the policy.
   */
  root?: string;
}

/**
 * Creates the missing components of `path` one at a time through pinned handles (mkdir then
 * open with O_NOFOLLOW, never a blind recursive mkdir), checking each, and returns the absolute path.
 * Without `root`, the deepest existing ancestor is the anchor: it must be a real directory
 * passing the policy (a symlink there is ESYMLINK unless owned by root); what lies above it
 * resolves as the OS resolves it (the trusted part of the path).
 */
export async function ensureRealDir(path: string, options: EnsureRealDirOptions = {}): Promise<string> {
  const absolute = resolve(path);
  const { mode, root, ...policy } = options;
  let anchor: string;
  let missing: string;
  if (root !== undefined) {
    anchor = resolve(root);
    if (!isPathWithin(anchor, absolute)) {
      throw new HardfsError('EESCAPE', `path is not within the root ${anchor}`, { path: absolute });
    }
    missing = relative(anchor, absolute);
  } else {
    const existing = await deepestExisting(absolute);
    if (existing === absolute) {
      await assertRealDir(absolute, policy);
      return absolute;
    }
    missing = relative(existing, absolute);
    // The anchor is the deepest component that exists: it is opened as a root, so a symlink
    // there is ESYMLINK (except one owned by root, such as macOS /tmp), and so is one at any
    // component created below it (each opened O_NOFOLLOW). Components above the anchor
    // resolve as the OS resolves them: they are the caller's trust anchor.
    anchor = existing;
  }
  let current: SafeDir = await openDir(anchor, policy);
  try {
    for (const component of missing.split(sep).filter((part) => part.length > 0)) {
      const next = await current.openSubdir(component, { ...policy, create: true, mode: mode ?? 0o700 });
      await current.close();
      current = next;
    }
  } finally {
    await current.close();
  }
  return absolute;
}

async function deepestExisting(absolute: string): Promise<string> {
  let candidate = absolute;
  for (;;) {
    try {
      await lstat(candidate);
      return candidate;
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
      const parent = dirname(candidate);
      if (parent === candidate) throw error;
      candidate = parent;
    }
  }
}
