// Taking over an abandoned lock: rename aside, verify, unlink (or put back without replacing
// anything), under a per-directory guard; which holders are abandoned (dead or recycled pid on
// this host, otherwise an expired heartbeat) and that a live one never is.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { lstat, mkdir, readFile, readdir, rmdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDir } from '../../src/dir/safe-dir.js';
import { isHardfsError, type HardfsError } from '../../src/errors.js';
import { acquireFileLockWithSeams } from '../../src/locks/file-lock.js';
import { heldLockCount } from '../../src/locks/held-locks.js';
import { acquireFileLock, withFileLock } from '../../src/locks/index.js';
import { readLockSnapshot } from '../../src/locks/lock-inspection.js';
import { createOwnerRecord, newToken, parseOwnerRecord, serializeOwnerRecord, type OwnerRecord } from '../../src/locks/owner-record.js';
import { currentProcessIdentity, type ProcessIdentity } from '../../src/locks/process-identity.js';
import { isReservedLockName, removeIfStillStale, takeOverStaleLock } from '../../src/locks/stale-takeover.js';
import { caught } from '../support/tmp.js';
import { deadPid, makeTempDir, plantRecord as plantIn, recordOnDisk as recordIn, sleep, type TempDir } from './support.js';

const GUARD = '.hardfs-takeover';

const judgeHere = { localHost: hostname(), staleMs: 60_000, graceMs: 2_000 };

describe('isReservedLockName: exactly the guard and aside names', () => {
  it('reserves the guard name and aside names with 24 hex digits', () => {
    expect(isReservedLockName('.hardfs-takeover')).toBe(true);
    expect(isReservedLockName(`.hardfs-aside-${'0123456789abcdef01234567'}`)).toBe(true);
  });

  it('does not reserve names that merely start or end like one', () => {
    expect(isReservedLockName('.hardfs-takeover.lock')).toBe(false);
    expect(isReservedLockName('x.hardfs-takeover')).toBe(false);
    expect(isReservedLockName(`.hardfs-aside-${'0123456789abcdef01234567'}.lock`)).toBe(false);
    expect(isReservedLockName(`my.hardfs-aside-${'0123456789abcdef01234567'}`)).toBe(false);
  });
});

let temp: TempDir;

let identity: ProcessIdentity;

beforeEach(async () => {
  temp = await makeTempDir();
});

// Not in beforeEach: the first test of this file must be the first to ask for the identity.
async function here(): Promise<ProcessIdentity> {
  identity = await currentProcessIdentity();
  return identity;
}

afterEach(async () => {
  await temp.cleanup();
});

async function exists(name: string): Promise<boolean> {
  return lstat(join(temp.path, name)).then(
    () => true,
    () => false,
  );
}

const plant = (name: string, record: OwnerRecord | string, ageMs: number): Promise<string> => plantIn(temp.path, name, record, ageMs);
const plantRecord = plant;
const recordOnDisk = (name: string): Promise<OwnerRecord | undefined> => recordIn(temp.path, name);

/**
 * The names inotify reports for the directory while `action` runs. A marker file created
 * afterwards, and seen, means every earlier event has been delivered (events are queued in order).
 */
async function namesTouchedDuring(action: () => Promise<unknown>): Promise<string[]> {
  const names: string[] = [];
  const watcher: FSWatcher = watch(temp.path, (_event, filename) => {
    if (filename !== null) names.push(filename.toString());
  });
  try {
    await action();
    const marker = `zz-marker-${newToken()}`;
    await writeFile(join(temp.path, marker), '');
    for (let i = 0; i < 500 && !names.includes(marker); i += 1) await sleep(10);
    expect(names).toContain(marker);
    return names.filter((name) => name !== marker);
  } finally {
    watcher.close();
  }
}

async function context(): Promise<{ judge: typeof judgeHere; identity: ProcessIdentity }> {
  return { judge: judgeHere, identity: await here() };
}

describe('takeOverStaleLock: outcomes', () => {
  it("answers 'gone' when there is no lock at the name", async () => {
    expect(await takeOverStaleLock(temp.dir, 'a.lock', await context())).toBe('gone');
    expect(await exists(GUARD)).toBe(false);
  });

  it("answers 'kept' for a lock whose holder is alive, and never moves that lock", async () => {
    await plant('a.lock', createOwnerRecord(newToken(), await here()), 0);
    const before = await lstat(join(temp.path, 'a.lock'), { bigint: true });
    let outcome: unknown;
    const touched = await namesTouchedDuring(async () => {
      outcome = await takeOverStaleLock(temp.dir, 'a.lock', await context());
    });
    expect(outcome).toBe('kept');
    expect(touched).not.toContain('a.lock');
    expect(touched.some((name) => name.startsWith('.hardfs-aside-'))).toBe(false);
    const after = await lstat(join(temp.path, 'a.lock'), { bigint: true });
    expect(after.ino).toBe(before.ino);
    expect(after.ctimeNs).toBe(before.ctimeNs);
    expect(await exists(GUARD)).toBe(false);
  });

  it("answers 'removed' for a dead holder's lock, moving it aside under a .hardfs-aside-<24 hex> name, and frees the guard", async () => {
    await plant('a.lock', createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() }), 0);
    let outcome: unknown;
    const touched = await namesTouchedDuring(async () => {
      outcome = await takeOverStaleLock(temp.dir, 'a.lock', await context());
    });
    expect(outcome).toBe('removed');
    const asides = touched.filter((name) => name !== 'a.lock' && name !== GUARD);
    expect(asides.length).toBeGreaterThan(0);
    for (const name of asides) expect(name).toMatch(/^\.hardfs-aside-[0-9a-f]{24}$/);
    expect(touched).toContain(GUARD);
    expect(await readdir(temp.path)).toEqual(expect.not.arrayContaining(['a.lock', GUARD]));
    expect((await readdir(temp.path)).filter((name) => !name.startsWith('zz-marker-'))).toEqual([]);
  });

  it("answers 'busy' while another live process holds the guard, and leaves that guard alone", async () => {
    await plant(GUARD, createOwnerRecord(newToken(), await here()), 0);
    await plant('a.lock', createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() }), 0);
    expect(await takeOverStaleLock(temp.dir, 'a.lock', await context())).toBe('busy');
    expect(await exists(GUARD)).toBe(true);
    expect(await exists('a.lock')).toBe(true);
  });
});

describe('takeOverStaleLock: releasing the guard', () => {
  it('stops tracking the guard as held once the takeover is over, whatever its outcome', async () => {
    const before = heldLockCount();
    expect(await takeOverStaleLock(temp.dir, 'a.lock', await context())).toBe('gone');
    expect(heldLockCount()).toBe(before);
    await plant('a.lock', createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() }), 0);
    expect(await takeOverStaleLock(temp.dir, 'a.lock', await context())).toBe('removed');
    expect(heldLockCount()).toBe(before);
    expect(await exists(GUARD)).toBe(false);
  });
});

describe('takeOverStaleLock: the guard is stale only after at least a second', () => {
  const elsewhere = { pid: 4242, host: 'another-host.invalid' };
  const quick = { judge: { ...judgeHere, staleMs: 100, graceMs: 100 } };

  it('keeps a half-second-old guard from another host even when staleMs is shorter', async () => {
    await plant(GUARD, createOwnerRecord(newToken(), elsewhere), 500);
    expect(await takeOverStaleLock(temp.dir, 'a.lock', { ...quick, identity: await here() })).toBe('busy');
    expect(await exists(GUARD)).toBe(true);
  });

  it('removes a guard from another host once it is older than a second', async () => {
    await plant(GUARD, createOwnerRecord(newToken(), elsewhere), 5_000);
    expect(await takeOverStaleLock(temp.dir, 'a.lock', { ...quick, identity: await here() })).toBe('busy');
    expect(await exists(GUARD)).toBe(false);
  });
});

describe('takeOverStaleLock: a failure to create the guard', () => {
  it('is thrown rather than read as a busy guard when the directory itself is gone', async () => {
    const path = join(temp.path, 'sub');
    await mkdir(path, { mode: 0o700 });
    const dir = await openDir(path);
    try {
      await rmdir(path);
      const error = await caught(takeOverStaleLock(dir, 'a.lock', await context()));
      expect(error.code).toBe('ENOENT');
    } finally {
      await dir.close();
    }
  });
});

describe('removeIfStillStale: errors and foreign objects', () => {
  it('throws a rename failure other than ENOENT instead of reporting the lock gone', async () => {
    await plant('a.lock', createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() }), 0);
    const judged = (await readLockSnapshot(temp.dir, 'a.lock'))!;
    const error = await caught(removeIfStillStale(temp.dir, 'n'.repeat(300), judged, judgeHere));
    expect(error.code).not.toBe('ENOENT');
    expect(await exists('a.lock')).toBe(true);
  });

  it('puts a directory swapped in after judgment back under the lock name and refuses it (EINSECURE)', async () => {
    await plant('a.lock', createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() }), 0);
    const judged = (await readLockSnapshot(temp.dir, 'a.lock'))!;
    await temp.dir.unlink('a.lock');
    await mkdir(join(temp.path, 'a.lock'));
    const error = await caught(removeIfStillStale(temp.dir, 'a.lock', judged, judgeHere));
    expect(isHardfsError(error, 'EINSECURE')).toBe(true);
    expect((await lstat(join(temp.path, 'a.lock'))).isDirectory()).toBe(true);
    expect(await readdir(temp.path)).toEqual(['a.lock']);
  });

  it('puts a symlink swapped in after judgment back under the lock name and refuses it (ESYMLINK)', async () => {
    await plant('a.lock', createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() }), 0);
    const judged = (await readLockSnapshot(temp.dir, 'a.lock'))!;
    await temp.dir.unlink('a.lock');
    await symlink('/etc/passwd', join(temp.path, 'a.lock'));
    const error = await caught(removeIfStillStale(temp.dir, 'a.lock', judged, judgeHere));
    expect(isHardfsError(error, 'ESYMLINK')).toBe(true);
    expect((await lstat(join(temp.path, 'a.lock'))).isSymbolicLink()).toBe(true);
    expect(await readdir(temp.path)).toEqual(['a.lock']);
  });
});

/**
 * A thread of this process that creates `path` (O_EXCL) the moment the name is free, and stops
 * when told. Lets a test occupy a lock name while removeIfStillStale has moved the file aside.
 */
async function startCreator(path: string): Promise<{ stop(): Promise<boolean> }> {
  const flags = new Int32Array(new SharedArrayBuffer(12)); // [0] stop, [1] created, [2] spinning
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const { openSync, writeSync, closeSync } = require('node:fs');
     const flags = workerData.flags;
     while (Atomics.load(flags, 0) === 0) {
       Atomics.store(flags, 2, 1);
       try {
         const fd = openSync(workerData.path, 'wx', 0o600);
         writeSync(fd, 'creator');
         closeSync(fd);
         Atomics.store(flags, 1, 1);
         break;
       } catch {}
     }`,
    { eval: true, workerData: { path, flags } },
  );
  const exited = new Promise((resolve) => worker.on('exit', resolve));
  for (let i = 0; i < 5_000 && Atomics.load(flags, 2) === 0; i += 1) await sleep(1);
  return {
    async stop() {
      Atomics.store(flags, 0, 1);
      await exited;
      return Atomics.load(flags, 1) === 1;
    },
  };
}

describe('removeIfStillStale: the name is taken again while the file is aside', () => {
  it('never replaces the newcomer, and removes the moved-aside file whose holder has lost it', async () => {
    await plant('other.lock', createOwnerRecord(newToken(), await here()), 0);
    const judged = (await readLockSnapshot(temp.dir, 'other.lock'))!; // not the file at a.lock: it goes back
    let collisions = 0;
    for (let attempt = 0; attempt < 200 && collisions < 3; attempt += 1) {
      await temp.dir.unlink('a.lock').catch(() => undefined);
      await plant('a.lock', createOwnerRecord(newToken(), await here()), 0);
      const creator = await startCreator(join(temp.path, 'a.lock'));
      const outcome = await removeIfStillStale(temp.dir, 'a.lock', judged, judgeHere);
      const created = await creator.stop();
      expect(outcome).toBe('kept');
      expect((await readdir(temp.path)).sort()).toEqual(['a.lock', 'other.lock']);
      const content = await readFile(join(temp.path, 'a.lock'), 'utf8');
      if (created) {
        collisions += 1;
        expect(content).toBe('creator');
      } else {
        expect(content).not.toBe('creator');
      }
    }
    expect(collisions).toBeGreaterThan(0);
  });
});

describe('removeIfStillStale: a foreign object cannot go back because the name was taken again', () => {
  it('leaves the symlink under its aside name rather than deleting it, and still refuses it (ESYMLINK)', async () => {
    await plant('other.lock', createOwnerRecord(newToken(), await here()), 0);
    const judged = (await readLockSnapshot(temp.dir, 'other.lock'))!;
    let collisions = 0;
    for (let attempt = 0; attempt < 200 && collisions < 3; attempt += 1) {
      for (const name of await readdir(temp.path)) {
        if (name !== 'other.lock') await temp.dir.unlink(name);
      }
      await symlink('/etc/passwd', join(temp.path, 'a.lock'));
      const creator = await startCreator(join(temp.path, 'a.lock'));
      const error = await caught(removeIfStillStale(temp.dir, 'a.lock', judged, judgeHere));
      const created = await creator.stop();
      expect(isHardfsError(error, 'ESYMLINK')).toBe(true);
      const names = (await readdir(temp.path)).sort();
      if (created) {
        collisions += 1;
        expect(await readFile(join(temp.path, 'a.lock'), 'utf8')).toBe('creator');
        const asides = names.filter((name) => name.startsWith('.hardfs-aside-'));
        expect(asides).toHaveLength(1);
        expect((await lstat(join(temp.path, asides[0]!))).isSymbolicLink()).toBe(true);
      } else {
        expect(names).toEqual(['a.lock', 'other.lock']);
        expect((await lstat(join(temp.path, 'a.lock'))).isSymbolicLink()).toBe(true);
      }
    }
    expect(collisions).toBeGreaterThan(0);
  });
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<HardfsError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isHardfsError(error)).toBe(true);
  expect((error as HardfsError).code).toBe(code);
  return error as HardfsError;
}

describe('acquireFileLock: stale recovery', () => {
  it('takes over at once from a dead holder on this host, whatever staleMs says', async () => {
    const dead = createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() });
    await plantRecord('a.lock', dead, 0);
    const started = performance.now();
    const lock = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 600_000, timeoutMs: 20_000 });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect((await recordOnDisk('a.lock'))?.token).toBe(lock.token);
    await lock.release();
    expect(await readdir(temp.path)).toEqual([]); // no aside file or guard left behind
  });

  it.runIf(process.platform === 'linux')('takes over at once from a recycled pid (alive, other start time)', async () => {
    const identity = await currentProcessIdentity();
    const recycled = createOwnerRecord(newToken(), { pid: process.pid, host: hostname(), start: `${identity.start}0` });
    await plantRecord('a.lock', recycled, 0);
    const lock = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 600_000, timeoutMs: 20_000 });
    await lock.release();
  });

  it('keeps a live holder on this host while its heartbeat is younger than staleMs, and only then', async () => {
    const identity = await currentProcessIdentity();
    const live = createOwnerRecord(newToken(), identity);
    await plantRecord('a.lock', live, 5_000);
    await expectCode(acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 150 }), 'ELOCKED');
    expect((await recordOnDisk('a.lock'))?.token).toBe(live.token);
    const lock = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 1_000, timeoutMs: 20_000 });
    expect((await recordOnDisk('a.lock'))?.token).toBe(lock.token);
    await lock.release();
  });

  it('judges a holder from another host by heartbeat age only', async () => {
    // Seen from "elsewhere.invalid", this process's own record has no pid to check.
    const identity = await currentProcessIdentity();
    await plantRecord('a.lock', createOwnerRecord(newToken(), identity), 200);
    await expectCode(
      acquireFileLockWithSeams(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 150 }, { host: 'elsewhere.invalid' }),
      'ELOCKED',
    );
    await plantRecord('a.lock', createOwnerRecord(newToken(), { pid: await deadPid(), host: 'other.invalid' }), 0);
    await expectCode(acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 150 }), 'ELOCKED');
    await plantRecord('a.lock', createOwnerRecord(newToken(), { pid: await deadPid(), host: 'other.invalid' }), 5_000);
    const lock = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 1_000, timeoutMs: 20_000 });
    await lock.release();
  });

  it('recovers an empty or garbled record once older than the grace period, not before', async () => {
    await plantRecord('a.lock', '', 0);
    const error = await expectCode(acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 150 }), 'ELOCKED');
    expect(error.message).toMatch(/unreadable/);
    await plantRecord('a.lock', '', 10_000);
    await (await acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 20_000 })).release();
    await plantRecord('a.lock', '{"v":1,"tok', 10_000);
    await (await acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 20_000 })).release();
    await plantRecord('a.lock', 'x'.repeat(100_000), 10_000);
    await (await acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 20_000 })).release();
    expect(await readdir(temp.path)).toEqual([]);
  });

  it('recovers a takeover guard left by a dead process, and waits on a live one', async () => {
    await plantRecord('a.lock', createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() }), 0);
    const liveGuard = createOwnerRecord(newToken(), await currentProcessIdentity());
    await plantRecord('.hardfs-takeover', liveGuard, 0);
    const error = await expectCode(acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 200 }), 'ELOCKED');
    expect(error.message).toMatch(/taking it over/);
    expect((await recordOnDisk('.hardfs-takeover'))?.token).toBe(liveGuard.token);

    await plantRecord('.hardfs-takeover', createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() }), 0);
    const lock = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 20_000 });
    await lock.release();
    expect(await readdir(temp.path)).toEqual([]);
  });

  it('many in-process waiters on one dead lock: exactly one holds it at a time', async () => {
    await plantRecord('a.lock', createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() }), 0);
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(temp.dir, 'a.lock', async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          await sleep(5);
          inside -= 1;
        }, { staleMs: 60_000, timeoutMs: 20_000 }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(await readdir(temp.path)).toEqual([]);
  });
});

describe('removeIfStillStale (rename aside, verify, put back)', () => {
  it('removes the file it judged', async () => {
    await plantRecord('a.lock', createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() }), 0);
    const judged = (await readLockSnapshot(temp.dir, 'a.lock'))!;
    expect(await removeIfStillStale(temp.dir, 'a.lock', judged, judgeHere)).toBe('removed');
    expect(await readdir(temp.path)).toEqual([]);
  });

  it('puts back a different lock that took the name after the judgment, intact', async () => {
    await plantRecord('a.lock', createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() }), 0);
    const judged = (await readLockSnapshot(temp.dir, 'a.lock'))!;
    // Meanwhile another process removed the dead lock and created its own.
    await temp.dir.unlink('a.lock');
    const fresh = await acquireFileLock(temp.dir, 'a.lock');
    const before = await lstat(join(temp.path, 'a.lock'));
    expect(await removeIfStillStale(temp.dir, 'a.lock', judged, judgeHere)).toBe('kept');
    const after = await lstat(join(temp.path, 'a.lock'));
    expect(after.ino).toBe(before.ino);
    expect((await recordOnDisk('a.lock'))?.token).toBe(fresh.token);
    expect((await readdir(temp.path)).sort()).toEqual(['a.lock']);
    await fresh.release();
  });

  it('puts back the judged file if it is no longer stale (a slow creator finished writing)', async () => {
    await plantRecord('a.lock', '', 10_000);
    const judged = (await readLockSnapshot(temp.dir, 'a.lock'))!;
    const now = new Date();
    await utimes(join(temp.path, 'a.lock'), now, now);
    expect(await removeIfStillStale(temp.dir, 'a.lock', judged, judgeHere)).toBe('kept');
    expect(readFileSync(join(temp.path, 'a.lock'), 'utf8')).toBe('');
    expect(await readdir(temp.path)).toEqual(['a.lock']);
  });

  it('reports "gone" when the name is already empty', async () => {
    await plantRecord('a.lock', '', 10_000);
    const judged = (await readLockSnapshot(temp.dir, 'a.lock'))!;
    await temp.dir.unlink('a.lock');
    expect(await removeIfStillStale(temp.dir, 'a.lock', judged, judgeHere)).toBe('gone');
  });
});

describe('acquire: a takeover is followed by an immediate retry', () => {
  it('takes a dead holder\'s lock even when the deadline has already passed', async () => {
    const identity = await currentProcessIdentity();
    const record = createOwnerRecord(newToken(), { ...identity, pid: await deadPid() });
    await writeFile(join(temp.path, 'dead.lock'), serializeOwnerRecord(record), { mode: 0o600 });
    const lock = await acquireFileLock(temp.dir, 'dead.lock', { timeoutMs: Number.MIN_VALUE });
    expect(parseOwnerRecord(await readFile(join(temp.path, 'dead.lock')))?.token).toBe(lock.token);
    await lock.release();
  });
});

describe('removeIfStillStale: a file judged stale by observation alone (mtime in the future)', () => {
  it('is removed when unchanged since the judgment, although the move aside changed its ctime', async () => {
    const path = await plant('a.lock', createOwnerRecord(newToken(), { pid: 4242, host: 'skewed.invalid' }), -3_600_000);
    const judged = (await readLockSnapshot(temp.dir, 'a.lock'))!;
    expect(await removeIfStillStale(temp.dir, 'a.lock', judged, judgeHere)).toBe('removed');
    await expect(lstat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('is put back if it was beaten (a new mtime) after the judgment', async () => {
    const path = await plant('a.lock', createOwnerRecord(newToken(), { pid: 4242, host: 'skewed.invalid' }), -3_600_000);
    const judged = (await readLockSnapshot(temp.dir, 'a.lock'))!;
    const beat = new Date(Date.now() + 3_601_000);
    await utimes(path, beat, beat);
    expect(await removeIfStillStale(temp.dir, 'a.lock', judged, judgeHere)).toBe('kept');
    expect(await readdir(temp.path)).toEqual(['a.lock']);
  });
});
