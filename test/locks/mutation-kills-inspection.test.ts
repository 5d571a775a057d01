// Pins the behaviour of lock inspection (reading a lock file and judging its holder), ownership
// checks before removal, and the owner record parser, on real files in temp directories.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { lstat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir } from '../../src/index.js';
import {
  inspectLock,
  judgeSnapshot,
  readLockSnapshot,
  sameLockFile,
  type LockSnapshot,
} from '../../src/locks/lock-inspection.js';
import { removeIfOwned, removeIfOwnedSync, removeIfSameFile } from '../../src/locks/owned-removal.js';
import {
  MAX_RECORD_BYTES,
  createOwnerRecord,
  describeOwner,
  newToken,
  parseOwnerRecord,
  serializeOwnerRecord,
} from '../../src/locks/owner-record.js';
import { PoolGates, nextTurn, threadPoolSize } from '../support/pool-gates.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();
const TOKEN = 'ab'.repeat(16);
const recordText = (token: string = TOKEN, host = 'elsewhere'): string =>
  serializeOwnerRecord(createOwnerRecord(token, { pid: 4242, host }, 1_000));
const context = { localHost: 'here', staleMs: 10_000, graceMs: 2_000 };

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
    expect(error.message).toContain('a symlink occupies the lock name; it is neither followed nor removed');
    expect(error.path).toBe(join(base, 'link.lock'));
    await dir.close();
  });

  it('refuses a directory at once (from the lstat, with no cause) and names it', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'dir.lock'));
    const dir = await openDir(base);
    const error = await caught(readLockSnapshot(dir, 'dir.lock'));
    expect(error.code).toBe('EINSECURE');
    expect(error.message).toMatch(/^EINSECURE: a directory occupies the lock name/);
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
    } catch {
      device = false; // no CAP_MKNOD here
    }
    const dir = await openDir(base);
    try {
      const expected: [string, string][] = [
        ['fifo.lock', 'a FIFO occupies the lock name'],
        ['sock.lock', 'a socket occupies the lock name'],
      ];
      if (device) expected.push(['dev.lock', 'a device node occupies the lock name']);
      for (const [name, prefix] of expected) {
        const error = await caught(readLockSnapshot(dir, name));
        expect(error.code).toBe('EINSECURE');
        expect(error.message.startsWith(`EINSECURE: ${prefix}`)).toBe(true);
        expect(error.message).toContain('it is not a lock file and is neither opened nor removed');
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
async function readFifoThenSwapped(after: (path: string) => void): Promise<{ error: Error & { code?: string }; base: string }> {
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
  it('an open error that is no foreign-object refusal (ENXIO: a socket swapped in) is passed on as it is', async () => {
    let server: Server | undefined;
    const { result } = await readWhileSwapped((path) => {
      unlinkSync(path);
      server = createServer().listen(path); // bind(2) runs synchronously inside listen()
    });
    try {
      const error = await caught(result);
      expect(error.code).toBe('ENXIO');
      expect(error).not.toHaveProperty('cause');
      expect(error.message).toMatch(/^ENXIO: no such device or address, open '.*job\.lock'$/);
      expect(error.message).not.toContain('occupies');
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
    expect(error.message).toBe(`EINSECURE: not a regular file: ${join(base, 'job.lock')}`);
  });

  it('a FIFO refused by the open check is reported as that refusal when the name is gone', async () => {
    const { error, base } = await readFifoThenSwapped((path) => unlinkSync(path));
    expect(error.code).toBe('EINSECURE');
    expect(error.message).toBe(`EINSECURE: not a regular file: ${join(base, 'job.lock')}`);
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
    expect(error.message).toBe(`ESYMLINK: a symlink occupies the lock name; it is neither followed nor removed: ${join(base, 'job.lock')}`);
    expect((error.cause as { code?: string } | undefined)?.code).toBe('ESYMLINK');
  });

  it('a FIFO swapped in is refused as EINSECURE naming the FIFO, with the open error as cause', async () => {
    const { result, base } = await readWhileSwapped((path) => {
      unlinkSync(path);
      execFileSync('mkfifo', [path]);
    });
    const error = await caught(result);
    expect(error.code).toBe('EINSECURE');
    expect(error.message).toMatch(/^EINSECURE: a FIFO occupies the lock name; it is not a lock file/);
    expect(error.path).toBe(join(base, 'job.lock'));
    expect((error.cause as { code?: string } | undefined)?.code).toBe('EINSECURE');
  });
});

describe('judgeSnapshot: the heartbeat bounds are exclusive', () => {
  const snapshot = (record: LockSnapshot['record']): LockSnapshot => ({ record, dev: 1n, ino: 2n, mtimeMs: 100_000 });

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
  const base: LockSnapshot = { record: record(TOKEN), dev: 1n, ino: 2n, mtimeMs: 0 };

  it('is true only when all three agree (two unreadable records agree)', () => {
    expect(sameLockFile(base, { ...base, mtimeMs: 5 })).toBe(true);
    expect(sameLockFile({ ...base, record: undefined }, { ...base, record: undefined })).toBe(true);
    expect(sameLockFile(base, { ...base, dev: 9n })).toBe(false);
    expect(sameLockFile(base, { ...base, ino: 9n })).toBe(false);
    expect(sameLockFile(base, { ...base, record: record('cd'.repeat(16)) })).toBe(false);
    expect(sameLockFile(base, { ...base, record: undefined })).toBe(false);
  });
});

describe('removeIfOwned / removeIfSameFile: errors other than a missing name', () => {
  it('removeIfOwned throws for a name that cannot be read, rather than calling it foreign', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    const error = await caught(removeIfOwned(dir, '../escape.lock', TOKEN));
    expect(error.code).toBeDefined();
    await dir.close();
  });

  it('removeIfSameFile throws for a name that cannot be looked up, rather than calling it missing', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'job.lock'), recordText());
    const fd = openSync(join(base, 'job.lock'), 'r');
    const dir = await openDir(base);
    try {
      const error = await caught(removeIfSameFile(dir, '../escape.lock', fd));
      expect(error.code).not.toBe('ENOENT');
      expect(existsSync(join(base, 'job.lock'))).toBe(true);
    } finally {
      closeSync(fd);
      await dir.close();
    }
  });

  it('removeIfSameFile leaves another file at the name alone', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'job.lock'), recordText());
    writeFileSync(join(base, 'other'), recordText());
    const fd = openSync(join(base, 'other'), 'r');
    const dir = await openDir(base);
    expect(await removeIfSameFile(dir, 'job.lock', fd)).toEqual({ outcome: 'foreign' });
    expect(existsSync(join(base, 'job.lock'))).toBe(true);
    closeSync(fd);
    await dir.close();
  });

  it('an unlink refused because the directory handle was closed meanwhile is an error, not "missing", and the file stays', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'a.lock'), recordText());
    writeFileSync(join(base, 'b.lock'), recordText());
    const fd = openSync(join(base, 'a.lock'), 'r');
    try {
      let dir = await openDir(base);
      const bySameFile = removeIfSameFile(dir, 'a.lock', fd); // its lstat is under way
      const closing = dir.close(); // so the close waits for it, and the unlink after it is refused
      expect((await caught(bySameFile)).code).toBe('ECLOSED');
      await closing;
      dir = await openDir(base);
      const byToken = removeIfOwned(dir, 'b.lock', TOKEN);
      const closingAgain = dir.close();
      expect((await caught(byToken)).code).toBe('ECLOSED');
      await closingAgain;
      expect(readdirSync(base).sort()).toEqual(['a.lock', 'b.lock']);
    } finally {
      closeSync(fd);
    }
  });

  it('two removals racing for our own file: one removes it, the other finds it missing', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'job.lock'), recordText());
    const fd = openSync(join(base, 'job.lock'), 'r');
    const dir = await openDir(base);
    const outcomes = await Promise.all([removeIfSameFile(dir, 'job.lock', fd), removeIfSameFile(dir, 'job.lock', fd)]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['missing', 'removed']);
    expect(existsSync(join(base, 'job.lock'))).toBe(false);
    closeSync(fd);
    await dir.close();
  });
});

describe('removeIfOwnedSync (the exit-handler twin), called directly', () => {
  it('removes our record and reports true; leaves a stranger or garbage and reports false', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'mine.lock'), recordText());
    writeFileSync(join(base, 'theirs.lock'), recordText('cd'.repeat(16)));
    writeFileSync(join(base, 'garbage.lock'), 'not a record');
    const dir = await openDir(base);
    expect(removeIfOwnedSync(dir, 'mine.lock', TOKEN)).toBe(true);
    expect(existsSync(join(base, 'mine.lock'))).toBe(false);
    expect(removeIfOwnedSync(dir, 'theirs.lock', TOKEN)).toBe(false);
    expect(removeIfOwnedSync(dir, 'garbage.lock', TOKEN)).toBe(false);
    expect(existsSync(join(base, 'theirs.lock'))).toBe(true);
    expect(existsSync(join(base, 'garbage.lock'))).toBe(true);
    await dir.close();
  });

  it('refuses an oversized file with ETOOBIG instead of reading it', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'big.lock'), 'x'.repeat(MAX_RECORD_BYTES + 1));
    const dir = await openDir(base);
    expect((await caught(() => removeIfOwnedSync(dir, 'big.lock', TOKEN))).code).toBe('ETOOBIG');
    expect(existsSync(join(base, 'big.lock'))).toBe(true);
    await dir.close();
  });
});

describe('parseOwnerRecord: exact acceptance rules', () => {
  const good = JSON.parse(recordText()) as Record<string, unknown>;
  const text = (patch: Record<string, unknown>): string => JSON.stringify({ ...good, ...patch });

  it('creates and parses records without a start key when there is no start stamp', () => {
    expect(Object.keys(createOwnerRecord(TOKEN, { pid: 1, host: 'h' }, 1))).not.toContain('start');
    expect(Object.keys(parseOwnerRecord(recordText()) ?? {})).not.toContain('start');
    expect(parseOwnerRecord(text({ start: '123' }))?.start).toBe('123');
  });

  it('keeps a string as it is (a lone surrogate is not replaced)', () => {
    const raw = recordText().replace('"elsewhere"', '"a\uD800b"');
    expect(parseOwnerRecord(raw)?.host).toBe('a\uD800b');
  });

  it('decodes bytes itself: a leading BOM makes them unreadable, invalid UTF-8 becomes U+FFFD', () => {
    const bytes = Buffer.from(recordText());
    expect(parseOwnerRecord(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]))).toBeUndefined();
    const invalid = Buffer.from(recordText().replace('"elsewhere"', '"a_b"'));
    invalid[invalid.indexOf('a_b') + 1] = 0xff;
    expect(parseOwnerRecord(invalid)?.host).toBe('a\uFFFDb');
  });

  it('accepts a record of exactly MAX_RECORD_BYTES characters', () => {
    const body = recordText().trimEnd();
    expect(parseOwnerRecord(' '.repeat(MAX_RECORD_BYTES - body.length) + body)?.token).toBe(TOKEN);
  });

  it('refuses nesting deeper than 4 levels, even in an unknown field', () => {
    expect(parseOwnerRecord(text({ extra: [[[1]]] }))?.token).toBe(TOKEN);
    expect(parseOwnerRecord(text({ extra: [[[[1]]]] }))).toBeUndefined();
  });

  it('returns undefined (does not throw) for JSON that is not an object', () => {
    for (const json of ['null', '5', '"text"', '[1]', 'true']) expect(parseOwnerRecord(json)).toBeUndefined();
  });

  it('refuses a version other than 1', () => {
    expect(parseOwnerRecord(text({ v: 2 }))).toBeUndefined();
    expect(parseOwnerRecord(text({ v: '1' }))).toBeUndefined();
  });

  it('takes a token of 16 to 128 lowercase hex digits and nothing around them', () => {
    expect(parseOwnerRecord(text({ token: 'a'.repeat(16) }))?.token).toBe('a'.repeat(16));
    expect(parseOwnerRecord(text({ token: `x${'a'.repeat(16)}` }))).toBeUndefined();
    expect(parseOwnerRecord(text({ token: `${'a'.repeat(16)}x` }))).toBeUndefined();
  });

  it('takes a host of 1 to 255 characters', () => {
    expect(parseOwnerRecord(text({ host: 'h'.repeat(255) }))?.host).toBe('h'.repeat(255));
    expect(parseOwnerRecord(text({ host: 'h'.repeat(256) }))).toBeUndefined();
    expect(parseOwnerRecord(text({ host: '' }))).toBeUndefined();
    expect(parseOwnerRecord(text({ host: 7 }))).toBeUndefined();
  });

  it('takes a start stamp of 1 to 20 digits and nothing around them', () => {
    expect(parseOwnerRecord(text({ start: '1'.repeat(20) }))?.start).toBe('1'.repeat(20));
    expect(parseOwnerRecord(text({ start: 'x1' }))).toBeUndefined();
    expect(parseOwnerRecord(text({ start: '1x' }))).toBeUndefined();
    expect(parseOwnerRecord(text({ start: 12 }))).toBeUndefined();
  });

  it('takes only a finite number as the time', () => {
    expect(parseOwnerRecord(text({ time: 'now' }))).toBeUndefined();
    expect(parseOwnerRecord(recordText().replace('"time":1000', '"time":1e999'))).toBeUndefined();
    expect(parseOwnerRecord(recordText())?.time).toBe(1000);
  });

  it('describes a holder whose time is beyond the Date range without a "since"', () => {
    expect(describeOwner(createOwnerRecord(TOKEN, { pid: 5, host: 'box' }, 1e20))).toBe('pid 5 on host "box"');
  });

  it('a fresh token is 32 hex digits and parses', () => {
    const token = newToken();
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(parseOwnerRecord(recordText(token))?.token).toBe(token);
  });
});
