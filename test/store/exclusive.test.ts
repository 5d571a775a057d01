// writer: 'exclusive' (issue 12 guarantee 3): one store-wide lock taken at open; commits take no
// per-key lock files; other stores read coherently; their writes are ELOCKED naming the owner;
// close releases the store for the next writer.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { entryFileName, isPossiblyApplied, openStore } from '../../src/store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

describe("writer: 'exclusive'", () => {
  it('holds .locks/writer.lock while open; a second exclusive open is ELOCKED; close releases it', async () => {
    const dir = join(await tempDir(), 'store');
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive' });
    expect(readdirSync(join(dir, '.locks'))).toContain('writer.lock');
    const error = await caught(openStore(dir, { fsync: false, writer: 'exclusive', lockTimeoutMs: 100 }));
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain("another process is this store's writer");
    expect(error.path).toBe(dir);
    expect(owner.writer).toBe('exclusive');
    await owner.close();
    expect(readdirSync(join(dir, '.locks'))).not.toContain('writer.lock');
    const next = await openStore(dir, { fsync: false, writer: 'exclusive' });
    // A second close of the first owner releases nothing of the next one.
    await owner.close();
    expect(readdirSync(join(dir, '.locks'))).toContain('writer.lock');
    expect((await caught(openStore(dir, { fsync: false, writer: 'exclusive', lockTimeoutMs: 100 }))).code).toBe('ELOCKED');
    await next.close();
    const shared = await openStore(dir, { fsync: false });
    expect(shared.writer).toBe('shared');
    await shared.close();
  });

  it('a writer.lock that cannot be a lock (a directory) fails the exclusive open with its own refusal, not ELOCKED', async () => {
    const dir = join(await tempDir(), 'store');
    mkdirSync(join(dir, '.locks', 'writer.lock'), { recursive: true, mode: 0o700 });
    const error = await caught(openStore(dir, { fsync: false, writer: 'exclusive', lockTimeoutMs: 200 }));
    expect(error.code).toBe('EINSECURE');
    expect(error.path).toBe(join(dir, '.locks', 'writer.lock'));
    expect(error.message).toContain('not a lock file');
  });

  it('commits take no per-key lock file, single- and multi-key; a shared reader sees each commit on its very next read', async () => {
    const dir = join(await tempDir(), 'store');
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive' });
    const reader = await openStore(dir, { fsync: false });
    const lockNames = new Set<string>();
    const watch = setInterval(() => {
      for (const name of readdirSync(join(dir, '.locks'))) lockNames.add(name);
    }, 0);
    try {
      for (let i = 0; i < 20; i += 1) {
        await owner.update('a', () => ({ n: i }));
        expect(await reader.get('a')).toEqual({ n: i });
        expect((await reader.loadAll())['a']).toEqual({ n: i });
        await owner.updateMany((record) => {
          record['b'] = { n: i };
          record['c'] = { n: 100 - i };
        });
        const all = await reader.loadAll();
        expect([all['b'], all['c']]).toEqual([{ n: i }, { n: 100 - i }]);
      }
    } finally {
      clearInterval(watch);
    }
    expect([...lockNames].filter((name) => name.endsWith('.json.lock'))).toEqual([]);
    await reader.close();
    await owner.close();
  });

  it('a shared writer’s update, updateMany, delete and commit are ELOCKED naming the owner; nothing written', async () => {
    const dir = join(await tempDir(), 'store');
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive' });
    await owner.update('a', () => ({ n: 1 }));
    const other = await openStore(dir, { fsync: false });
    for (const attempt of [
      () => other.update('a', () => ({ n: 2 })),
      () => other.updateMany((record) => void (record['x'] = { n: 1 })),
      () => other.delete('a'),
      () => other.commit(['a'], () => new Map([['a', { n: 3 }]])),
    ]) {
      const error = await caught(attempt());
      expect(error.code).toBe('ELOCKED');
      expect(error.message).toContain(`exclusive writer (pid ${process.pid}`);
      expect(error.path).toBe(join(dir, '.locks', 'writer.lock'));
    }
    expect({ ...(await other.loadAll()) }).toEqual({ a: { n: 1 } });
    await other.close();
    await owner.close();
  });

  it('a shared updateMany that changes nothing is no write: it resolves while an exclusive writer owns the store', async () => {
    const dir = join(await tempDir(), 'store');
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive' });
    await owner.update('a', () => ({ n: 1 }));
    const other = await openStore(dir, { fsync: false });
    expect(await other.updateMany((record) => Object.keys(record))).toEqual(['a']);
    await other.close();
    await owner.close();
  });

  it('the owner named in that ELOCKED never quotes the writer lock file (a planted host or field stays out)', async () => {
    const dir = join(await tempDir(), 'store');
    const store = await openStore(dir, { fsync: false });
    const planted = { v: 1, token: 'ab'.repeat(16), pid: 4242, host: 'sk-SECRET-host', time: 0, note: 'sk-SECRET-note' };
    writeFileSync(join(dir, '.locks', 'writer.lock'), JSON.stringify(planted), { mode: 0o600 });
    const error = await caught(store.update('a', () => ({ n: 1 })));
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain('exclusive writer (pid 4242 on another host');
    expect(error.message).not.toContain('SECRET');
    writeFileSync(join(dir, '.locks', 'writer.lock'), '{"pid":"sk-SECRET-pid","host":"sk-SECRET"}', { mode: 0o600 });
    const garbage = await caught(store.update('a', () => ({ n: 1 })));
    expect(garbage.message).toContain('exclusive writer (another process)');
    expect(garbage.message).not.toContain('SECRET');
    await store.close();
  });

  it('a writer.lock that is not a readable lock file (a directory, an oversized file) still refuses a shared write; nothing written', async () => {
    const dir = join(await tempDir(), 'store');
    const store = await openStore(dir, { fsync: false });
    await store.update('a', () => ({ n: 1 }));
    const lock = join(dir, '.locks', 'writer.lock');
    mkdirSync(lock, { mode: 0o700 });
    const directory = await caught(store.update('a', () => ({ n: 2 })));
    expect(directory.code).toBe('EINSECURE');
    rmdirSync(lock);
    // Far over what an owner record takes: refused without reading it whole.
    writeFileSync(lock, `{"pid":1,"pad":"${'x'.repeat(128 * 1024)}"}`, { mode: 0o600 });
    const oversized = await caught(store.update('a', () => ({ n: 3 })));
    expect(oversized.code).toBe('ETOOBIG');
    expect(oversized.path).toBe(lock);
    rmSync(lock);
    expect(await store.get('a')).toEqual({ n: 1 });
    expect(await store.update('a', () => ({ n: 4 }))).toEqual({ n: 4 });
    await store.close();
  });

  // The writer lock excludes every other writer, so what this process last committed to a file
  // is what the file holds: a commit starts from that instead of reading the file again. The
  // tests rewrite the file behind the writer's back (which the contract rules out) only to see
  // which of the two a commit starts from.
  it('a commit starts from its own last commit of the key, not from a re-read of the file', async () => {
    const dir = join(await tempDir(), 'store');
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive' });
    await owner.update('a', () => ({ n: 1 }));
    const file = join(dir, entryFileName('a'));
    writeFileSync(file, '{"entry":{"n":100},"key":"a","rev":50,"v":1}\n');
    const seen: unknown[] = [];
    await owner.update('a', (current) => {
      seen.push(structuredClone(current));
      return { n: (current?.['n'] as number) + 1 };
    });
    expect(seen).toEqual([{ n: 1 }]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ entry: { n: 2 }, rev: 2 });
    await owner.close();
  });

  it('each commit gets its own copy: a mutator changing its entry in place never changes what the next one gets', async () => {
    const dir = join(await tempDir(), 'store');
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive' });
    await owner.update('a', () => ({ n: 0, tags: [] as string[] }));
    for (let i = 1; i <= 5; i += 1) {
      await owner.update('a', (current) => {
        expect(current).toEqual({ n: i - 1, tags: Array.from({ length: i - 1 }, (_, k) => `t${k}`) });
        (current!['n'] as number) += 1;
        (current!['tags'] as string[]).push(`t${i - 1}`);
        return undefined; // changed in place
      });
    }
    // A mutator that changes its copy and then throws leaves nothing behind either.
    await caught(owner.update('a', (current) => {
      current!['n'] = -1;
      throw new Error('changed my mind');
    }));
    const record = JSON.parse(readFileSync(join(dir, entryFileName('a')), 'utf8')) as { entry: unknown; rev: number };
    expect(record).toMatchObject({ entry: { n: 5, tags: ['t0', 't1', 't2', 't3', 't4'] }, rev: 6 });
    expect(await owner.update('a', (current) => current)).toEqual({ n: 5, tags: ['t0', 't1', 't2', 't3', 't4'] });
    await owner.close();
  });

  it('after a delete the key starts again at rev 1; after a failed commit the next one reads the file', async () => {
    const dir = join(await tempDir(), 'store');
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive', maxEntryBytes: 4096 });
    const file = join(dir, entryFileName('a'));
    await owner.update('a', () => ({ n: 1 }));
    expect(await owner.delete('a')).toBe(true);
    expect(await owner.update('a', (current) => ({ n: current === undefined ? 10 : -1 }))).toEqual({ n: 10 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ entry: { n: 10 }, rev: 1 });
    // A commit refused (ETOOBIG) is uncertain to the cache: the next commit reads the file.
    const refused = await caught(owner.update('a', () => ({ n: 11, pad: 'x'.repeat(8192) })));
    expect(refused.code).toBe('ETOOBIG');
    writeFileSync(file, '{"entry":{"n":100},"key":"a","rev":50,"v":1}\n');
    const seen: unknown[] = [];
    await owner.update('a', (current) => {
      seen.push(structuredClone(current));
      return { n: 101 };
    });
    expect(seen).toEqual([{ n: 100 }]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ entry: { n: 101 }, rev: 51 });
    await owner.close();
  });

  it('a multi-key commit leaves its files to be read again: the next commit of each reads the file', async () => {
    const dir = join(await tempDir(), 'store');
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive' });
    await owner.update('a', () => ({ n: 1 }));
    await owner.updateMany((record) => {
      record['a'] = { n: 2 };
      record['b'] = { n: 2 };
    });
    const file = join(dir, entryFileName('a'));
    writeFileSync(file, '{"entry":{"n":100},"key":"a","rev":50,"v":1}\n');
    const seen: unknown[] = [];
    await owner.update('a', (current) => {
      seen.push(structuredClone(current));
      return { n: 101 };
    });
    expect(seen).toEqual([{ n: 100 }]);
    await owner.close();
  });
});

// Lock ordering between modes: a shared commit takes its key locks and only then looks for
// writer.lock; an exclusive open takes writer.lock and then waits for the key locks it finds.
// Shared writers run in child processes (dist build: npm run build first).
const WRITER = new URL('./fixtures/shared-writer-child.mjs', import.meta.url).pathname;
const children = new Set<ChildProcessWithoutNullStreams>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

interface SharedWriter {
  child: ChildProcessWithoutNullStreams;
  send(command: object | string): void;
  /** The next stdout line. */
  next(): Promise<string>;
  exited: Promise<number | null>;
}

async function startSharedWriter(dir: string): Promise<SharedWriter> {
  const child = spawn(process.execPath, [WRITER, dir]);
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const writer: SharedWriter = {
    child,
    send: (command) => child.stdin.write(`${typeof command === 'string' ? command : JSON.stringify(command)}\n`),
    async next() {
      const line = await lines.next();
      if (line.done) throw new Error(`shared writer exited (${String(await exited)}): ${stderr}`);
      return line.value as string;
    },
    exited,
  };
  expect(await writer.next()).toBe('ready');
  return writer;
}

/** Settles to whether `promise` is still pending after `ms` (the bound is generous: a pending promise is the point). */
async function stillPending(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, ms));
  return !settled;
}

describe("writer: 'exclusive' against shared writers in other processes", () => {
  it('the exclusive open waits for a shared commit holding its key lock; the next exclusive update builds on it (no lost update)', async () => {
    const dir = join(await tempDir(), 'store');
    const setup = await openStore(dir, { fsync: false });
    await setup.update('a', () => ({ n: 1 }));
    await setup.close();
    const shared = await startSharedWriter(dir);
    shared.send({ op: 'hold', key: 'a', n: 2 });
    expect(await shared.next()).toBe('holding');
    expect(existsSync(join(dir, '.locks', `${entryFileName('a')}.lock`))).toBe(true);

    const opening = openStore(dir, { fsync: false, writer: 'exclusive', lockTimeoutMs: 20_000 });
    expect(await stillPending(opening, 300)).toBe(true);
    // writer.lock is taken already: a shared commit starting now is refused.
    expect(readdirSync(join(dir, '.locks'))).toContain('writer.lock');
    shared.send('go');
    expect(JSON.parse(await shared.next())).toEqual({ ok: true, value: { n: 2 } });
    const owner = await opening;
    const seen: unknown[] = [];
    await owner.update('a', (current) => {
      seen.push(structuredClone(current));
      return { n: (current?.['n'] as number) + 1 };
    });
    expect(seen).toEqual([{ n: 2 }]);
    expect(JSON.parse(readFileSync(join(dir, entryFileName('a')), 'utf8'))).toMatchObject({ entry: { n: 3 }, rev: 3 });

    // A shared write after the exclusive open: ELOCKED naming this process, nothing written.
    shared.send({ op: 'update', key: 'a', n: 99 });
    const refused = JSON.parse(await shared.next()) as { ok: boolean; code: string; message: string; path: string };
    expect(refused.ok).toBe(false);
    expect(refused.code).toBe('ELOCKED');
    expect(refused.message).toContain(`exclusive writer (pid ${process.pid}`);
    expect(refused.path).toBe(join(dir, '.locks', 'writer.lock'));
    // Its key lock was released on the refusal.
    expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.json.lock'))).toEqual([]);
    expect(await owner.get('a')).toEqual({ n: 3 });
    shared.child.stdin.end();
    expect(await shared.exited).toBe(0);
    await owner.close();
  });

  it('a shared commit still in flight past lockTimeoutMs makes the exclusive open ELOCKED naming its key lock; writer.lock is released', async () => {
    const dir = join(await tempDir(), 'store');
    const shared = await startSharedWriter(dir);
    shared.send({ op: 'hold', key: 'a', n: 1 });
    expect(await shared.next()).toBe('holding');
    const error = await caught(openStore(dir, { fsync: false, writer: 'exclusive', lockTimeoutMs: 200 }));
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain("a shared writer's commit is still in flight");
    expect(error.path).toBe(join(dir, '.locks', `${entryFileName('a')}.lock`));
    expect(readdirSync(join(dir, '.locks'))).not.toContain('writer.lock');
    // The shared commit was never refused: it lands.
    shared.send('go');
    expect(JSON.parse(await shared.next())).toEqual({ ok: true, value: { n: 1 } });
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive', lockTimeoutMs: 2000 });
    expect(await owner.get('a')).toEqual({ n: 1 });
    await owner.close();
  });

  it('a shared commit looks for writer.lock only once it holds its key lock: one that waited on the lock is refused', async () => {
    const dir = join(await tempDir(), 'store');
    const shared = await startSharedWriter(dir);
    shared.send({ op: 'hold', key: 'a', n: 1 });
    expect(await shared.next()).toBe('holding');
    const store = await openStore(dir, { fsync: false, lockTimeoutMs: 20_000 });
    const mutator: string[] = [];
    const waiting = caught(store.update('a', () => {
      mutator.push('ran');
      return { n: 2 };
    }));
    // Started before writer.lock exists (a check made up front would pass now) and waiting on
    // the child's key lock.
    expect(await stillPending(waiting, 200)).toBe(true);
    writeFileSync(join(dir, '.locks', 'writer.lock'), JSON.stringify({ v: 1, token: 'ab'.repeat(16), pid: 4242, host: 'elsewhere', time: 0 }), { mode: 0o600 });
    shared.send('go');
    expect(JSON.parse(await shared.next())).toEqual({ ok: true, value: { n: 1 } });
    const error = await waiting;
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain('exclusive writer (pid 4242 on another host');
    expect(error.path).toBe(join(dir, '.locks', 'writer.lock'));
    expect(mutator).toEqual([]);
    expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.json.lock'))).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, entryFileName('a')), 'utf8'))).toMatchObject({ entry: { n: 1 }, rev: 1 });
    await store.close();
  });

  it('a key lock left by a SIGKILLed shared writer is judged stale like any lock: the exclusive open takes it over', async () => {
    const dir = join(await tempDir(), 'store');
    const shared = await startSharedWriter(dir);
    shared.send({ op: 'hold', key: 'a', n: 1 });
    expect(await shared.next()).toBe('holding');
    shared.child.kill('SIGKILL');
    await shared.exited;
    expect(existsSync(join(dir, '.locks', `${entryFileName('a')}.lock`))).toBe(true);
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive', lockTimeoutMs: 5000 });
    expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.json.lock'))).toEqual([]);
    expect(await owner.update('a', (current) => ({ n: current === undefined ? 10 : -1 }))).toEqual({ n: 10 });
    await owner.close();
  });
});

describe("writer: 'exclusive', when an entry file is not what its last commit left", () => {
  async function owning() {
    const dir = join(await tempDir(), 'store');
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive', logger: { warn: () => undefined } });
    for (const key of ['a', 'b']) await owner.update(key, () => ({ n: 1 }));
    return { dir, owner, fileOf: (key: string) => join(dir, entryFileName(key)) };
  }

  it('a directory where the rename goes: the update rejects as possibly applied (the file cannot tell), the flag enumerable', async () => {
    const { owner, fileOf } = await owning();
    rmSync(fileOf('a'));
    mkdirSync(fileOf('a'));
    const error = await caught(owner.update('a', () => ({ n: 2 })));
    expect(error.code).toBe('EISDIR');
    expect(isPossiblyApplied(error)).toBe(true);
    expect({ ...error }).toMatchObject({ possiblyApplied: true });
    expect(statSync(fileOf('a')).isDirectory()).toBe(true);
    await owner.close();
  });

  it('a delete of a file removed behind its back is done; a directory at its name is refused (EISDIR, not applied)', async () => {
    const { owner, fileOf } = await owning();
    rmSync(fileOf('a'));
    expect(await owner.delete('a')).toBe(true);
    expect(existsSync(fileOf('a'))).toBe(false);
    rmSync(fileOf('b'));
    mkdirSync(fileOf('b'));
    const error = await caught(owner.delete('b'));
    expect(error.code).toBe('EISDIR');
    expect(isPossiblyApplied(error)).toBe(false);
    expect(statSync(fileOf('b')).isDirectory()).toBe(true);
    await owner.close();
  });

  it('a multi-key commit whose rename fails past its intent rejects as possibly applied; the intent stays for recovery', async () => {
    const { dir, owner, fileOf } = await owning();
    rmSync(fileOf('b'));
    mkdirSync(fileOf('b'));
    writeFileSync(join(fileOf('b'), 'x'), 'not empty');
    // commit() starts from the owner's own last commits (updateMany would read the store, and quarantine the directory)
    const previous = process.umask(0o277);
    const error = await caught(owner.commit(['a', 'b'], () => new Map([['a', { n: 2 }], ['b', { n: 2 }]]))).finally(() => process.umask(previous));
    expect(isPossiblyApplied(error)).toBe(true);
    expect(error.code).toMatch(/^(EISDIR|ENOTEMPTY|EEXIST)$/);
    const intents = readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.txn'));
    expect(intents).toHaveLength(1);
    expect(statSync(join(dir, '.locks', intents[0] as string)).mode & 0o777).toBe(0o600); // exact, whatever the umask
    expect(JSON.parse(readFileSync(fileOf('a'), 'utf8'))).toMatchObject({ entry: { n: 2 }, rev: 2 }); // renamed before the failure
    await owner.close();
    // The next open reads the intent and completes what it can (the directory is not an entry: quarantined).
    const next = await openStore(dir, { fsync: false, logger: { warn: () => undefined } });
    expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.txn'))).toEqual([]);
    expect((await next.loadAll())['a']).toEqual({ n: 2 });
    await next.close();
  });
});

describe("writer: 'exclusive' open, waiting for shared commits", () => {
  it('a key lock name held by a symlink is refused as such (ESYMLINK naming it), not reported as a commit in flight; writer.lock is released', async () => {
    const dir = join(await tempDir(), 'store');
    await (await openStore(dir, { fsync: false })).close();
    writeFileSync(join(dir, 'target'), 'x');
    const lock = join(dir, '.locks', `${entryFileName('a')}.lock`);
    symlinkSync(join(dir, 'target'), lock);
    const error = await caught(openStore(dir, { fsync: false, writer: 'exclusive', lockTimeoutMs: 500 }));
    expect(error.code).toBe('ESYMLINK');
    expect(error.path).toBe(lock);
    expect(readdirSync(join(dir, '.locks'))).not.toContain('writer.lock');
    expect(readFileSync(join(dir, 'target'), 'utf8')).toBe('x');
  });
});
