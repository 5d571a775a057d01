import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { SafeDir } from '../index.js';
import { formatMode, isSticky, tightenedMode } from './modes.js';
import { errorLine } from './output.js';

export interface FixOutcome {
  /** Whether --fix would fix it (the same checks, whether or not it runs): `fixable` in --json. */
  fixable: boolean;
  fixed: boolean;
  /** What was (or, with --dry-run, would be) done, or why nothing is. */
  action: string;
}

/** `apply` false: judge and say what would be done (--dry-run, or no --fix at all), touch nothing. */
export interface FixMode {
  apply: boolean;
}

const notFixed = (action: string): FixOutcome => ({ fixable: false, fixed: false, action: `not fixed: ${action}` });
const wouldFix = (action: string): FixOutcome => ({ fixable: true, fixed: false, action: `would ${action}` });

function ownerRefusal(stats: Stats, uid: number | undefined): FixOutcome | undefined {
  if (uid === undefined || stats.uid === uid) return undefined;
  return notFixed(`owned by uid ${stats.uid}; changing another user's modes is left to a human`);
}

/**
 * Removes group/other bits from a pinned directory's own mode, through its descriptor
 * (fchmod), never by path. A sticky directory is shared on purpose (like /tmp): reported, left alone.
 */
export async function fixDirectoryMode(dir: SafeDir, stats: Stats, uid: number | undefined, mode: FixMode): Promise<FixOutcome> {
  const refusal = ownerRefusal(stats, uid);
  if (refusal) return refusal;
  if (isSticky(stats.mode)) return notFixed('sticky directory (shared on purpose?); tighten it by hand if it is not');
  const next = tightenedMode(stats.mode);
  const change = `mode ${formatMode(stats.mode)} -> ${formatMode(next)}`;
  if (!mode.apply) return wouldFix(`set ${change}`);
  try {
    await dir.setMode(next);
    return { fixable: true, fixed: true, action: change };
  } catch (error) {
    return { ...notFixed(errorLine(error)), fixable: true };
  }
}

/**
 * Removes group/other bits from a file through a descriptor opened with O_NOFOLLOW (fchmod):
 * a name swapped for a symlink meanwhile fails to open and its target is never touched. The
 * descriptor must still be the inode that was judged. A hard-linked file is left alone:
 * its mode is shared with every other name, possibly outside the audited tree.
 */
export async function fixFileMode(dir: SafeDir, name: string, judged: Stats, uid: number | undefined, mode: FixMode): Promise<FixOutcome> {
  const refusal = ownerRefusal(judged, uid);
  if (refusal) return refusal;
  if (judged.nlink > 1) return notFixed('hard-linked: its mode is shared with names possibly outside this tree');
  if (!mode.apply) return wouldFix(`set mode ${formatMode(judged.mode)} -> ${formatMode(tightenedMode(judged.mode))}`);
  let handle: FileHandle;
  try {
    handle = await dir.openFile(name, { write: false });
  } catch (error) {
    return { ...notFixed(errorLine(error)), fixable: true };
  }
  try {
    const opened = await handle.stat();
    if (opened.ino !== judged.ino || opened.dev !== judged.dev) return notFixed('file was replaced during the audit; run it again');
    if (opened.nlink > 1) return notFixed('hard-linked: its mode is shared with names possibly outside this tree');
    const next = tightenedMode(opened.mode);
    await handle.chmod(next); // fchmod on the O_NOFOLLOW descriptor
    return { fixable: true, fixed: true, action: `mode ${formatMode(opened.mode)} -> ${formatMode(next)}` };
  } catch (error) {
    return { ...notFixed(errorLine(error)), fixable: true };
  } finally {
    await handle.close();
  }
}

/** Unlinks a stale temp file (a symlink under that name would be unlinked itself, never its target). */
export async function removeStaleTemp(dir: SafeDir, name: string, judged: Stats, mode: FixMode): Promise<FixOutcome> {
  if (!mode.apply) return wouldFix('remove it');
  try {
    const now = await dir.lstat(name);
    if (now.ino !== judged.ino || now.dev !== judged.dev) return notFixed('file was replaced during the audit; run it again');
    await dir.unlink(name);
    return { fixable: true, fixed: true, action: 'removed' };
  } catch (error) {
    return { ...notFixed(errorLine(error)), fixable: true };
  }
}
