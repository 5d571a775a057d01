import { readFileSync } from 'node:fs';
import { lstat, readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HardfsError, isHardfsError } from '../../src/errors.js';
import { acquireFileLockWithSeams } from '../../src/locks/file-lock.js';
import { heldLockCount } from '../../src/locks/held-locks.js';
import { acquireFileLock, withFileLock } from '../../src/locks/index.js';
import { readLockSnapshot } from '../../src/locks/lock-inspection.js';
import { createOwnerRecord, newToken, parseOwnerRecord, serializeOwnerRecord, type OwnerRecord } from '../../src/locks/owner-record.js';
import { currentProcessIdentity } from '../../src/locks/process-identity.js';
import { removeIfStillStale } from '../../src/locks/stale-takeover.js';
import { deadPid, isPending, makeTempDir, sleep, type TempDir } from './support.js';

let temp: TempDir;
beforeEach(async () => {
  temp = await makeTempDir();
});
afterEach(async () => {
  await temp.cleanup();
});

const judgeHere = { localHost: hostname(), staleMs: 60_000, graceMs: 2_000 };

async function plantRecord(name: string, record: OwnerRecord | string, ageMs: number): Promise<void> {
  const path = join(temp.path, name);
  await writeFile(path, typeof record === 'string' ? record : serializeOwnerRecord(record), { mode: 0o600 });
  const when = new Date(Date.now() - ageMs);
  await utimes(path, when, when);
}


async function recordOnDisk(name: string): Promise<OwnerRecord | undefined> {
  return parseOwnerRecord(await readFile(join(temp.path, name)));
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<HardfsError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isHardfsError(error)).toBe(true);
  expect((error as HardfsError).code).toBe(code);
  return error as HardfsError;
}

describe('acquireFileLock: basics', () => {
  it('creates a 0o600 lock file holding the owner record, and removes it on release', async () => {
    const lock = await acquireFileLock(temp.dir, 'a.lock');
    const stats = await lstat(join(temp.path, 'a.lock'));
    expect(stats.isFile()).toBe(true);
    expect(stats.mode & 0o7777).toBe(0o600);
    const record = await recordOnDisk('a.lock');
    const identity = await currentProcessIdentity();
    expect(record).toMatchObject({ v: 1, token: lock.token, pid: process.pid, host: hostname() });
    expect(record?.start).toBe(identity.start);
    expect(Math.abs(Date.now() - record!.time)).toBeLessThan(60_000);
    expect(lock.path).toBe(join(temp.path, 'a.lock'));
    expect(lock.released).toBe(false);
    expect(heldLockCount()).toBeGreaterThan(0);
    await lock.release();
    expect(lock.released).toBe(true);
    await expect(lstat(join(temp.path, 'a.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    await lock.release(); // second release: no-op
    expect(heldLockCount()).toBe(0);
  });

  it('makes a second acquirer wait until the first releases', async () => {
    const first = await acquireFileLock(temp.dir, 'a.lock');
    const second = acquireFileLock(temp.dir, 'a.lock', { timeoutMs: 20_000 });
    await sleep(100);
    expect(await isPending(second)).toBe(true);
    await first.release();
    const lock = await second;
    expect((await recordOnDisk('a.lock'))?.token).toBe(lock.token);
    await lock.release();
  });

  it('serializes concurrent sections within one process too', async () => {
    let inside = 0;
    let maxInside = 0;
    let counter = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withFileLock(temp.dir, 'c.lock', async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          const value = counter;
          await sleep(1);
          counter = value + 1;
          inside -= 1;
        }, { timeoutMs: 20_000 }),
      ),
    );
    expect(counter).toBe(20);
    expect(maxInside).toBe(1);
  });

  it('times out with ELOCKED naming the holder and the lock path', async () => {
    const held = await acquireFileLock(temp.dir, 'a.lock');
    const started = performance.now();
    const error = await expectCode(acquireFileLock(temp.dir, 'a.lock', { timeoutMs: 150 }), 'ELOCKED');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(error.path).toBe(join(temp.path, 'a.lock'));
    expect(error.message).toContain(`pid ${process.pid}`);
    expect(error.message).toContain(JSON.stringify(hostname()));
    expect(error.message).toMatch(/not reentrant/);
    await held.release();
  });

  it('stops waiting when the signal aborts, with its reason, leaving the holder alone', async () => {
    const held = await acquireFileLock(temp.dir, 'a.lock');
    const reason = new Error('give up');
    await expect(acquireFileLock(temp.dir, 'a.lock', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const controller = new AbortController();
    const waiting = acquireFileLock(temp.dir, 'a.lock', { timeoutMs: 20_000, signal: controller.signal });
    await sleep(30);
    controller.abort();
    const error = await waiting.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as Error).name).toBe('AbortError');
    expect((await recordOnDisk('a.lock'))?.token).toBe(held.token);
    await held.release();
  });

  it('validates its arguments', async () => {
    for (const options of [
      { staleMs: 0 },
      { staleMs: -5 },
      { staleMs: Number.NaN },
      { staleMs: Number.POSITIVE_INFINITY },
      { timeoutMs: 0 },
      { timeoutMs: '100' },
      { signal: {} },
    ]) {
      await expect(acquireFileLock(temp.dir, 'a.lock', options as never)).rejects.toThrow(TypeError);
    }
    await expect(acquireFileLock(temp.dir, 'a.lock', 'fast' as never)).rejects.toThrow(TypeError);
    await expect(acquireFileLock({} as never, 'a.lock')).rejects.toThrow(TypeError);
    await expectCode(acquireFileLock(temp.dir, '../a.lock'), 'EBADNAME');
    await expectCode(acquireFileLock(temp.dir, '.hardfs-takeover'), 'EBADNAME');
    await expectCode(acquireFileLock(temp.dir, `.hardfs-aside-${'ab'.repeat(12)}`), 'EBADNAME');
    await expect(withFileLock(temp.dir, 'a.lock', 'fn' as never)).rejects.toThrow(TypeError);
    expect(await readdir(temp.path)).toEqual([]);
    await (await acquireFileLock(temp.dir, '.hardfs-data.migrate.lock')).release(); // only exact bookkeeping names are reserved
  });
});

describe('acquireFileLock: heartbeat and release by the owner only', () => {
  it('refreshes the lock file mtime while held', async () => {
    const lock = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 200 });
    const old = new Date(Date.now() - 60_000);
    await utimes(join(temp.path, 'a.lock'), old, old);
    await sleep(400); // several heartbeats (every staleMs / 4)
    const { mtimeMs } = await lstat(join(temp.path, 'a.lock'));
    expect(mtimeMs).toBeGreaterThan(old.getTime() + 30_000);
    await lock.release();
  });

  it('refreshes only its own file (futimes), never a file that took its name', async () => {
    const lock = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 200 });
    const stranger = createOwnerRecord(newToken(), { pid: process.pid, host: 'elsewhere' });
    await temp.dir.writeFileAtomic('a.lock', serializeOwnerRecord(stranger), { fsync: false });
    const old = new Date(Date.now() - 60_000);
    await utimes(join(temp.path, 'a.lock'), old, old);
    await sleep(300);
    expect(Math.abs((await lstat(join(temp.path, 'a.lock'))).mtimeMs - old.getTime())).toBeLessThan(1);
    // and release leaves the stranger's record in place, and says the lock was lost
    const error = await expectCode(lock.release(), 'ELOCKED');
    expect(error.message).toMatch(/lost/);
    expect((await recordOnDisk('a.lock'))?.token).toBe(stranger.token);
    await lock.release(); // no-op now
  });

  it('reports a lock whose file vanished while held', async () => {
    const lock = await acquireFileLock(temp.dir, 'a.lock');
    await temp.dir.unlink('a.lock');
    await expectCode(lock.release(), 'ELOCKED');
  });

  it('withFileLock returns the result, releases on throw, and refuses a result obtained without exclusion', async () => {
    await expect(withFileLock(temp.dir, 'a.lock', (lock) => lock.token.length)).resolves.toBe(32);
    await expect(
      withFileLock(temp.dir, 'a.lock', () => {
        throw new Error('inner');
      }),
    ).rejects.toThrow('inner');
    expect(await readdir(temp.path)).toEqual([]);
    await expectCode(
      withFileLock(temp.dir, 'a.lock', async () => {
        await temp.dir.unlink('a.lock'); // as if taken over while we ran
        return 'unsafe result';
      }),
      'ELOCKED',
    );
  });
});

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
