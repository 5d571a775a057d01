import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { errnoCode } from '../errors.js';
import type { SafeDir } from '../dir/safe-dir.js';
import { trackHeld, untrackHeld, type HeldEntry } from './held-locks.js';
import {
  inspectLock,
  judgeSnapshot,
  readLockSnapshot,
  sameLockFile,
  unchangedSince,
  type JudgeContext,
  type LockSnapshot,
} from './lock-inspection.js';
import { removeIfOwned } from './owned-removal.js';
import { createOwnerRecord, newToken, serializeOwnerRecord } from './owner-record.js';
import type { ProcessIdentity } from './process-identity.js';

/**
 * Removing an abandoned lock without a check-then-delete race.
 *
 * The naive recovery — read the record, decide it is stale, unlink the name — is wrong because
 * the name may hold a different file by the time of the unlink: two waiters judge the same dead
 * lock, the first removes it and creates its own, the second then unlinks the first one's live
 * lock. Three layers prevent that here.
 *
 * 1. Rename aside, then verify. The taker renames the lock name to a private random name. A
 *    rename moves exactly one inode — whatever is at the name at that instant — and nobody else
 *    ever touches the private name, so what the taker then checks is what it will unlink: it
 *    reads the moved file through its own descriptor and requires the same dev+inode and the
 *    same token as the file it judged, and either finds it unchanged since the judgment (same
 *    size, mtime and bytes: nobody beat or wrote it) or judges it stale again (a creator that
 *    was merely slow to write its record has a fresh mtime and is not stale). Only then is the
 *    private name unlinked. Token comparison makes inode reuse harmless: a new lock that happens
 *    to get the dead lock's inode number still has a different 128-bit random token.
 *
 * 2. If the moved file is not the one judged, it is put back with a no-replace rename (link +
 *    unlink, EEXIST if the name is taken again). That put-back is the one step that can go wrong:
 *    while the name is empty a third process may create a lock, and the put-back then fails —
 *    leaving two processes believing they hold the lock. To make "moved the wrong file"
 *    impossible among well-behaved processes, takers serialize on a guard file (below), and judge
 *    the lock afresh once they hold the guard. Under the guard, the lock name can change between
 *    judgment and rename only if the judged owner itself released it — i.e. a holder judged
 *    abandoned was in fact alive, which the pid check never concludes about a live process on
 *    its own host and the heartbeat rules out unless the holder stalled for longer than staleMs
 *    (the documented contract for staleMs). If the put-back does fail, the moved file is removed:
 *    its holder finds its record gone when releasing and gets ELOCKLOST.
 *
 * 3. The guard (one per directory, created O_EXCL like a lock) is held for the few milliseconds
 *    of a takeover. A guard left by a process that died inside that window is recovered like a
 *    lock (pid check on the same host, otherwise age), through layer 1 without a guard of its
 *    own. Even if two recoverers of a dead guard ended up both inside the takeover section, each
 *    still verifies the lock file it moved (layer 1), so exclusion of the lock itself would need
 *    a process to die inside the guard window *and* a put-back to collide with a creation.
 *
 * Release by an owner (owned-removal.ts) reads its token back before unlinking and never renames
 * anything: renaming a file we do not own, even briefly, would open the put-back window for
 * someone else's live lock.
 */

/** Names this module creates beside the locks; no lock may be called so. */
const GUARD_NAME = '.hardfs-takeover';
const ASIDE_PREFIX = '.hardfs-aside-';
const RESERVED_NAME = /^\.hardfs-(?:takeover|aside-[0-9a-f]{24})$/;

export function isReservedLockName(name: string): boolean {
  return RESERVED_NAME.test(name);
}

/** A guard is held for milliseconds; one this old has no live holder working under it. */
const MIN_GUARD_STALE_MS = 1_000;

export type TakeoverOutcome =
  /** The abandoned lock was removed; the name is free to create. */
  | 'removed'
  /** The lock was already gone. */
  | 'gone'
  /** The lock is not abandoned after all (or another file took its place); wait for it. */
  | 'kept'
  /** Another process is taking over right now; wait and look again. */
  | 'busy';

export interface TakeoverContext {
  judge: JudgeContext;
  identity: ProcessIdentity;
}

/** Tries to remove the abandoned lock at `name`, under the directory's takeover guard. */
export async function takeOverStaleLock(dir: SafeDir, name: string, context: TakeoverContext): Promise<TakeoverOutcome> {
  const guard = await tryHoldGuard(dir, context);
  if (guard === undefined) return 'busy';
  try {
    // Judge again now that no other taker can act: the verdict that brought us here is older
    // than the guard and may be about a file that has been replaced since.
    const verdict = await inspectLock(dir, name, context.judge);
    if (verdict.state === 'absent') return 'gone';
    if (verdict.state === 'held') return 'kept';
    return await removeIfStillStale(dir, name, verdict.snapshot, context.judge);
  } finally {
    await releaseGuard(dir, guard);
  }
}

interface Guard {
  handle: FileHandle;
  entry: HeldEntry;
}

async function tryHoldGuard(dir: SafeDir, context: TakeoverContext): Promise<Guard | undefined> {
  const token = newToken();
  const content = serializeOwnerRecord(createOwnerRecord(token, context.identity));
  let handle: FileHandle;
  try {
    handle = await dir.createFileExclusive(GUARD_NAME, content, { mode: 0o600, fsync: false });
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
    const guardContext: JudgeContext = {
      ...context.judge,
      staleMs: Math.max(context.judge.staleMs, MIN_GUARD_STALE_MS),
    };
    const verdict = await inspectLock(dir, GUARD_NAME, guardContext);
    if (verdict.state === 'stale') await removeIfStillStale(dir, GUARD_NAME, verdict.snapshot, guardContext);
    return undefined;
  }
  const entry: HeldEntry = { dir, name: GUARD_NAME, token };
  trackHeld(entry);
  return { handle, entry };
}

async function releaseGuard(dir: SafeDir, guard: Guard): Promise<void> {
  try {
    await removeIfOwned(dir, GUARD_NAME, guard.entry.token);
  } finally {
    untrackHeld(guard.entry);
    await guard.handle.close();
  }
}

/**
 * Layer 1 (see the top of this file): rename aside, verify the moved file is the one judged
 * and still abandoned, then unlink it; otherwise put it back without replacing anything.
 */
export async function removeIfStillStale(
  dir: SafeDir,
  name: string,
  judged: LockSnapshot,
  context: JudgeContext,
): Promise<TakeoverOutcome> {
  const aside = `${ASIDE_PREFIX}${randomBytes(12).toString('hex')}`;
  try {
    await dir.rename(name, aside);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'gone';
    throw error;
  }
  let moved: LockSnapshot | undefined;
  try {
    moved = await readLockSnapshot(dir, aside, name);
  } catch (error) {
    // A foreign object (symlink, directory, FIFO) was swapped in before the rename: it was moved,
    // not followed or opened; give it back its name and report it (the refusal is the error
    // that matters; a failed put-back leaves the object under its aside name, not deleted).
    await putBack(dir, aside, name).catch(() => undefined);
    throw error;
  }
  if (moved === undefined) return 'gone'; // nobody else uses private names; defensive only
  // Unchanged since it was judged stale (no heartbeat, no write: the rename moves no mtime), the
  // judgment stands — re-judging would start observed-age.ts's clock again for a file whose mtime
  // is in the future, since the rename changed its ctime. Changed, it is judged afresh.
  if (sameLockFile(moved, judged) && (unchangedSince(judged, moved) || (await judgeSnapshot(moved, context)).state === 'stale')) {
    await dir.unlink(aside);
    return 'removed';
  }
  await putBack(dir, aside, name);
  return 'kept';
}

async function putBack(dir: SafeDir, aside: string, name: string): Promise<void> {
  const stats = await dir.lstat(aside);
  try {
    if (stats.isDirectory()) {
      // link(2) refuses directories. rename onto a name taken by a file fails (ENOTDIR), so a
      // lock created meanwhile is not replaced; only an empty directory could be.
      await dir.rename(aside, name);
    } else {
      // link(2) does not follow a symlink on Linux; regular files, FIFOs and symlinks go back as
      // they were, and a name taken in the meantime is never replaced (EEXIST).
      await dir.renameNoReplace(aside, name);
    }
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'EEXIST' && code !== 'ENOTDIR' && code !== 'EISDIR' && code !== 'ENOTEMPTY') throw error;
    // The name was taken again while the file was aside (see layer 2). A regular file aside is a
    // lock whose holder has lost it either way; removing it tells that holder so at release.
    // A foreign object is left under its aside name rather than deleted: it is not ours.
    if (stats.isFile()) await dir.unlink(aside).catch(() => undefined);
  }
}
