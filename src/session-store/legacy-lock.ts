import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { HardfsError, errnoCode, isHardfsError, parseJsonSafe, type SafeDir } from '../index.js';
import type { StoreLayout } from './layout.js';
import { notOwned } from './legacy-file.js';
import { isTrustedOwner, type LeftAlone } from './ownership.js';

/**
 * The legacy writer's own lock: a gateway that still writes `sessions.json` takes
 * `sessions.json.lock` beside it, created with O_EXCL and holding `{"pid":…,"createdAt":"<ISO>"}`,
 * and judges it stale when its pid is gone or its createdAt is older than 30 s (the gateway's
 * store default). The migration takes the same lock, in the same format, from before it reads the
 * legacy file until its backup is renamed away, so an update the gateway is writing is either in
 * the bytes migrated or waits until the file is gone.
 */
export const LEGACY_LOCK_SUFFIX = '.lock';
/** The gateway's store lock staleMs. */
export const LEGACY_LOCK_STALE_MS = 30_000;
const MAX_LOCK_BYTES = 4096;
/** How long a lock file whose record cannot be judged is left to its creator. */
const UNJUDGED_GRACE_MS = 2_000;

export function legacyLockName(layout: StoreLayout): string {
  return `${layout.legacyName}${LEGACY_LOCK_SUFFIX}`;
}

export interface LegacyLockOptions {
  timeoutMs: number;
}

export type LegacyLockResult<T> = { kind: 'done'; value: T } | { kind: 'left-alone'; leftAlone: LeftAlone };

interface Held {
  dir: SafeDir;
  name: string;
  token: string;
}

const held = new Set<Held>();
let exitHookInstalled = false;

/**
 * Runs `body` holding the legacy writer's lock. A lock file owned by another user is never
 * judged or removed (in a sticky directory it could not be removed anyway): the migration is
 * skipped and the file reported. A live holder is waited for up to `timeoutMs` (ELOCKED, with
 * the lock's path, after that).
 */
export async function withLegacyWriterLock<T>(
  parent: SafeDir,
  layout: StoreLayout,
  options: LegacyLockOptions,
  body: () => Promise<T>,
): Promise<LegacyLockResult<T>> {
  const name = legacyLockName(layout);
  const path = `${parent.path}/${name}`;
  // The gateway's rule, which the migration must apply exactly as the gateway does.
  const staleMs = LEGACY_LOCK_STALE_MS;
  const deadline = Date.now() + options.timeoutMs;
  const token = randomBytes(16).toString('hex');
  let handle: FileHandle | undefined;
  for (let attempt = 0; handle === undefined; attempt += 1) {
    try {
      handle = await parent.createFileExclusive(name, recordText(token), { mode: 0o600, fsync: false });
      break;
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') {
        // A symlink planted at the name, say: whose is it?
        if (isHardfsError(error)) {
          const judged = await judge(parent, name, path, staleMs).catch(() => undefined);
          if (judged?.kind === 'foreign') return { kind: 'left-alone', leftAlone: judged.leftAlone };
        }
        throw error;
      }
    }
    const judged = await judge(parent, name, path, staleMs);
    if (judged.kind === 'foreign') return { kind: 'left-alone', leftAlone: judged.leftAlone };
    if (judged.kind === 'stale') {
      await removeIfSame(parent, name, judged.ino);
      continue;
    }
    if (judged.kind === 'gone') continue;
    if (Date.now() >= deadline) {
      throw new HardfsError(
        'ELOCKED',
        `the legacy store is locked by a running writer (${judged.holder}); let it finish and run the migration again, or raise migrationTimeoutMs`,
        { path },
      );
    }
    await sleep(Math.min(1000, 25 * (attempt + 1)));
  }
  const entry: Held = { dir: parent, name, token };
  trackHeld(entry);
  // The gateway judges by createdAt: refresh it while the migration runs, so that a long
  // migration is never taken for a crashed writer.
  const timer = setInterval(() => {
    void rewrite(handle, token).catch(() => undefined);
  }, Math.max(1000, Math.floor(staleMs / 3)));
  timer.unref();
  try {
    return { kind: 'done', value: await body() };
  } finally {
    clearInterval(timer);
    await handle.close().catch(() => undefined);
    held.delete(entry);
    await releaseIfOurs(parent, name, token);
  }
}

/**
 * A migration killed after its backup rename (or a gateway killed while writing) can leave the
 * legacy writer's lock with no legacy file beside it, and a gateway that starts later would wait
 * for it. Removes it when the gateway's own rule judges it stale (its pid gone, or createdAt older
 * than 30 s); a live holder, a file of another user or anything but a regular file stays. A
 * cleanup: never a reason for an open to fail, so what the filesystem refuses is left as it is.
 */
export async function clearStaleLegacyWriterLock(parent: SafeDir, layout: StoreLayout): Promise<void> {
  const name = legacyLockName(layout);
  try {
    const stats = await parent.lstat(name);
    if (!stats.isFile() || !isTrustedOwner(stats)) return;
    const judged = await judge(parent, name, `${parent.path}/${name}`, LEGACY_LOCK_STALE_MS);
    if (judged.kind === 'stale') await removeIfSame(parent, name, judged.ino);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT' && !isHardfsError(error)) throw error;
  }
}

function recordText(token: string): string {
  // pid and createdAt are what the gateway reads; token lets us tell our record from another's.
  return JSON.stringify({ pid: process.pid, createdAt: new Date().toISOString(), token });
}

// Written over the old record in place, never truncated first: the record always has the same
// length (a fixed-width ISO time), and a reader that caught an empty file would take the lock
// for abandoned.
async function rewrite(handle: FileHandle, token: string): Promise<void> {
  const bytes = Buffer.from(recordText(token));
  await handle.write(bytes, 0, bytes.length, 0);
}

type Judgment =
  | { kind: 'gone' }
  | { kind: 'foreign'; leftAlone: LeftAlone }
  | { kind: 'stale'; ino: number }
  | { kind: 'held'; holder: string };

/**
 * The gateway's rule: stale when the pid is gone or createdAt is older than staleMs. A record
 * without a usable createdAt (being written right now, garbage, a time in the future) is judged
 * by the file's age against a 2 s grace instead, so a lock a writer has just created is not
 * taken from it, and one a killed writer left empty does not block for staleMs.
 */
async function judge(parent: SafeDir, name: string, path: string, staleMs: number): Promise<Judgment> {
  let handle: FileHandle;
  try {
    handle = await parent.openFile(name);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { kind: 'gone' };
    if (isHardfsError(error, 'ESYMLINK') || isHardfsError(error, 'EINSECURE')) {
      const stats = await parent.lstat(name).catch(() => undefined);
      if (stats === undefined) return { kind: 'gone' };
      if (!isTrustedOwner(stats)) return { kind: 'foreign', leftAlone: notOwned(path, stats.uid) };
    }
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!isTrustedOwner(stats)) return { kind: 'foreign', leftAlone: notOwned(path, stats.uid) };
    const now = Date.now();
    const bytes = stats.size > MAX_LOCK_BYTES ? undefined : await handle.readFile();
    const record = bytes === undefined ? undefined : parseRecord(bytes);
    // A record that cannot be judged goes by the file's age, with a short grace: a writer
    // writes its record right after creating the file, so an empty file older than that was
    // left by a writer killed in between (the gateway takes such a lock at once).
    const age = now - (record?.createdAt ?? stats.mtimeMs);
    if (age > (record?.createdAt === undefined ? Math.min(staleMs, UNJUDGED_GRACE_MS) : staleMs)) return { kind: 'stale', ino: stats.ino };
    if (record?.pid !== undefined && processIsGone(record.pid)) return { kind: 'stale', ino: stats.ino };
    return { kind: 'held', holder: record?.pid === undefined ? 'no readable owner record yet' : `pid ${record.pid}` };
  } finally {
    await handle.close();
  }
}

function parseRecord(bytes: Buffer): { pid?: number; createdAt?: number } | undefined {
  let value: unknown;
  try {
    value = parseJsonSafe(bytes, { maxBytes: MAX_LOCK_BYTES, maxDepth: 4 });
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { pid, createdAt } = value as { pid?: unknown; createdAt?: unknown };
  const time = typeof createdAt === 'string' ? Date.parse(createdAt) : typeof createdAt === 'number' ? createdAt : Number.NaN;
  const judgedPid = typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0 && pid <= 0x7fffffff ? pid : undefined;
  // A createdAt in the future cannot be judged: the file's mtime decides instead.
  const judgedTime = Number.isFinite(time) && time <= Date.now() ? time : undefined;
  const record: { pid?: number; createdAt?: number } = {};
  if (judgedPid !== undefined) record.pid = judgedPid;
  if (judgedTime !== undefined) record.createdAt = judgedTime;
  return record;
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists, under another user. Anything else (an invalid pid): cannot be judged.
    return errnoCode(error) === 'ESRCH';
  }
}

async function removeIfSame(parent: SafeDir, name: string, ino: number): Promise<void> {
  try {
    const now = await parent.lstat(name);
    if (now.ino === ino) await parent.unlink(name);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}

async function releaseIfOurs(parent: SafeDir, name: string, token: string): Promise<void> {
  try {
    const bytes = await parent.readFile(name, { maxBytes: MAX_LOCK_BYTES });
    if (bytes.includes(token)) await parent.unlink(name);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT' && !isHardfsError(error)) throw error;
  }
}

function trackHeld(entry: Held): void {
  held.add(entry);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A process that exits (process.exit from a SIGINT handler, say) while migrating removes the
  // lock it holds on the way out, so the gateway does not wait for the 30 s stale rule.
  // Runs as the process exits, after in-process coverage is taken: exercised by a child that
  // exits mid-migration (test/session-store/migration/lock.test.ts, "exits while migrating").
  /* v8 ignore start */
  process.on('exit', () => {
    for (const lock of held) {
      try {
        if (lock.dir.readFileSync(lock.name, { maxBytes: MAX_LOCK_BYTES }).includes(lock.token)) lock.dir.unlinkSync(lock.name);
      } catch {
        // Nothing can be reported from an exit handler.
      }
    }
    held.clear();
  });
  /* v8 ignore stop */
}
