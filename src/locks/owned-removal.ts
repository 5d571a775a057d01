import { fstatSync, type Stats } from 'node:fs';
import { errnoCode, isHardfsError } from '../errors.js';
import type { SafeDir } from '../dir/safe-dir.js';
import { MAX_RECORD_BYTES, parseOwnerRecord } from './owner-record.js';

export type OwnedRemoval =
  | { outcome: 'removed' }
  /** Nothing at the name: someone judged the lock abandoned and removed it. */
  | { outcome: 'missing' }
  /** Something else is at the name now (another owner's record, or not a record at all). */
  | { outcome: 'foreign'; cause?: unknown };

/**
 * Removes `name` only if the record it holds now carries `token`. Reading the token back
 * through the name (not trusting the descriptor we created) is what makes a release by a holder
 * whose lock was taken over harmless: the name then holds the new owner's record, which is left
 * alone. The read and the unlink are two steps; the file can only be replaced between them by a
 * takeover, and a takeover of a live, heartbeating holder is outside the staleMs contract.
 */
export async function removeIfOwned(dir: SafeDir, name: string, token: string): Promise<OwnedRemoval> {
  let bytes: Buffer;
  try {
    bytes = await dir.readFile(name, { maxBytes: MAX_RECORD_BYTES });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { outcome: 'missing' };
    // A symlink, a FIFO or an oversized file at the name is certainly not our record.
    if (isHardfsError(error, 'ESYMLINK') || isHardfsError(error, 'EINSECURE') || isHardfsError(error, 'ETOOBIG')) {
      return { outcome: 'foreign', cause: error };
    }
    throw error;
  }
  if (parseOwnerRecord(bytes)?.token !== token) return { outcome: 'foreign' };
  return unlinkOwned(dir, name);
}

/**
 * Removes `name` only if it still names the very file behind `fd` (same device and inode).
 * As strong as reading the token back — an inode cannot be reused while we hold it open — and
 * cheaper: two metadata calls instead of opening and reading the file. Same two-step caveat as
 * removeIfOwned. Inline, like the exclusive create that made the lock: an fstat of our own
 * descriptor, an lstat and an unlink of one name are metadata calls that never wait on file
 * data, where three thread-pool round trips would each queue behind the fsyncs of every commit
 * in flight — and a release is on every commit's path.
 */
export function removeIfSameFileSync(dir: SafeDir, name: string, fd: number): OwnedRemoval {
  const mine = fstatSync(fd);
  let named: Stats;
  try {
    named = dir.lstatSync(name);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { outcome: 'missing' };
    throw error;
  }
  if (named.dev !== mine.dev || named.ino !== mine.ino) return { outcome: 'foreign' };
  try {
    dir.unlinkSync(name);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { outcome: 'missing' };
    throw error;
  }
  return { outcome: 'removed' };
}

/** The last step of removeIfOwned: the name vanishing under us means someone else removed it. */
async function unlinkOwned(dir: SafeDir, name: string): Promise<OwnedRemoval> {
  try {
    await dir.unlink(name);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { outcome: 'missing' };
    throw error;
  }
  return { outcome: 'removed' };
}

/* v8 ignore start -- only called from the exit handler, exercised in child processes */
/** The synchronous twin, for process 'exit' handlers, where no promise will ever settle. */
export function removeIfOwnedSync(dir: SafeDir, name: string, token: string): boolean {
  const bytes = dir.readFileSync(name, { maxBytes: MAX_RECORD_BYTES });
  if (parseOwnerRecord(bytes)?.token !== token) return false;
  dir.unlinkSync(name);
  return true;
}
/* v8 ignore stop */
