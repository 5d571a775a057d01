import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isHardfsError, type HardfsError } from '../../src/errors.js';
import { abortableSleep } from '../../src/locks/abortable-sleep.js';
import { Backoff } from '../../src/locks/backoff.js';
import { acquireFileLockWithSeams } from '../../src/locks/file-lock.js';
import { heldLockCount } from '../../src/locks/held-locks.js';
import { acquireFileLock, withFileLock } from '../../src/locks/index.js';
import { KeyedMutex } from '../../src/locks/keyed-mutex.js';
import { resolveLockOptions } from '../../src/locks/lock-options.js';
import { createOwnerRecord, newToken, parseOwnerRecord, serializeOwnerRecord } from '../../src/locks/owner-record.js';
import { currentProcessIdentity } from '../../src/locks/process-identity.js';
import { caught } from '../support/tmp.js';
import { isPending, makeTempDir, sleep, type TempDir } from './support.js';

let temp: TempDir;
beforeEach(async () => {
  temp = await makeTempDir();
});
afterEach(async () => {
  await temp.cleanup();
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  await sleep(50); // reaped by now
  return child.pid!;
}

async function mtimeOf(name: string): Promise<number> {
  return (await stat(join(temp.path, name))).mtimeMs;
}

/** Polls until `check` holds; false if it did not within `limitMs`. */
async function eventually(check: () => Promise<boolean>, limitMs = 3_000): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(5);
  }
  return check();
}

function exitHandlers(): Array<(...args: unknown[]) => unknown> {
  return process.listeners('exit').filter((listener) => listener.name === 'releaseAllHeldSync') as Array<(...args: unknown[]) => unknown>;
}

describe('lock options: validation and derived values', () => {
  it('uses the defaults when staleMs and timeoutMs are left out', () => {
    expect(resolveLockOptions(undefined)).toEqual({ staleMs: 10_000, timeoutMs: 10_000, signal: undefined, graceMs: 2_000, heartbeatMs: 2_500 });
    expect(resolveLockOptions({})).toEqual({ staleMs: 10_000, timeoutMs: 10_000, signal: undefined, graceMs: 2_000, heartbeatMs: 2_500 });
  });

  it('beats every staleMs/4 (floored), at least every millisecond', () => {
    expect(resolveLockOptions({ staleMs: 60_000 }).heartbeatMs).toBe(15_000);
    expect(resolveLockOptions({ staleMs: 43 }).heartbeatMs).toBe(10);
    expect(resolveLockOptions({ staleMs: 2 }).heartbeatMs).toBe(1);
  });

  it('names the option and the offending number or type in the refusal', async () => {
    expect((await caught(() => resolveLockOptions({ staleMs: -1 }))).message).toBe(
      'staleMs must be a positive finite number of milliseconds, got -1',
    );
    expect((await caught(() => resolveLockOptions({ staleMs: Infinity }))).message).toBe(
      'staleMs must be a positive finite number of milliseconds, got Infinity',
    );
    expect((await caught(() => resolveLockOptions({ timeoutMs: 0 }))).message).toBe(
      'timeoutMs must be a positive finite number of milliseconds, got 0',
    );
    const wrongType = await caught(() => resolveLockOptions({ timeoutMs: '5' }));
    expect(wrongType).toBeInstanceOf(TypeError);
    expect(wrongType.message).toBe('timeoutMs must be a positive finite number of milliseconds, got string');
    expect((await caught(() => resolveLockOptions({ staleMs: null }))).message).toBe(
      'staleMs must be a positive finite number of milliseconds, got object',
    );
  });

  it('refuses options that are not an object with its own message', async () => {
    for (const options of [null, 5, 'x']) {
      const error = await caught(() => resolveLockOptions(options));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe('lock options must be an object');
    }
  });

  it('refuses a signal that is not an AbortSignal, and accepts a real one', async () => {
    const error = await caught(() => resolveLockOptions({ signal: { aborted: false } }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('signal must be an AbortSignal');
    const signal = new AbortController().signal;
    expect(resolveLockOptions({ signal }).signal).toBe(signal);
  });
});

describe('Backoff: refusals name the option and value; factor 1 is allowed', () => {
  it('states what is wrong with each option', async () => {
    expect((await caught(() => new Backoff({ initialMs: 0 }))).message).toBe('initialMs must be a positive finite number, got 0');
    expect((await caught(() => new Backoff({ initialMs: 5, maxMs: 1 }))).message).toBe(
      'maxMs must be a finite number >= initialMs, got 1',
    );
    expect((await caught(() => new Backoff({ factor: 0.5 }))).message).toBe('factor must be a finite number >= 1, got 0.5');
  });

  it('accepts factor 1: a constant ceiling', () => {
    const backoff = new Backoff({ initialMs: 8, maxMs: 100, factor: 1, random: () => 1 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([8, 8, 8]);
  });
});

describe('KeyedMutex: a non-function task', () => {
  it('is refused with its own TypeError before anything runs', async () => {
    const mutex = new KeyedMutex();
    const error = await caught(mutex.runExclusive('k', 42 as unknown as () => number));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fn must be a function');
    expect(mutex.size).toBe(0);
  });
});

describe('abortableSleep: timer and listener hygiene', () => {
  it('waits for a positive delay rather than resolving at once', async () => {
    const controller = new AbortController();
    const slept = abortableSleep(10_000, controller.signal);
    expect(await isPending(slept)).toBe(true);
    controller.abort(new Error('done'));
    await expect(slept).rejects.toThrow('done');
  });

  it('removes its abort listener once the delay has passed', async () => {
    const signal = new AbortController().signal;
    await abortableSleep(1, signal);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('leaves no abort listener behind after an abort', async () => {
    const controller = new AbortController();
    const slept = abortableSleep(10_000, controller.signal);
    const reason = new Error('stop');
    controller.abort(reason);
    expect(await caught(slept)).toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('held locks: the exit handler', () => {
  it('is installed once, on the first lock, however many locks are taken', async () => {
    const first = await acquireFileLock(temp.dir, 'one.lock');
    const second = await acquireFileLock(temp.dir, 'two.lock');
    expect(exitHandlers()).toHaveLength(1);
    await first.release();
    await second.release();
    expect(exitHandlers()).toHaveLength(1);
  });

  it('removes the files of the locks still held, and their release then reports them lost', async () => {
    const before = heldLockCount();
    const lock = await acquireFileLock(temp.dir, 'held.lock');
    expect(heldLockCount()).toBe(before + 1);
    const [handler] = exitHandlers();
    handler!(0);
    await expect(stat(join(temp.path, 'held.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(heldLockCount()).toBe(0);
    const error = (await caught(lock.release())) as HardfsError;
    expect(isHardfsError(error, 'ELOCKED')).toBe(true);
    expect(error.message).toBe(
      `ELOCKED: lock was lost while held (the lock file was removed while held; was it judged abandoned?): ${join(temp.path, 'held.lock')}`,
    );
    expect(error.path).toBe(join(temp.path, 'held.lock'));
  });
});

describe('release of a lost lock: which loss the message names', () => {
  it('a removed lock file', async () => {
    const lock = await acquireFileLock(temp.dir, 'gone.lock');
    await rm(join(temp.path, 'gone.lock'));
    const error = (await caught(lock.release())) as HardfsError;
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain('(the lock file was removed while held;');
    expect(error.path).toBe(lock.path);
  });

  it('another owner\'s file at the name', async () => {
    const lock = await acquireFileLock(temp.dir, 'swap.lock');
    await rm(join(temp.path, 'swap.lock'));
    await writeFile(join(temp.path, 'swap.lock'), 'someone else');
    const error = (await caught(lock.release())) as HardfsError;
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toBe(
      `ELOCKED: lock was lost while held (the lock file holds another owner's record; was it judged abandoned?): ${lock.path}`,
    );
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
    expect(error.message).toBe('dir must be a SafeDir (see openDir)');
  });

  it('calls a bad name a lock name', async () => {
    const error = (await caught(acquireFileLock(temp.dir, 'a/b'))) as HardfsError;
    expect(error.code).toBe('EBADNAME');
    expect(error.message).toBe('EBADNAME: lock name must be a single path component: a/b');
  });

  it('refuses the takeover bookkeeping names', async () => {
    const error = (await caught(acquireFileLock(temp.dir, '.hardfs-takeover'))) as HardfsError;
    expect(error.code).toBe('EBADNAME');
    expect(error.message).toBe('EBADNAME: this name is reserved for lock takeover bookkeeping: .hardfs-takeover');
    expect(error.path).toBe('.hardfs-takeover');
  });

  it('withFileLock refuses a non-function with its own TypeError', async () => {
    const error = await caught(withFileLock(temp.dir, 'a.lock', 5 as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fn must be a function');
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
    expect(self.message).toContain(`held by pid ${process.pid} on host ${JSON.stringify(hostname())}`);
    expect(self.message).toContain(' — this very process: file locks are not reentrant');
    expect(self.message).not.toContain('judged abandoned');

    // Same pid, another host (through the seam): not this process.
    const otherHost = (await caught(
      acquireFileLockWithSeams(temp.dir, 'self.lock', { timeoutMs: 30 }, { host: 'elsewhere' }),
    )) as HardfsError;
    expect(otherHost.code).toBe('ELOCKED');
    expect(otherHost.message).toContain(`held by pid ${process.pid} on host ${JSON.stringify(hostname())}`);
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
    expect(error.message).toContain(`held by pid ${process.ppid} on host ${JSON.stringify(identity.host)}`);
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
