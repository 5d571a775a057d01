// Taking, holding and releasing a file lock: the owner record, waiting and the timeout
// (ELOCKED: not acquired), abort, argument refusals, the heartbeat through the held descriptor,
// and release by the owner only (ELOCKLOST when the lock was removed or taken over while held).
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { lstat, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HardfsError, isHardfsError } from '../../src/errors.js';
import { openDir } from '../../src/index.js';
import { acquireFileLockWithSeams } from '../../src/locks/file-lock.js';
import { heldLockCount } from '../../src/locks/held-locks.js';
import { acquireFileLock, withFileLock } from '../../src/locks/index.js';
import { createOwnerRecord, newToken, parseOwnerRecord, serializeOwnerRecord, type OwnerRecord } from '../../src/locks/owner-record.js';
import { currentProcessIdentity } from '../../src/locks/process-identity.js';
import { caught, useTempDirs } from '../support/tmp.js';
import { eventually, isPending, makeTempDir, recordOnDisk as recordIn, sleep, type TempDir } from './support.js';

let temp: TempDir;
beforeEach(async () => {
  temp = await makeTempDir();
});
afterEach(async () => {
  await temp.cleanup();
});

const recordOnDisk = (name: string): Promise<OwnerRecord | undefined> => recordIn(temp.path, name);

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
    expect(error.message).toContain('on this host');
    expect(error.message).not.toContain(JSON.stringify(hostname()));
    expect(error.message).toMatch(/not reentrant/);
    await held.release();
  });

  it('a secret planted as the host (or any field) of a lock file never reaches the ELOCKED message', async () => {
    const record = { v: 1, token: 'cd'.repeat(16), pid: process.ppid, host: 'sk-SECRET-host "quoted"', time: Date.now(), extra: 'sk-SECRET-extra' };
    await writeFile(join(temp.path, 'planted.lock'), JSON.stringify(record), { mode: 0o600 });
    const error = await expectCode(acquireFileLock(temp.dir, 'planted.lock', { timeoutMs: 30 }), 'ELOCKED');
    expect(error.message).toContain(`held by pid ${process.ppid} on another host`);
    expect(error.message).not.toContain('SECRET');
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
    const error = await expectCode(lock.release(), 'ELOCKLOST');
    expect(error.message).toContain('lost while held');
    expect(error.path).toBe(join(temp.path, 'a.lock'));
    expect((await recordOnDisk('a.lock'))?.token).toBe(stranger.token);
    await lock.release(); // no-op now
  });

  it('reports a lock whose file vanished while held', async () => {
    const lock = await acquireFileLock(temp.dir, 'a.lock');
    await temp.dir.unlink('a.lock');
    await expectCode(lock.release(), 'ELOCKLOST');
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
      'ELOCKLOST',
    );
  });
});

async function mtimeOf(name: string): Promise<number> {
  return (await stat(join(temp.path, name))).mtimeMs;
}

describe('release of a lost lock: which loss the message names', () => {
  it('a removed lock file', async () => {
    const lock = await acquireFileLock(temp.dir, 'gone.lock');
    await rm(join(temp.path, 'gone.lock'));
    const error = (await caught(lock.release())) as HardfsError;
    expect(error.code).toBe('ELOCKLOST');
    expect(error.message).toContain('the lock file was removed while held');
    expect(error.path).toBe(lock.path);
  });

  it('another owner\'s file at the name', async () => {
    const lock = await acquireFileLock(temp.dir, 'swap.lock');
    await rm(join(temp.path, 'swap.lock'));
    await writeFile(join(temp.path, 'swap.lock'), 'someone else');
    const error = (await caught(lock.release())) as HardfsError;
    expect(error.code).toBe('ELOCKLOST');
    expect(error.message).toContain("the lock file holds another owner's record");
    expect(error.path).toBe(lock.path);
    expect(await readFile(join(temp.path, 'swap.lock'), 'utf8')).toBe('someone else');
  });
});

describe('heartbeat: keeps refreshing the mtime while held', () => {
  it('refreshes it again after an earlier beat has completed', async () => {
    const lock = await acquireFileLock(temp.dir, 'beat.lock', { staleMs: 40 }); // a beat every 10 ms
    const past = new Date(Date.now() - 60_000);
    for (let round = 0; round < 3; round++) {
      await utimes(join(temp.path, 'beat.lock'), past, past);
      expect(await eventually(async () => (await mtimeOf('beat.lock')) > past.getTime() + 30_000)).toBe(true);
    }
    await lock.release();
  });
});

describe('acquire: argument refusals', () => {
  it('refuses a dir that is not a SafeDir with its own TypeError', async () => {
    const error = await caught(acquireFileLock(temp.path as never, 'a.lock'));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('dir must be a SafeDir');
  });

  it('calls a bad name a lock name', async () => {
    const error = (await caught(acquireFileLock(temp.dir, 'a/b'))) as HardfsError;
    expect(error.code).toBe('EBADNAME');
    expect(error.message).toContain('lock name must be a single path component');
  });

  it('refuses the takeover bookkeeping names', async () => {
    const error = (await caught(acquireFileLock(temp.dir, '.hardfs-takeover'))) as HardfsError;
    expect(error.code).toBe('EBADNAME');
    expect(error.message).toContain('reserved for lock takeover bookkeeping');
    expect(error.path).toBe('.hardfs-takeover');
  });

  it('withFileLock refuses a non-function with its own TypeError', async () => {
    const error = await caught(withFileLock(temp.dir, 'a.lock', 5 as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('fn must be a function');
  });

  it('throws a create error other than EEXIST at once (the directory was removed)', async () => {
    await rm(temp.path, { recursive: true });
    const error = await caught(acquireFileLock(temp.dir, 'a.lock', { signal: AbortSignal.timeout(2_000) }));
    expect((error as { code?: string }).code).toBe('ENOENT');
  });
});

describe('acquire: the host seam and the timeout message', () => {
  it('writes the seam host into the record', async () => {
    const lock = await acquireFileLockWithSeams(temp.dir, 'seam.lock', undefined, { host: 'seam-host' });
    const record = parseOwnerRecord(await readFile(join(temp.path, 'seam.lock')));
    expect(record?.host).toBe('seam-host');
    expect(record?.token).toBe(lock.token);
    await lock.release();
  });

  it('says "this very process" only when pid and host are both ours, and never "judged abandoned" for a live holder', async () => {
    const lock = await acquireFileLock(temp.dir, 'self.lock');
    const self = (await caught(acquireFileLock(temp.dir, 'self.lock', { timeoutMs: 30 }))) as HardfsError;
    expect(self.code).toBe('ELOCKED');
    expect(self.message).toContain(`held by pid ${process.pid} on this host`);
    expect(self.message).toContain(' — this very process: file locks are not reentrant');
    expect(self.message).not.toContain('judged abandoned');

    // Same pid, another host (through the seam): not this process.
    const otherHost = (await caught(
      acquireFileLockWithSeams(temp.dir, 'self.lock', { timeoutMs: 30 }, { host: 'elsewhere' }),
    )) as HardfsError;
    expect(otherHost.code).toBe('ELOCKED');
    expect(otherHost.message).toContain(`held by pid ${process.pid} on another host`);
    expect(otherHost.message).not.toContain('this very process');
    await lock.release();
  });

  it('same host, another pid: not this process', async () => {
    const identity = await currentProcessIdentity();
    // The parent process (the test runner) is alive on this host: its record is held.
    const record = createOwnerRecord(newToken(), { pid: process.ppid, host: identity.host });
    await writeFile(join(temp.path, 'parent.lock'), serializeOwnerRecord(record), { mode: 0o600 });
    const error = (await caught(acquireFileLock(temp.dir, 'parent.lock', { timeoutMs: 30 }))) as HardfsError;
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain(`held by pid ${process.ppid} on this host`);
    expect(error.message).not.toContain('this very process');
    expect(error.message).not.toContain('judged abandoned');
  });

  it('describes a young unreadable record instead of failing on it', async () => {
    await writeFile(join(temp.path, 'young.lock'), '', { mode: 0o600 });
    const error = (await caught(acquireFileLock(temp.dir, 'young.lock', { timeoutMs: 30 }))) as HardfsError;
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain('held by an unreadable or incomplete lock record');
  });
});

describe('acquire: the lock file mode is 0o600 narrowed by the umask, not forced', () => {
  it('a umask that removes the owner write bit gives a 0o400 lock file', async () => {
    const previous = process.umask(0o277);
    let lock;
    try {
      lock = await acquireFileLock(temp.dir, 'umask.lock');
    } finally {
      process.umask(previous);
    }
    expect((await stat(join(temp.path, 'umask.lock'))).mode & 0o7777).toBe(0o400);
    await lock.release();
  });
});

describe('release when the lock file is no longer ours', () => {
  const tempDir = useTempDirs();

  it.each(['symlink', 'fifo', 'other owner', 'gone'] as const)('lock replaced by a %s: release reports ELOCKLOST or nothing, and removes nothing of anyone else', async (kind) => {
    const base = await tempDir();
    const outside = await tempDir();
    writeFileSync(join(outside, 'target'), 'outside');
    const dir = await openDir(base);
    const lock = await acquireFileLock(dir, 'job.lock', { staleMs: 60_000, timeoutMs: 1000 });
    const path = join(base, 'job.lock');
    renameSync(path, join(base, 'moved'));
    if (kind === 'symlink') symlinkSync(join(outside, 'target'), path);
    if (kind === 'fifo') execFileSync('mkfifo', [path]);
    if (kind === 'other owner') writeFileSync(path, JSON.stringify({ token: 'someone-else', pid: 1, host: 'h', time: Date.now() }));
    if (kind === 'gone') unlinkSync(join(base, 'moved'));
    const outcome = await lock.release().then(() => 'released', (error: unknown) => error);
    if (kind === 'gone') {
      expect(outcome === 'released' || (outcome instanceof HardfsError && outcome.code === 'ELOCKLOST')).toBe(true);
    } else {
      expect(outcome).toBeInstanceOf(HardfsError);
      expect((outcome as HardfsError).code).toBe('ELOCKLOST');
      // whatever took the name is still there, untouched
      expect(readFileSync(join(outside, 'target'), 'utf8')).toBe('outside');
      expect(lstatSync(path)).toBeTruthy();
    }
    await lock.release(); // a second release is a no-op
    await dir.close();
  });
});
