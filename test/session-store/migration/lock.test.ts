// The two locks a migration takes: its own (`.sessions.migrate.lock`, hardfs owner records)
// serializing migrations, and the legacy writer's (`sessions.json.lock`, the gateway's format)
// so that a gateway still writing sessions.json cannot lose an update between read and backup.
import { spawn } from 'node:child_process';
import { existsSync, lchownSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acquireFileLock, openDir } from '../../../src/index.js';
import { entryFileName, openSessionStore } from '../../../src/session-store/index.js';
import { caught } from '../../support/tmp.js';
import { legacyStores, migrate, quiet, recordIn } from './support.js';

const { legacyIn, tempDir } = legacyStores();
const WRITER = fileURLToPath(new URL('./fixtures/legacy-writer.mjs', import.meta.url));
const EXIT_MIGRATOR = fileURLToPath(new URL('./fixtures/exit-mid-migration.mjs', import.meta.url));
/** An owner that is neither us nor root (only lchown'd to: no process runs as it). */
const FOREIGN_UID = 4_000_123;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A lock file as a holder on another host leaves it, whose heartbeat is kept `ageMs` old: stale
 * for a staleMs below ageMs, held for the default 10 s. Returns a function that stops the keeper.
 */
function foreignLockKeptAged(path: string, ageMs: number): () => void {
  const record = { v: 1, token: 'ab'.repeat(16), pid: process.pid, host: `not-${hostname()}`, time: Date.now() - ageMs };
  writeFileSync(path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  const age = (): void => {
    const then = new Date(Date.now() - ageMs);
    try {
      utimesSync(path, then, then);
    } catch {
      // Taken over (removed): nothing left to age.
    }
  };
  age();
  const timer = setInterval(age, 50);
  return () => clearInterval(timer);
}

function startWriter(dir: string, key: string): { locked: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [WRITER, dir, key], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('locked')) resolve();
    });
    child.on('exit', () => reject(new Error(`writer exited before locking: ${out}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { locked, exited };
}

describe("the legacy writer's lock (sessions.json.lock)", () => {
  it('a running legacy writer holding the lock loses no update: the migration waits, then migrates what it wrote', async () => {
    const legacy = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`s${i}`, { updatedAt: i }]));
    const { base, path, dir } = await legacyIn(JSON.stringify(legacy));
    const writer = startWriter(base, 'late');
    await writer.locked;
    const result = await migrate(path);
    expect(await writer.exited).toBe(0);
    expect(result).toMatchObject({ migrated: true, entries: 301 });
    expect(recordIn(dir, 'late').entry).toMatchObject({ by: 'legacy writer' });
    expect(readFileSync(result.backupPath as string, 'utf8')).toContain('"late"');
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('is held, in the gateway format, from the read to the backup, and removed after', async () => {
    const { path } = await legacyIn(JSON.stringify({ a: { updatedAt: 1 }, b: { updatedAt: 2 } }));
    const seen: unknown[] = [];
    const result = await migrate(path, {
      onProgress: () => seen.push(JSON.parse(readFileSync(`${path}.lock`, 'utf8'))),
    });
    expect(result.migrated).toBe(true);
    expect(seen).toHaveLength(2);
    for (const record of seen) {
      expect(record).toMatchObject({ pid: process.pid, createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/) as string });
    }
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('a dry run takes no lock a legacy writer would see', async () => {
    const { path } = await legacyIn(JSON.stringify({ a: { updatedAt: 1 } }));
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.pid, createdAt: new Date().toISOString() }));
    expect(await migrate(path, { dryRun: true, lockTimeoutMs: 50 })).toMatchObject({ reason: 'dry run', entries: 1 });
  });

  it('held by a live process past migrationTimeoutMs: ELOCKED naming the lock, its holder and what to do; nothing touched', async () => {
    const content = JSON.stringify({ a: { updatedAt: 1 } });
    const { base, path } = await legacyIn(content);
    const lock = `${path}.lock`;
    const record = JSON.stringify({ pid: process.pid, createdAt: new Date().toISOString() });
    writeFileSync(lock, record);
    const started = Date.now();
    const error = await caught(migrate(path, { migrationTimeoutMs: 300 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(error.code).toBe('ELOCKED');
    expect(error.path).toBe(lock);
    expect(error.message).toContain(`pid ${process.pid}`);
    expect(error.message).toContain('migrationTimeoutMs');
    expect(readFileSync(lock, 'utf8')).toBe(record);
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(existsSync(join(base, 'sessions.d'))).toBe(false);
  });

  it('a lock whose pid is gone, or whose createdAt is older than 30 s, is stale and removed (the gateway rule)', async () => {
    for (const record of [
      { pid: 2 ** 22 + 12345, createdAt: new Date().toISOString() },
      { pid: process.pid, createdAt: new Date(Date.now() - 31_000).toISOString() },
    ]) {
      const { path } = await legacyIn(JSON.stringify({ a: { updatedAt: 1 } }));
      writeFileSync(`${path}.lock`, JSON.stringify(record));
      expect(await migrate(path)).toMatchObject({ migrated: true, entries: 1 });
      expect(existsSync(`${path}.lock`)).toBe(false);
    }
  });

  it('a record that cannot be judged (garbage, empty, impossible pid, createdAt in the future) is judged by the file age (2 s grace)', async () => {
    for (const content of ['', 'garbage', JSON.stringify({ pid: 2 ** 31, createdAt: 'x' }), JSON.stringify({ pid: process.pid, createdAt: new Date(Date.now() + 3_600_000).toISOString() })]) {
      const { path } = await legacyIn(JSON.stringify({ a: { updatedAt: 1 } }));
      const lock = `${path}.lock`;
      writeFileSync(lock, content);
      const old = new Date(Date.now() - 3_000);
      utimesSync(lock, old, old);
      expect(await migrate(path)).toMatchObject({ migrated: true });
      expect(existsSync(lock)).toBe(false);
    }
    // A fresh unjudgeable file (a writer that just created it and has not written its record yet) is waited for.
    const { path } = await legacyIn(JSON.stringify({ a: { updatedAt: 1 } }));
    writeFileSync(`${path}.lock`, '');
    const pending = migrate(path);
    await sleep(300);
    expect(existsSync(path)).toBe(true);
    renameSync(`${path}.lock`, `${path}.lock.gone`);
    expect(await pending).toMatchObject({ migrated: true });
  });

  // A migration killed between its backup rename and its release leaves the lock with no legacy
  // file: nothing is left to migrate, yet a gateway starting later would wait on it.
  it('left behind with no legacy file: the next open removes it when the gateway rule judges it stale, and only then', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const deadPid = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid as number)));
    const cases: Array<{ record: object; foreign?: boolean; stays: boolean }> = [
      { record: { pid: deadPid, createdAt: new Date().toISOString(), token: 'ab'.repeat(16) }, stays: false },
      { record: { pid: process.pid, createdAt: new Date(Date.now() - 31_000).toISOString() }, stays: false },
      { record: { pid: process.pid, createdAt: new Date().toISOString() }, stays: true },
      { record: { pid: deadPid, createdAt: new Date().toISOString() }, foreign: true, stays: true },
    ];
    for (const { record, foreign, stays } of cases) {
      const base = await tempDir();
      const lock = join(base, 'sessions.json.lock');
      writeFileSync(lock, JSON.stringify(record), { mode: 0o600 });
      if (foreign === true) lchownSync(lock, FOREIGN_UID, FOREIGN_UID);
      const store = await openSessionStore(join(base, 'sessions.json'), { logger: quiet, fsync: false });
      await store.close();
      expect(existsSync(lock), JSON.stringify({ record, foreign })).toBe(stays);
      if (stays) expect(readFileSync(lock, 'utf8')).toBe(JSON.stringify(record));
    }
  });
});

describe("what is at the legacy writer's lock name", () => {
  it('a symlink (dangling or not) or a directory of ours there is refused with its code and the lock path; nothing is touched', async () => {
    for (const [kind, code] of [
      ['symlink', 'ESYMLINK'],
      ['dangling symlink', 'ESYMLINK'],
      ['directory', 'EINSECURE'],
    ] as const) {
      const content = '{"a":{"updatedAt":1}}';
      const { base, path } = await legacyIn(content);
      const lock = `${path}.lock`;
      if (kind === 'symlink') {
        writeFileSync(join(base, 'target'), 'x');
        symlinkSync('target', lock);
      } else if (kind === 'dangling symlink') symlinkSync('nowhere', lock);
      else mkdirSync(lock);
      const error = await caught(migrate(path, { migrationTimeoutMs: 300 }));
      expect([kind, error.code]).toEqual([kind, code]);
      expect(error.path).toBe(lock);
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(existsSync(join(base, 'sessions.d'))).toBe(false);
      expect(lstatSync(lock).isDirectory() || lstatSync(lock).isSymbolicLink()).toBe(true);
    }
  });

  it("one owned by another uid (a symlink or a directory) is left alone and reported: not migrated, not removed", async () => {
    for (const kind of ['symlink', 'directory'] as const) {
      const content = '{"a":{"updatedAt":1}}';
      const { base, path } = await legacyIn(content);
      const lock = `${path}.lock`;
      if (kind === 'symlink') symlinkSync('nowhere', lock);
      else mkdirSync(lock);
      lchownSync(lock, FOREIGN_UID, FOREIGN_UID); // we are root: any owner will do, no second user needed
      const result = await migrate(path);
      expect(result.migrated).toBe(false);
      expect(result.leftAlone).toEqual([{ path: lock, reason: expect.stringContaining("not owned by the store's owner") as unknown, ownerUid: FOREIGN_UID }]);
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(lstatSync(lock).uid).toBe(FOREIGN_UID);
      expect(existsSync(join(base, 'sessions.d'))).toBe(false);
    }
  });

  it('records the gateway rule cannot read (over 4 KiB, not an object, a createdAt of another type) go by the file age', async () => {
    for (const content of ['x'.repeat(5000), 'null', '42', JSON.stringify({ pid: process.pid, createdAt: true })]) {
      const { path } = await legacyIn('{"a":{"updatedAt":1}}');
      const lock = `${path}.lock`;
      writeFileSync(lock, content);
      const old = new Date(Date.now() - 3_000);
      utimesSync(lock, old, old);
      expect(await migrate(path, { migrationTimeoutMs: 1_000 })).toMatchObject({ migrated: true, entries: 1 });
      expect(existsSync(lock)).toBe(false);
    }
  });

  it('a createdAt given as epoch milliseconds is judged like an ISO time: older than 30 s is stale, recent with a live pid is held', async () => {
    const { path } = await legacyIn('{"a":{"updatedAt":1}}');
    const lock = `${path}.lock`;
    writeFileSync(lock, JSON.stringify({ pid: process.pid, createdAt: Date.now() - 31_000 }));
    expect(await migrate(path)).toMatchObject({ migrated: true, entries: 1 });
    expect(existsSync(lock)).toBe(false);

    const held = await legacyIn('{"a":{"updatedAt":1}}');
    const record = JSON.stringify({ pid: process.pid, createdAt: Date.now() });
    writeFileSync(`${held.path}.lock`, record);
    const error = await caught(migrate(held.path, { migrationTimeoutMs: 200 }));
    expect(error.code).toBe('ELOCKED');
    expect(error.path).toBe(`${held.path}.lock`);
    expect(error.message).toContain(`pid ${process.pid}`);
    expect(readFileSync(`${held.path}.lock`, 'utf8')).toBe(record);
  });

  it('a lock removed, or taken by another writer, while the migration holds it: the migration ends and removes only its own', async () => {
    const removed = await legacyIn('{"a":{"updatedAt":1},"b":{"updatedAt":2}}');
    expect(
      await migrate(removed.path, {
        onProgress: (done) => {
          if (done === 1) rmSync(`${removed.path}.lock`);
        },
      }),
    ).toMatchObject({ migrated: true, entries: 2 });
    expect(existsSync(`${removed.path}.lock`)).toBe(false);

    const taken = await legacyIn('{"a":{"updatedAt":1},"b":{"updatedAt":2}}');
    const other = JSON.stringify({ pid: process.pid, createdAt: new Date().toISOString(), token: 'another writer' });
    expect(
      await migrate(taken.path, {
        onProgress: (done) => {
          if (done === 1) writeFileSync(`${taken.path}.lock`, other);
        },
      }),
    ).toMatchObject({ migrated: true, entries: 2 });
    expect(readFileSync(`${taken.path}.lock`, 'utf8')).toBe(other);
  });

  it('a process that exits while migrating removes the lock it holds on the way out (its exit handler)', async () => {
    const { base, path } = await legacyIn(JSON.stringify(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`s${i}`, { updatedAt: i }]))));
    const child = spawn(process.execPath, [EXIT_MIGRATOR, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect([code, err]).toEqual([7, '']);
    expect(out).toContain('lock held');
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(existsSync(path)).toBe(true); // the migration never finished: the legacy file stays
    expect(existsSync(join(base, 'sessions.d'))).toBe(false);
  });
});

describe("the migration's own lock", () => {
  it('is not taken when there is no legacy file (a foreign object at its name does not matter)', async () => {
    const base = await tempDir();
    mkdirSync(join(base, '.sessions.migrate.lock'));
    const path = join(base, 'sessions.json');
    expect(await migrate(path)).toMatchObject({ migrated: false, entries: 0, reason: 'no legacy store file' });
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({});
    await store.close();
  });

  it('left behind by a migration killed after its backup (no legacy file any more) is cleared by the next open when its holder is dead', async () => {
    const base = await tempDir();
    const child = spawn(process.execPath, ['-e', '']);
    const deadPid = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid as number)));
    const lockPath = join(base, '.sessions.migrate.lock');
    writeFileSync(lockPath, JSON.stringify({ v: 1, token: 'cd'.repeat(16), pid: deadPid, host: hostname(), time: Date.now() }), { mode: 0o600 });
    const store = await openSessionStore(join(base, 'sessions.json'), { logger: quiet, fsync: false });
    await store.close();
    expect(existsSync(lockPath)).toBe(false);
  });

  it('a migration waits for it longer than lockTimeoutMs', async () => {
    const { base, path } = await legacyIn('{"a":{"updatedAt":1}}');
    const parent = await openDir(base);
    const lock = await acquireFileLock(parent, '.sessions.migrate.lock');
    const release = sleep(300).then(() => lock.release());
    const result = await migrate(path, { lockTimeoutMs: 25 });
    await release;
    await parent.close();
    expect(result).toMatchObject({ migrated: true, entries: 1 });
  });

  it('a migration that waited while the legacy file was moved away finds nothing to do', async () => {
    const { base, path } = await legacyIn('{"a":{"updatedAt":1}}');
    const parent = await openDir(base);
    const lock = await acquireFileLock(parent, '.sessions.migrate.lock');
    const pending = migrate(path);
    await sleep(300);
    renameSync(path, join(base, 'moved.json'));
    await lock.release();
    await parent.close();
    expect(await pending).toMatchObject({ migrated: false, entries: 0, reason: 'no legacy store file' });
    expect(existsSync(join(base, 'sessions.d'))).toBe(false);
  });

  it('removing a leftover staging directory waits for it longer than lockTimeoutMs', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'sessions.d.migrating'));
    const parent = await openDir(base);
    const lock = await acquireFileLock(parent, '.sessions.migrate.lock');
    const release = sleep(300).then(() => lock.release());
    const store = await openSessionStore(join(base, 'sessions.json'), { logger: quiet, fsync: false, lockTimeoutMs: 25 });
    await release;
    await store.close();
    await parent.close();
    expect(existsSync(join(base, 'sessions.d.migrating'))).toBe(false);
  });

  it('an abandoned one is taken over as soon as it is older than lockStaleMs (migration and staging removal)', async () => {
    const { base, path } = await legacyIn('{"a":{"updatedAt":1}}');
    const stop = foreignLockKeptAged(join(base, '.sessions.migrate.lock'), 3_000);
    try {
      expect(await migrate(path, { lockStaleMs: 1_000 })).toMatchObject({ migrated: true, entries: 1 });
    } finally {
      stop();
    }
    const other = await tempDir();
    mkdirSync(join(other, 'sessions.d.migrating'));
    const stopOther = foreignLockKeptAged(join(other, '.sessions.migrate.lock'), 3_000);
    try {
      const store = await openSessionStore(join(other, 'sessions.json'), { logger: quiet, fsync: false, lockStaleMs: 1_000 });
      await store.close();
    } finally {
      stopOther();
    }
    expect(existsSync(join(other, 'sessions.d.migrating'))).toBe(false);
  });

  it('a merge takes over an abandoned entry lock older than lockStaleMs', async () => {
    const { path, dir } = await legacyIn('{"a":{"updatedAt":9}}');
    const store = await openSessionStore(path, { migrateOnOpen: false, logger: quiet, fsync: false });
    await store.close();
    const stop = foreignLockKeptAged(join(dir, '.locks', `${entryFileName('a')}.lock`), 3_000);
    try {
      expect(await migrate(path, { lockStaleMs: 1_000 })).toMatchObject({ migrated: true, entries: 1, mode: 'merge' });
    } finally {
      stop();
    }
  });

  it('two migrations at once: exactly one migrates, the other finds nothing left to do', async () => {
    const content = JSON.stringify(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`s${i}`, { updatedAt: i }])));
    const { path } = await legacyIn(content);
    const [first, second, store] = await Promise.all([migrate(path), migrate(path), openSessionStore(path, { logger: quiet, fsync: false })]);
    expect([first.migrated, second.migrated].filter(Boolean).length).toBeLessThanOrEqual(1);
    expect(Object.keys(await store.loadAll())).toHaveLength(50);
    await store.close();
  });
});
