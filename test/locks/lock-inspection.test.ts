// Lock inspection: what is at a lock name (read through one descriptor, foreign objects refused
// as typed errors even when swapped in mid-read) and how a holder is judged — by pid on its own
// host, otherwise by age, and by age whenever the record cannot be judged by its pid (an
// impossible pid, garbage, non-object JSON, missing fields, another host, a future `time` or
// mtime), never with an untyped throw, and a future mtime never blocks acquirers forever.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { lstat, readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDir } from '../../src/index.js';
import { isHardfsError } from '../../src/errors.js';
import { acquireFileLockWithSeams } from '../../src/locks/file-lock.js';
import { acquireFileLock } from '../../src/locks/index.js';
import { inspectLock, judgeSnapshot, readLockSnapshot, sameLockFile, type LockSnapshot } from '../../src/locks/lock-inspection.js';
import { MAX_RECORD_BYTES, createOwnerRecord, parseOwnerRecord, serializeOwnerRecord } from '../../src/locks/owner-record.js';
import { MAX_PID } from '../../src/locks/pid-range.js';
import { PoolGates, nextTurn, threadPoolSize } from '../support/pool-gates.js';
import { caught, useTempDirs } from '../support/tmp.js';
import { Child, makeTempDir, type TempDir } from './support.js';

const tempDir = useTempDirs();
const recordText = (token: string = TOKEN, host = 'elsewhere'): string =>
  serializeOwnerRecord(createOwnerRecord(token, { pid: 4242, host }, 1_000));
const context = { localHost: 'here', staleMs: 10_000, graceMs: 2_000 };

let temp: TempDir;

const children: Child[] = [];

beforeEach(async () => {
  temp = await makeTempDir();
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill();
    await child.exited;
  }
  await temp.cleanup();
});

const HOUR = 3_600_000;

const TOKEN = 'ab'.repeat(16);

/** Writes `text` at `name` and sets its mtime `offsetMs` from now (negative: in the past). */
async function plant(name: string, text: string, offsetMs: number): Promise<string> {
  const path = join(temp.path, name);
  await writeFile(path, text, { mode: 0o600 });
  const when = new Date(Date.now() + offsetMs);
  await utimes(path, when, when);
  return path;
}

function record(fields: Record<string, unknown>): string {
  return JSON.stringify({ v: 1, token: TOKEN, pid: 4242, host: hostname(), time: Date.now(), ...fields });
}

async function tokenAt(name: string): Promise<string | undefined> {
  return parseOwnerRecord(await readFile(join(temp.path, name)))?.token;
}

async function listen(path: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return server;
}

describe('readLockSnapshot: what is at the lock name', () => {
  it('returns undefined for an absent name, and inspectLock calls it absent', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    expect(await readLockSnapshot(dir, 'none.lock')).toBeUndefined();
    expect(await inspectLock(dir, 'none.lock', context)).toEqual({ state: 'absent' });
    await dir.close();
  });

  it('throws, rather than calling the lock absent, when the name cannot be looked up', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    const error = await caught(readLockSnapshot(dir, '../escape.lock'));
    expect(error.code).not.toBe('ENOENT');
    expect(error.code).toBeDefined();
    await dir.close();
  });

  it('refuses a symlink with ESYMLINK and says it is neither followed nor removed', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'target'), recordText());
    symlinkSync(join(base, 'target'), join(base, 'link.lock'));
    const dir = await openDir(base);
    const error = await caught(readLockSnapshot(dir, 'link.lock'));
    expect(error.code).toBe('ESYMLINK');
    expect(error.message).toContain('a symlink occupies the lock name');
    expect(error.message).toContain('neither followed nor removed');
    expect(error.path).toBe(join(base, 'link.lock'));
    await dir.close();
  });

  it('refuses a directory at once (from the lstat, with no cause) and names it', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'dir.lock'));
    const dir = await openDir(base);
    const error = await caught(readLockSnapshot(dir, 'dir.lock'));
    expect(error.code).toBe('EINSECURE');
    expect(error.message).toContain('a directory occupies the lock name');
    expect(error.path).toBe(join(base, 'dir.lock'));
    expect(error.cause).toBeUndefined();
    await dir.close();
  });

  it('names a FIFO, a socket and a device node as what they are', async () => {
    const base = await tempDir();
    execFileSync('mkfifo', [join(base, 'fifo.lock')]);
    const server = await listen(join(base, 'sock.lock'));
    let device = true;
    try {
      execFileSync('mknod', [join(base, 'dev.lock'), 'c', '1', '3'], { stdio: 'ignore' });
      execFileSync('mknod', [join(base, 'blk.lock'), 'b', '7', '251'], { stdio: 'ignore' });
    } catch {
      device = false; // no CAP_MKNOD here
    }
    const dir = await openDir(base);
    try {
      const expected: [string, string][] = [
        ['fifo.lock', 'a FIFO occupies the lock name'],
        ['sock.lock', 'a socket occupies the lock name'],
      ];
      if (device) expected.push(['dev.lock', 'a device node occupies the lock name'], ['blk.lock', 'a device node occupies the lock name']);
      for (const [name, prefix] of expected) {
        const error = await caught(readLockSnapshot(dir, name));
        expect(error.code).toBe('EINSECURE');
        expect(error.path).toBe(join(base, name));
        expect(error.message).toContain(prefix);
        expect(error.message).toContain('neither opened nor removed');
      }
    } finally {
      await dir.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads a record of exactly MAX_RECORD_BYTES bytes whole, and one byte more as unreadable', async () => {
    const base = await tempDir();
    const text = recordText().trimEnd();
    const exact = ' '.repeat(MAX_RECORD_BYTES - text.length) + text; // the closing brace is the last byte
    expect(Buffer.byteLength(exact)).toBe(MAX_RECORD_BYTES);
    writeFileSync(join(base, 'exact.lock'), exact);
    writeFileSync(join(base, 'over.lock'), ` ${exact}`);
    const dir = await openDir(base);
    expect((await readLockSnapshot(dir, 'exact.lock'))?.record?.token).toBe(TOKEN);
    const over = await readLockSnapshot(dir, 'over.lock');
    expect(over).toBeDefined();
    expect(over?.record).toBeUndefined();
    await dir.close();
  });

  it.runIf(process.platform === 'linux')('closes the descriptor it reads through', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'job.lock'), recordText());
    const dir = await openDir(base);
    const before = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 30; i += 1) await readLockSnapshot(dir, 'job.lock');
    const after = readdirSync('/proc/self/fd').length;
    expect(after - before).toBeLessThan(10);
    await dir.close();
  });
});

/** Runs readLockSnapshot on a regular file at job.lock, calling `swap` once its lstat has passed and its open() waits. */
async function readWhileSwapped(swap: (path: string, base: string) => void): Promise<{ result: Promise<LockSnapshot | undefined>; base: string }> {
  const base = await tempDir();
  const gates = new PoolGates(await tempDir());
  writeFileSync(join(base, 'job.lock'), recordText());
  const dir = await openDir(base);
  try {
    gates.add(threadPoolSize());
    const result = readLockSnapshot(dir, 'job.lock');
    void result.catch(() => undefined);
    await nextTurn(); // the inline lstat is done; the open() is queued behind the gates
    swap(join(base, 'job.lock'), base);
    await gates.releaseAll();
    await result.catch(() => undefined);
    return { result, base };
  } finally {
    await gates.releaseAll();
    await dir.close();
  }
}

/**
 * As readWhileSwapped, with a FIFO swapped in before the open; the open (O_NONBLOCK) succeeds,
 * and its fstat is held on the pool while `after` changes the name again — so the refusal of the
 * FIFO is followed by a second lstat that finds what `after` left.
 */
async function readFifoThenSwapped(after: (path: string) => void): Promise<{ error: Error & { code?: string; path?: string }; base: string }> {
  const base = await tempDir();
  const gates = new PoolGates(await tempDir());
  const path = join(base, 'job.lock');
  writeFileSync(path, recordText());
  const dir = await openDir(base);
  try {
    const [first] = gates.add(threadPoolSize()); // every thread held
    const result = readLockSnapshot(dir, 'job.lock');
    void result.catch(() => undefined);
    await nextTurn(); // the inline lstat saw a regular file; the open() is queued
    unlinkSync(path);
    execFileSync('mkfifo', [path]);
    const marker = lstat(base); // queued after the open
    gates.add(1); // and a gate to hold the thread that runs both
    gates.release(first as number); // one thread runs the open, then the marker, then blocks
    await marker; // the open has returned; the fstat after it waits for the pool
    after(path);
    await gates.releaseAll();
    return { error: await caught(result), base };
  } finally {
    await gates.releaseAll();
    await dir.close();
  }
}

describe('readLockSnapshot when the name changes between its lstat and its open', () => {
  it('a socket swapped in (open gives ENXIO) is refused as EINSECURE naming the socket, with the native error as cause', async () => {
    let server: Server | undefined;
    const { result, base } = await readWhileSwapped((path) => {
      unlinkSync(path);
      server = createServer().listen(path); // bind(2) runs synchronously inside listen()
    });
    try {
      const error = await caught(result);
      expect(error.code).toBe('EINSECURE');
      expect(error.path).toBe(join(base, 'job.lock'));
      expect(error.message).toContain('a socket occupies the lock name');
      expect(JSON.stringify(error.cause, ['code', 'cause']) + String((error.cause as { cause?: { code?: string } } | undefined)?.cause?.code)).toContain('ENXIO');
    } finally {
      await new Promise((resolve) => server?.close(resolve));
    }
  });

  it('a FIFO refused by the open check is reported as that refusal when a regular file is back at the name', async () => {
    const { error, base } = await readFifoThenSwapped((path) => {
      unlinkSync(path);
      writeFileSync(path, recordText());
    });
    expect(error.code).toBe('EINSECURE');
    expect(error.path).toBe(join(base, 'job.lock'));
    expect(error.message).toContain('not a regular file');
    expect(error.message).not.toContain('occupies');
  });

  it('a FIFO refused by the open check is reported as that refusal when the name is gone', async () => {
    const { error, base } = await readFifoThenSwapped((path) => unlinkSync(path));
    expect(error.code).toBe('EINSECURE');
    expect(error.path).toBe(join(base, 'job.lock'));
    expect(error.message).toContain('not a regular file');
    expect(error.message).not.toContain('occupies');
  });

  it('a lock file removed in between is absent (undefined), not an error', async () => {
    const { result } = await readWhileSwapped((path) => unlinkSync(path));
    expect(await result).toBeUndefined();
  });

  it('a symlink swapped in is refused as ESYMLINK from a second lstat, with the open error as cause', async () => {
    const { result, base } = await readWhileSwapped((path, base) => {
      unlinkSync(path);
      symlinkSync(join(base, 'elsewhere'), path);
    });
    const error = await caught(result);
    expect(error.code).toBe('ESYMLINK');
    expect(error.path).toBe(join(base, 'job.lock'));
    expect(error.message).toContain('a symlink occupies the lock name');
    expect((error.cause as { code?: string } | undefined)?.code).toBe('ESYMLINK');
  });

  it('a FIFO swapped in is refused as EINSECURE naming the FIFO, with the open error as cause', async () => {
    const { result, base } = await readWhileSwapped((path) => {
      unlinkSync(path);
      execFileSync('mkfifo', [path]);
    });
    const error = await caught(result);
    expect(error.code).toBe('EINSECURE');
    expect(error.message).toContain('a FIFO occupies the lock name');
    expect(error.path).toBe(join(base, 'job.lock'));
    expect((error.cause as { code?: string } | undefined)?.code).toBe('EINSECURE');
  });
});

describe('judgeSnapshot: the heartbeat bounds are exclusive', () => {
  let ino = 1_000_000n; // a fresh identity per snapshot: no earlier observation of it (observed-age.ts)
  const snapshot = (record: LockSnapshot['record']): LockSnapshot => {
    ino += 1n;
    const fingerprint = { dev: 1n, ino, size: 1n, mtimeNs: 100_000_000_000n, ctimeNs: 1n, content: '' };
    return { record, dev: 1n, ino, mtimeMs: 100_000, fingerprint };
  };

  it('an unreadable record is held up to graceMs old, and stale ("unreadable") past it', async () => {
    const s = snapshot(undefined);
    expect(await judgeSnapshot(s, context, 100_000 + context.graceMs)).toEqual({ state: 'held', snapshot: s });
    expect(await judgeSnapshot(s, context, 100_000 + context.graceMs + 1)).toEqual({
      state: 'stale',
      snapshot: s,
      reason: 'unreadable',
    });
  });

  it('a record from another host is held up to staleMs old, and stale ("expired") past it', async () => {
    const s = snapshot(createOwnerRecord(TOKEN, { pid: 4242, host: 'elsewhere' }, 1));
    expect(await judgeSnapshot(s, context, 100_000 + context.staleMs)).toEqual({ state: 'held', snapshot: s });
    expect(await judgeSnapshot(s, context, 100_000 + context.staleMs + 1)).toEqual({
      state: 'stale',
      snapshot: s,
      reason: 'expired',
    });
  });
});

describe('sameLockFile: same device, same inode and same token', () => {
  const record = (token: string): LockSnapshot['record'] => createOwnerRecord(token, { pid: 1, host: 'h' }, 1);
  const fingerprint = { dev: 1n, ino: 2n, size: 1n, mtimeNs: 0n, ctimeNs: 0n, content: '' };
  const base: LockSnapshot = { record: record(TOKEN), dev: 1n, ino: 2n, mtimeMs: 0, fingerprint };

  it('is true only when all three agree (two unreadable records agree)', () => {
    expect(sameLockFile(base, { ...base, mtimeMs: 5 })).toBe(true);
    expect(sameLockFile({ ...base, record: undefined }, { ...base, record: undefined })).toBe(true);
    expect(sameLockFile(base, { ...base, dev: 9n })).toBe(false);
    expect(sameLockFile(base, { ...base, ino: 9n })).toBe(false);
    expect(sameLockFile(base, { ...base, record: record('cd'.repeat(16)) })).toBe(false);
    expect(sameLockFile(base, { ...base, record: undefined })).toBe(false);
  });
});

describe('an impossible pid on this host', () => {
  it('one hour old: the lock is taken over by age (no TypeError)', async () => {
    await plant('a.lock', record({ pid: 2147483648, time: 0 }), -HOUR);
    const lock = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 10_000, timeoutMs: 5_000 });
    expect(await tokenAt('a.lock')).toBe(lock.token);
    await lock.release();
    expect(await readdir(temp.path)).toEqual([]);
  });

  it('fresh: held until staleMs, and the wait ends in a typed ELOCKED naming the path', async () => {
    await plant('a.lock', record({ pid: 2147483648 }), 0);
    const error = await caught(acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 100 }));
    expect(isHardfsError(error, 'ELOCKED')).toBe(true);
    expect(error.path).toBe(join(temp.path, 'a.lock'));
    expect(error.message).toContain('pid 2147483648');
    expect(await tokenAt('a.lock')).toBe(TOKEN);
  });

  it('a pid above the platform range but within a 32-bit pid_t is judged by age too, not called dead', async () => {
    await plant('a.lock', record({ pid: MAX_PID + 1 }), 0);
    const error = await caught(acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 100 }));
    expect(isHardfsError(error, 'ELOCKED')).toBe(true);
    await plant('a.lock', record({ pid: MAX_PID + 1 }), -HOUR);
    await (await acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 5_000 })).release();
  });
});

describe('records with no pid to ask about', () => {
  const unreadable: [string, string][] = [
    ['garbage', 'not json at all \u0000\u00ff'],
    ['non-object JSON', '[1,2,3]'],
    ['a JSON string', '"a lock"'],
    ['missing fields', JSON.stringify({ v: 1, token: TOKEN })],
    ['an ill-typed pid', record({ pid: '4242' })],
  ];

  it.each(unreadable)('%s: held while young, taken over once older than the grace period', async (_what, text) => {
    await plant('a.lock', text, 0);
    const error = await caught(acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 100 }));
    expect(isHardfsError(error, 'ELOCKED')).toBe(true);
    expect(error.message).toContain('unreadable or incomplete lock record');
    await plant('a.lock', text, -HOUR);
    const lock = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 5_000 });
    expect(await tokenAt('a.lock')).toBe(lock.token);
    await lock.release();
  });

  it('a `time` far in the future changes nothing: an old mtime is stale, a fresh one held', async () => {
    const future = record({ host: 'other.invalid', time: Date.now() + 100 * 365 * 24 * HOUR });
    await plant('a.lock', future, 0);
    expect(isHardfsError(await caught(acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 100 })), 'ELOCKED')).toBe(true);
    await plant('a.lock', future, -HOUR);
    await (await acquireFileLock(temp.dir, 'a.lock', { staleMs: 60_000, timeoutMs: 5_000 })).release();
  });
});

describe('an mtime in the future (clock skew, a planted timestamp)', () => {
  it('another host, mtime a year ahead, nobody beating: taken over after staleMs of observation', async () => {
    await plant('a.lock', record({ host: 'skewed.invalid' }), 365 * 24 * HOUR);
    const started = performance.now();
    const lock = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 300, timeoutMs: 10_000 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await tokenAt('a.lock')).toBe(lock.token);
    await lock.release();
    expect(await readdir(temp.path)).toEqual([]);
  });

  it('an impossible pid on this host with a future mtime: the same', async () => {
    await plant('a.lock', record({ pid: 2147483648 }), HOUR);
    const lock = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 300, timeoutMs: 10_000 });
    expect(await tokenAt('a.lock')).toBe(lock.token);
    await lock.release();
  });

  it('garbage with a future mtime: taken over after the grace period of observation', async () => {
    await plant('a.lock', 'garbage', HOUR);
    const lock = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 300, timeoutMs: 10_000 });
    expect(await tokenAt('a.lock')).toBe(lock.token);
    await lock.release();
  });

  it('successive acquirers with timeouts shorter than staleMs add up their observations', async () => {
    await plant('a.lock', record({ host: 'skewed.invalid' }), HOUR);
    let outcome: unknown;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      outcome = await acquireFileLock(temp.dir, 'a.lock', { staleMs: 400, timeoutMs: 100 }).catch((error: unknown) => error);
      if (!isHardfsError(outcome)) break;
      expect(isHardfsError(outcome, 'ELOCKED')).toBe(true);
    }
    expect(isHardfsError(outcome)).toBe(false);
    await (outcome as { release(): Promise<void> }).release();
  });

  it(
    'a live holder (a real child process) whose mtime is pushed a year ahead keeps its lock: every beat resets the observation',
    async () => {
      const child = new Child('lock-holder.mjs', [JSON.stringify({ dir: temp.path, name: 'a.lock', holdMs: -1, staleMs: 800, timeoutMs: 5_000 })]);
      children.push(child);
      await child.waitForLine('acquired');
      const path = join(temp.path, 'a.lock');
      const holderToken = await tokenAt('a.lock');
      const ahead = new Date(Date.now() + 365 * 24 * HOUR);
      await utimes(path, ahead, ahead);
      // Seen from another host, so that only the heartbeat can tell: no pid check helps the holder.
      const error = await caught(
        acquireFileLockWithSeams(temp.dir, 'a.lock', { staleMs: 800, timeoutMs: 2_500 }, { host: 'elsewhere.invalid' }),
      );
      expect(isHardfsError(error, 'ELOCKED')).toBe(true);
      expect(error.message).not.toContain('judged abandoned');
      expect(await tokenAt('a.lock')).toBe(holderToken);
      expect(child.process.exitCode).toBeNull();
      expect((await lstat(path)).mtimeMs).toBeLessThan(ahead.getTime()); // its beats wrote "now" again
    },
    20_000,
  );
});

describe('judgeSnapshot: the observed age', () => {
  it('judgeSnapshot uses the larger of the mtime age and the observed age', async () => {
    const path = await plant('a.lock', record({ host: 'other.invalid' }), HOUR);
    const context = { localHost: hostname(), staleMs: 200, graceMs: 200 };
    const first = (await readLockSnapshot(temp.dir, 'a.lock'))!;
    expect((await judgeSnapshot(first, context)).state).toBe('held');
    await new Promise((resolve) => setTimeout(resolve, 250));
    const second = (await readLockSnapshot(temp.dir, 'a.lock'))!;
    expect(await judgeSnapshot(second, context)).toMatchObject({ state: 'stale', reason: 'expired' });
    // A beat (a new mtime) makes it young again.
    const ahead = new Date(Date.now() + 2 * HOUR);
    await utimes(path, ahead, ahead);
    expect((await judgeSnapshot((await readLockSnapshot(temp.dir, 'a.lock'))!, context)).state).toBe('held');
  });
});
