import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { lstat, mkdir, readdir, rmdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDir } from '../../src/dir/safe-dir.js';
import { isHardfsError } from '../../src/errors.js';
import { heldLockCount } from '../../src/locks/held-locks.js';
import { readLockSnapshot } from '../../src/locks/lock-inspection.js';
import { createOwnerRecord, newToken, serializeOwnerRecord, type OwnerRecord } from '../../src/locks/owner-record.js';
import {
  currentProcessIdentity,
  parseProcStat,
  processLiveness,
  type ProcessIdentity,
} from '../../src/locks/process-identity.js';
import { isReservedLockName, removeIfStillStale, takeOverStaleLock } from '../../src/locks/stale-takeover.js';
import { caught } from '../support/tmp.js';
import { deadPid, makeTempDir, sleep, type TempDir } from './support.js';

const linux = process.platform === 'linux';
const GUARD = '.hardfs-takeover';
const judgeHere = { localHost: hostname(), staleMs: 60_000, graceMs: 2_000 };

function procStatStartOfSelf(): string | undefined {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/)[19];
}

// Must run before anything else in this file asks for the identity: it is computed once.
describe('currentProcessIdentity (first use in this module)', () => {
  it('records pid, host name and, on Linux, the start time read from /proc', async () => {
    const identity = await currentProcessIdentity();
    expect(identity).toEqual(
      linux ? { pid: process.pid, host: hostname(), start: procStatStartOfSelf() } : { pid: process.pid, host: hostname() },
    );
    if (linux) expect(identity.start).toMatch(/^\d+$/);
  });
});

describe('parseProcStat: field counting and validation', () => {
  // fields 4..21 (18 of them) between state (3) and starttime (22)
  const middle = Array.from({ length: 18 }, (_, i) => String(i + 100));

  it('refuses text without a closing parenthesis even if it has enough numeric fields', () => {
    expect(parseProcStat(`4242 S ${middle.join(' ')} 777 1 2`)).toBeUndefined();
    expect(parseProcStat(`S ${middle.join(' ')} 777 1 2`)).toBeUndefined();
  });

  it('parses a line whose only parenthesis is its first character', () => {
    expect(parseProcStat(`) S ${middle.join(' ')} 777 1 2`)).toEqual({ state: 'S', start: '777' });
  });

  it('treats runs of whitespace as one separator', () => {
    expect(parseProcStat(`1 (a  b)  R   ${middle.join('  ')} \t 31337  5 6\n`)).toEqual({ state: 'R', start: '31337' });
  });

  it('refuses a start field that is not all digits', () => {
    for (const bad of ['12x', 'x12', '1-2']) {
      expect(parseProcStat(`1 (c) S ${middle.join(' ')} ${bad} 9 9`)).toBeUndefined();
    }
  });
});

describe('processLiveness: inputs that need no kernel answer, and a missing start stamp', () => {
  it('says alive for a live pid when no start time was recorded', async () => {
    expect(await processLiveness(process.pid, undefined)).toBe('alive');
  });

  it('says dead for pids that are not positive safe integers, without asking the kernel', async () => {
    // process.kill(1.5, 0) would throw a TypeError (ERR_INVALID_ARG_TYPE), not a liveness answer.
    expect(await processLiveness(1.5, undefined)).toBe('dead');
    expect(await processLiveness(Number.NaN, undefined)).toBe('dead');
    expect(await processLiveness(2 ** 53, undefined)).toBe('dead');
  });
});

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

async function plant(name: string, record: OwnerRecord, ageMs: number): Promise<void> {
  const path = join(temp.path, name);
  await writeFile(path, serializeOwnerRecord(record), { mode: 0o600 });
  const when = new Date(Date.now() - ageMs);
  await utimes(path, when, when);
}


async function exists(name: string): Promise<boolean> {
  return lstat(join(temp.path, name)).then(
    () => true,
    () => false,
  );
}

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
