import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { HardfsError, errnoCode, isHardfsError } from '../errors.js';
import type { SafeDir } from '../dir/safe-dir.js';
import { MAX_RECORD_BYTES, parseOwnerRecord, type OwnerRecord } from './owner-record.js';
import { observeUnchanged, type LockFingerprint } from './observed-age.js';
import { processLiveness } from './process-identity.js';

/**
 * What a lock file says, read through one descriptor so that the record, the heartbeat (mtime)
 * and the identity (dev + inode) all describe the same file — a path-level lstat followed by a
 * read could pair the record of one file with the age of another.
 */
export interface LockSnapshot {
  record: OwnerRecord | undefined;
  dev: bigint;
  ino: bigint;
  mtimeMs: number;
  /** What a heartbeat or a replacement would change (observed-age.ts). */
  fingerprint: LockFingerprint;
}

export type StaleReason = 'dead' | 'recycled' | 'expired' | 'unreadable';

export type Verdict =
  | { state: 'absent' }
  | { state: 'held'; snapshot: LockSnapshot }
  | { state: 'stale'; snapshot: LockSnapshot; reason: StaleReason };

export interface JudgeContext {
  /** The host name this process writes into its records; a record from another host gets no pid check. */
  localHost: string;
  staleMs: number;
  graceMs: number;
}

function describeForeign(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device node';
  // Stryker disable next-line StringLiteral: unreachable, every file type Node's Stats can report is handled above or by the caller
  return 'something other than a regular file';
}

/**
 * Anything but a regular file at a lock name was not made by a lock: it is planted or a mistake.
 * It is refused with an error at once — never followed (a symlink could point anywhere), never
 * opened for writing, never removed (it is not ours to remove) and never waited on (it will not
 * go away by itself, so waiting would only turn a clear error into a timeout).
 */
function foreignObjectError(stats: Stats, path: string, cause?: unknown): HardfsError {
  if (stats.isSymbolicLink()) {
    return new HardfsError('ESYMLINK', 'a symlink occupies the lock name; it is neither followed nor removed', {
      path,
      cause,
    });
  }
  return new HardfsError(
    'EINSECURE',
    `${describeForeign(stats)} occupies the lock name; it is not a lock file and is neither opened nor removed`,
    { path, cause },
  );
}

/**
 * Reads the lock file at `name` (reported as `reportAs`); undefined if there is none. Throws
 * ESYMLINK/EINSECURE for a foreign object at the name.
 */
export async function readLockSnapshot(dir: SafeDir, name: string, reportAs: string = name): Promise<LockSnapshot | undefined> {
  const displayPath = join(dir.path, reportAs);
  let stats: Stats;
  try {
    stats = await dir.lstat(name);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  if (!stats.isFile()) throw foreignObjectError(stats, displayPath);

  let handle: FileHandle;
  try {
    // O_RDONLY|O_NOFOLLOW|O_NONBLOCK and an fstat check: a symlink or FIFO swapped in since
    // the lstat is refused here without being followed or blocking.
    handle = await dir.openFile(name);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    if (isHardfsError(error, 'ESYMLINK') || isHardfsError(error, 'EINSECURE')) {
      const again = await dir.lstat(name).catch(() => undefined);
      if (again !== undefined && !again.isFile()) throw foreignObjectError(again, displayPath, error);
    }
    // ENXIO is what open(2) answers for a UNIX socket (and a device without a driver): one was
    // swapped in after the lstat. Whatever is at the name by now, it was not a lock file when
    // we opened it: a typed refusal, never the native error.
    if (errnoCode(error) === 'ENXIO') {
      const again = await dir.lstat(name).catch(() => undefined);
      if (again !== undefined && !again.isFile()) throw foreignObjectError(again, displayPath, error);
      throw new HardfsError('EINSECURE', 'a socket or device occupied the lock name when it was opened; it is not a lock file', {
        path: displayPath,
        cause: error,
      });
    }
    throw error;
  }
  try {
    const fileStats = await handle.stat({ bigint: true });
    const bytes = await readBounded(handle, MAX_RECORD_BYTES + 1);
    return {
      record: bytes.length > MAX_RECORD_BYTES ? undefined : parseOwnerRecord(bytes),
      dev: fileStats.dev,
      ino: fileStats.ino,
      mtimeMs: Number(fileStats.mtimeNs / 1_000_000n),
      fingerprint: {
        dev: fileStats.dev,
        ino: fileStats.ino,
        size: fileStats.size,
        mtimeNs: fileStats.mtimeNs,
        ctimeNs: fileStats.ctimeNs,
        content: bytes.toString('latin1'),
      },
    };
  } finally {
    await handle.close();
  }
}

async function readBounded(handle: FileHandle, limit: number): Promise<Buffer> {
  const buffer = Buffer.alloc(limit);
  let length = 0;
  while (length < limit) {
    const { bytesRead } = await handle.read(buffer, length, limit - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buffer.subarray(0, length);
}

/**
 * Is the holder gone? On the holder's own host a dead or recycled pid settles it at once. In
 * every other case — another host, a pid that is alive, or a pid that cannot be asked about
 * (outside the platform's range: a record no process of this host wrote) — only the heartbeat
 * counts: a live pid is not trusted to mean "holder alive" because the same host name does not
 * guarantee the same pid namespace (containers), and a holder frozen for longer than staleMs has
 * broken the contract it was given. An unreadable record (garbage, non-object JSON, missing or
 * ill-typed fields) has no pid to check; it is abandoned once older than the grace period,
 * since a live creator writes its record right after creating the file.
 *
 * The age is the larger of the mtime's age and how long this process has seen the file
 * unchanged (observed-age.ts): an mtime in the future — clock skew, a planted timestamp — then
 * delays a takeover by staleMs of observation, never forever.
 */
export async function judgeSnapshot(snapshot: LockSnapshot, context: JudgeContext, now: number = Date.now()): Promise<Verdict> {
  const age = Math.max(now - snapshot.mtimeMs, observeUnchanged(snapshot.fingerprint));
  const { record } = snapshot;
  if (record === undefined) {
    return age > context.graceMs ? { state: 'stale', snapshot, reason: 'unreadable' } : { state: 'held', snapshot };
  }
  if (record.host === context.localHost) {
    const liveness = await processLiveness(record.pid, record.start);
    if (liveness === 'dead' || liveness === 'recycled') return { state: 'stale', snapshot, reason: liveness };
  }
  if (age > context.staleMs) return { state: 'stale', snapshot, reason: 'expired' };
  return { state: 'held', snapshot };
}

export async function inspectLock(dir: SafeDir, name: string, context: JudgeContext): Promise<Verdict> {
  const snapshot = await readLockSnapshot(dir, name);
  if (snapshot === undefined) return { state: 'absent' };
  return judgeSnapshot(snapshot, context);
}

/** The same file (identity) with the same record (token, or both unreadable)? */
export function sameLockFile(a: LockSnapshot, b: LockSnapshot): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.record?.token === b.record?.token;
}

/**
 * The same file, not written to or beaten since `before` was read: same identity, size, mtime
 * and bytes. The ctime is left out on purpose — a rename (the takeover's move aside) sets it.
 */
export function unchangedSince(before: LockSnapshot, after: LockSnapshot): boolean {
  const a = before.fingerprint;
  const b = after.fingerprint;
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.content === b.content;
}
