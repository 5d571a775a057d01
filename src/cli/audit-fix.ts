import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { SafeDir } from '../index.js';
import { formatMode, isSticky, tightenedMode } from './modes.js';
import { errorLine } from './output.js';

export interface FixOutcome {
  fixed: boolean;
  /** What was done, or why nothing was. */
  action: string;
}

const notFixed = (action: string): FixOutcome => ({ fixed: false, action: `not fixed: ${action}` });

function ownerRefusal(stats: Stats, uid: number | undefined): FixOutcome | undefined {
  if (uid === undefined || stats.uid === uid) return undefined;
  return notFixed(`owned by uid ${stats.uid}; changing another user's modes is left to a human`);
}

/**
 * Removes group/other bits from a pinned directory's own mode, through its descriptor
 * (fchmod), never by path. A sticky directory is shared on purpose (like /tmp): reported, left alone.
 */
export async function fixDirectoryMode(dir: SafeDir, stats: Stats, uid: number | undefined): Promise<FixOutcome> {
  const refusal = ownerRefusal(stats, uid);
  if (refusal) return refusal;
  if (isSticky(stats.mode)) return notFixed('sticky directory (shared on purpose?); tighten it by hand if it is not');
  const next = tightenedMode(stats.mode);
  try {
    await dir.setMode(next);
    return { fixed: true, action: `mode ${formatMode(stats.mode)} -> ${formatMode(next)}` };
  } catch (error) {
    return notFixed(errorLine(error));
  }
}

/**
 * Removes group/other bits from a file through a descriptor opened with O_NOFOLLOW (fchmod):
 * a name swapped for a symlink meanwhile fails to open and its target is never touched. The
 * descriptor must still be the inode that was judged. A hard-linked file is left alone:
 * its mode is shared with every other name, possibly outside the audited tree.
 */
export async function fixFileMode(dir: SafeDir, name: string, judged: Stats, uid: number | undefined): Promise<FixOutcome> {
  const refusal = ownerRefusal(judged, uid);
  if (refusal) return refusal;
  if (judged.nlink > 1) return notFixed('hard-linked: its mode is shared with names possibly outside this tree');
  let handle: FileHandle;
  try {
    handle = await dir.openFile(name, { write: false });
  } catch (error) {
    return notFixed(errorLine(error));
  }
  try {
    const opened = await handle.stat();
    if (opened.ino !== judged.ino || opened.dev !== judged.dev) return notFixed('file was replaced during the audit; run it again');
    if (opened.nlink > 1) return notFixed('hard-linked: its mode is shared with names possibly outside this tree');
    const next = tightenedMode(opened.mode);
    await handle.chmod(next); // fchmod on the O_NOFOLLOW descriptor
    return { fixed: true, action: `mode ${formatMode(opened.mode)} -> ${formatMode(next)}` };
  } catch (error) {
    return notFixed(errorLine(error));
  } finally {
    await handle.close();
  }
}

/** Unlinks a stale temp file (a symlink under that name would be unlinked itself, never its target). */
export async function removeStaleTemp(dir: SafeDir, name: string, judged: Stats): Promise<FixOutcome> {
  try {
    const now = await dir.stat(name);
    if (now.ino !== judged.ino || now.dev !== judged.dev) return notFixed('file was replaced during the audit; run it again');
    await dir.unlink(name);
    return { fixed: true, action: 'removed' };
  } catch (error) {
    return notFixed(errorLine(error));
  }
}
