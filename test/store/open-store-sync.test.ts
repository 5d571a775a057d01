// openStoreSync: a store opened for synchronous reads, read-only. It creates nothing (a store
// that does not exist is undefined), migrates and sweeps nothing, refuses a symlinked directory
// synchronously, follows other writers through the change log, and never returns part of a
// multi-key commit: one left pending (intent in .locks/) reads as its outcome.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, openStoreSync, type Store } from '../../src/store/index.js';
import { entryFileName, serializeRecord, serializeTombstone } from '../../src/store/entry-record.js';
import { intentFileName, stagedFileName } from '../../src/store/layout.js';
import { snapshot } from '../dir/harness.js';
import { thrown } from './record-helpers.js';
import { holdLock } from './support.js';
import { caught, useTempDirs } from '../support/tmp.js';

type Entry = { n: number };
const quiet = { fsync: false, logger: { warn: () => undefined } };

describe('openStoreSync', () => {
  const tempDir = useTempDirs();

  async function storeWith(entries: Record<string, Entry>): Promise<string> {
    const dir = join(await tempDir(), 'store');
    const store = await openStore<Entry>(dir, quiet);
    for (const [key, entry] of Object.entries(entries)) await store.update(key, () => entry);
    await store.close();
    return dir;
  }

  it('a store that does not exist is undefined, and nothing is created', async () => {
    const base = await tempDir();
    expect(openStoreSync(join(base, 'store'))).toBeUndefined();
    expect(openStoreSync(join(base, 'a', 'b', 'store'))).toBeUndefined();
    expect(readdirSync(base)).toEqual([]);
  });

  it('reads what openStore wrote, changing nothing on disk; writes and verify are EUNSUPPORTED', async () => {
    const dir = await storeWith({ a: { n: 1 }, b: { n: 2 } });
    const before = snapshot(dir);
    const store = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
    expect(store.readOnly).toBe(true);
    expect({ ...store.loadAllSync() }).toEqual({ a: { n: 1 }, b: { n: 2 } });
    expect(store.getSync('b')).toEqual({ n: 2 });
    expect(await store.get('a')).toEqual({ n: 1 });
    expect((await store.keys()).sort()).toEqual(['a', 'b']);
    expect(await store.has('c')).toBe(false);
    const refused = await caught(store.update('a', () => ({ n: 9 })));
    expect(refused.code).toBe('EUNSUPPORTED');
    expect(refused.path).toBe(dir);
    expect(refused.message).toContain('read-only');
    expect((await caught(store.updateMany(() => undefined))).code).toBe('EUNSUPPORTED');
    expect((await caught(store.verify())).code).toBe('EUNSUPPORTED');
    await store.close();
    expect(snapshot(dir)).toEqual(before);
  });

  it('its async reads answer from the cache: get of an absent key is undefined, has and keys follow a writer', async () => {
    const dir = await storeWith({ a: { n: 1 } });
    const store = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
    expect(await store.get('missing')).toBeUndefined();
    const copy = (await store.get('a')) as Entry;
    copy.n = 5; // a fresh, mutable copy: the cache keeps its own
    expect(store.getSync('a')).toEqual({ n: 1 });
    const writer = await openStore<Entry>(dir, quiet);
    await writer.update('b', () => ({ n: 2 }));
    expect(await store.has('b')).toBe(true);
    expect((await store.keys()).sort()).toEqual(['a', 'b']);
    await writer.delete('a');
    expect(await store.has('a')).toBe(false);
    expect(await store.keys()).toEqual(['b']);
    await writer.close();
    await store.close();
  });

  it('loadAllSync is the shared frozen record by default, a mutable copy with { copy: true }', async () => {
    const dir = await storeWith({ a: { n: 1 } });
    const store = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
    const shared = store.loadAllSync();
    expect(Object.isFrozen(shared)).toBe(true);
    expect(Object.getPrototypeOf(shared)).toBeNull();
    expect(store.loadAllSync()).toBe(shared);
    expect(store.loadAllSync({ copy: false })).toBe(shared);
    const copy = store.loadAllSync({ copy: true }) as Record<string, Entry>;
    expect(copy).not.toBe(shared);
    expect(Object.isFrozen(copy)).toBe(false);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    (copy['a'] as Entry).n = 9;
    expect(store.loadAllSync()['a']).toEqual({ n: 1 });
    copy['a'] = { n: 10 }; // its properties are ordinary ones: writable, deletable
    expect(copy['a']).toEqual({ n: 10 });
    delete copy['a'];
    expect(copy).toEqual({});
    await store.close();
  });

  it('a store too big for maxTotalEntryBytes is ETOOBIG at open, with no .locks there, and leaves no handle open', async () => {
    const dir = join(await tempDir(), 'store');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, entryFileName('a')), serializeRecord('a', 1, `{"pad":"${'x'.repeat(200)}"}`), { mode: 0o600 });
    const before = readdirSync('/proc/self/fd').length;
    const error = await caught(() => openStoreSync(dir, { ...quiet, maxTotalEntryBytes: 100 }));
    expect(error.code).toBe('ETOOBIG');
    expect(error.message).toContain('maxTotalEntryBytes');
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });

  it('a store with no .locks closes cleanly, and close() releases every handle it opened', async () => {
    const dir = join(await tempDir(), 'store');
    mkdirSync(dir, { mode: 0o700 });
    const before = readdirSync('/proc/self/fd').length;
    const store = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
    expect({ ...store.loadAllSync() }).toEqual({});
    await store.close();
    await store.close();
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });

  it('an entry file it cannot read as an entry reads as absent, is reported with its path, and is left in place (nothing quarantined)', async () => {
    const dir = await storeWith({ a: { n: 1 } });
    writeFileSync(join(dir, entryFileName('bad')), '{"entry": SECRET');
    const before = snapshot(dir);
    const warnings: Array<{ message: string; details: Record<string, unknown> | undefined }> = [];
    const store = openStoreSync<Entry>(dir, { fsync: false, logger: { warn: (message, details) => void warnings.push({ message, details }) } }) as Store<Entry>;
    expect({ ...store.loadAllSync() }).toEqual({ a: { n: 1 } });
    expect(store.getSync('bad')).toBeUndefined();
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]?.message).toContain('left in place');
    expect(warnings[0]?.details?.['file']).toBe(join(dir, entryFileName('bad')));
    expect(JSON.stringify(warnings)).not.toContain('SECRET');
    await store.close();
    expect(snapshot(dir)).toEqual(before);
  });

  it('a symlinked store directory is ESYMLINK, synchronously, and nothing is created through it', async () => {
    const base = await tempDir();
    const real = join(base, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(base, 'store'));
    let error: unknown;
    try {
      openStoreSync(join(base, 'store'));
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({ code: 'ESYMLINK', path: join(base, 'store'), op: 'openDirSync' });
    expect(readdirSync(real)).toEqual([]);
  });

  it('a commit by another store handle is seen by the very next synchronous read (and async reads on the same object)', async () => {
    const dir = await storeWith({ a: { n: 1 } });
    const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
    const writer = await openStore<Entry>(dir, quiet);
    await writer.update('a', () => ({ n: 2 }));
    expect(reader.getSync('a')).toEqual({ n: 2 });
    await writer.updateMany((record) => {
      record['b'] = { n: 3 };
      delete record['a'];
    });
    expect({ ...reader.loadAllSync() }).toEqual({ b: { n: 3 } });
    await writer.update('b', () => ({ n: 4 }));
    expect(await reader.get('b')).toEqual({ n: 4 });
    await writer.close();
    await reader.close();
  });

  it('a directory with no .locks and no .changes yet reads as it is, creates neither, and follows a writer that arrives later', async () => {
    const dir = join(await tempDir(), 'store');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, entryFileName('a')), serializeRecord('a', 1, '{"n":1}'), { mode: 0o600 });
    const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
    expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 1 } });
    expect(readdirSync(dir)).toEqual([entryFileName('a')]);
    const writer = await openStore<Entry>(dir, quiet);
    await writer.updateMany((record) => {
      record['a'] = { n: 2 };
      record['b'] = { n: 2 };
    });
    expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 } });
    await writer.close();
    await reader.close();
  });

  describe('a multi-key commit left pending (its writer stopped after the intent)', () => {
    const ID = 'a1b2c3d4e5f6a1b2c3d4e5f6';
    const files = [entryFileName('a'), entryFileName('b')];
    const marker = { id: ID, files };

    /** a and b at rev 1; the commit sets a=2 and (b=2 or deletes b); `renamed` of its files already renamed. */
    async function pending(renamed: number, deleteB = false, existing?: string): Promise<string> {
      const dir = existing ?? (await storeWith({ a: { n: 1 }, b: { n: 1 } }));
      const texts = [serializeRecord('a', 2, '{"n":2}', marker), deleteB ? serializeTombstone('b', 2, marker) : serializeRecord('b', 2, '{"n":2}', marker)];
      const intent = files.map((file, index) => ({ file, staged: stagedFileName(ID, index), from: 1, rev: 2, del: deleteB && index === 1 }));
      files.forEach((file, index) => {
        writeFileSync(join(dir, index < renamed ? file : stagedFileName(ID, index)), texts[index] as string, { mode: 0o600 });
      });
      writeFileSync(join(dir, '.locks', intentFileName(ID)), `${JSON.stringify({ v: 1, id: ID, files: intent })}\n`, { mode: 0o600 });
      return dir;
    }

    for (const renamed of [0, 1, 2]) {
      it(`with ${renamed} of its 2 files renamed, the first synchronous read gives its outcome whole, and leaves it for recovery`, async () => {
        const dir = await pending(renamed);
        const before = snapshot(dir);
        const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
        expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 } });
        expect(reader.getSync('b')).toEqual({ n: 2 });
        // The async reads answer synchronously too: they never try to complete it.
        expect(await reader.has('b')).toBe(true);
        expect((await reader.keys()).sort()).toEqual(['a', 'b']);
        expect(snapshot(dir)).toEqual(before); // nothing completed, renamed or removed by a read
        await reader.close();
        // Recovery (the next writable open) leaves exactly what the read gave.
        const writer = await openStore<Entry>(dir, quiet);
        expect({ ...(await writer.loadAll()) }).toEqual({ a: { n: 2 }, b: { n: 2 } });
        expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.txn'))).toEqual([]);
        await writer.close();
      });
    }

    it('met after a first read, it reads as its outcome too (a writer that died does not pin the old view), and later commits show', async () => {
      const dir = await storeWith({ a: { n: 1 }, b: { n: 1 }, c: { n: 1 } });
      const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 1 }, b: { n: 1 }, c: { n: 1 } });
      await pending(1, false, dir);
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 }, c: { n: 1 } });
      const other = openStoreSync<Entry>(dir, quiet);
      expect({ ...other?.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 }, c: { n: 1 } });
      await other?.close();
      // A writable open completes it; a commit of c after that is seen, with a and b as committed.
      const writer = await openStore<Entry>(dir, quiet);
      await writer.update('c', () => ({ n: 3 }));
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 }, c: { n: 3 } });
      await writer.close();
      await reader.close();
    });

    it('a reader opened before .locks existed looks for it again, and reads a commit pending there as its outcome', async () => {
      const dir = await storeWith({ a: { n: 1 }, b: { n: 1 } });
      rmSync(join(dir, '.locks'), { recursive: true });
      const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 1 }, b: { n: 1 } });
      mkdirSync(join(dir, '.locks'), { mode: 0o700 });
      await pending(1, false, dir);
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 } });
      await reader.close();
    });

    it('a pending delete reads as deleted (the staged tombstone), the other key as written', async () => {
      const dir = await pending(1, true);
      const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 } });
      expect(reader.getSync('b')).toBeUndefined();
      await reader.close();
      expect(JSON.parse(readFileSync(join(dir, entryFileName('b')), 'utf8'))).toMatchObject({ rev: 1, entry: { n: 1 } });
    });

    it('renamed and its intent removed but its locks not yet released: a warm read re-reads all its files (never half)', async () => {
      const dir = await storeWith({ a: { n: 1 }, b: { n: 1 } });
      const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 1 }, b: { n: 1 } });
      // The commit's files as its renames leave them, no change record, only a's lock still held.
      writeFileSync(join(dir, entryFileName('a')), serializeRecord('a', 2, '{"n":2}', marker), { mode: 0o600 });
      writeFileSync(join(dir, entryFileName('b')), serializeRecord('b', 2, '{"n":2}', marker), { mode: 0o600 });
      writeFileSync(join(dir, '.locks', `${entryFileName('a')}.lock`), 'held by the committing writer', { mode: 0o600 });
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 } });
      await reader.close();
    });

    it("a locked file whose marker does not list the commit's files: a warm read keeps its whole previous view, a first read lists every file", async () => {
      const dir = await storeWith({ a: { n: 1 }, b: { n: 1 } });
      const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 1 }, b: { n: 1 } });
      const unlisted = { id: ID, files: undefined };
      writeFileSync(join(dir, entryFileName('a')), serializeRecord('a', 2, '{"n":2}', unlisted), { mode: 0o600 });
      writeFileSync(join(dir, entryFileName('b')), serializeRecord('b', 2, '{"n":2}', unlisted), { mode: 0o600 });
      writeFileSync(join(dir, '.locks', `${entryFileName('a')}.lock`), 'held by the committing writer', { mode: 0o600 });
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 1 }, b: { n: 1 } });
      const fresh = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect({ ...fresh.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 } });
      await fresh.close();
      await reader.close();
    });

    it('an entry moved past the intent\'s starting rev keeps its own value (the roll-forward rule)', async () => {
      const dir = await pending(0);
      writeFileSync(join(dir, entryFileName('b')), serializeRecord('b', 5, '{"n":5}'), { mode: 0o600 });
      const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 5 } });
      await reader.close();
      const writer = await openStore<Entry>(dir, quiet);
      expect({ ...(await writer.loadAll()) }).toEqual({ a: { n: 2 }, b: { n: 5 } });
      await writer.close();
    });

    it('its intent with its locks still held (the writer died mid-commit): a warm read gives its outcome whole', async () => {
      const dir = await storeWith({ a: { n: 1 }, b: { n: 1 } });
      const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 1 }, b: { n: 1 } });
      await pending(1, false, dir);
      // a is renamed (it carries the marker) and its lock file is still there.
      writeFileSync(join(dir, '.locks', `${entryFileName('a')}.lock`), 'left by the writer that died', { mode: 0o600 });
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 } });
      await reader.close();
    });

    it('the files a pending commit was read from are read again, from the entry files, at the next read', async () => {
      const dir = await storeWith({ a: { n: 1 }, b: { n: 1 } });
      const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 1 }, b: { n: 1 } });
      await pending(0, false, dir);
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 } });
      // Recovery completes it (renames, intent removed) and a later commit of b's writer changes
      // b again before any record of it is read: the read after re-reads the commit's files.
      renameSync(join(dir, stagedFileName(ID, 0)), join(dir, entryFileName('a')));
      rmSync(join(dir, stagedFileName(ID, 1)));
      rmSync(join(dir, '.locks', intentFileName(ID)));
      writeFileSync(join(dir, entryFileName('b')), serializeRecord('b', 3, '{"n":3}'), { mode: 0o600 });
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 3 } });
      await reader.close();
    });

    it('renamed, intent removed, a lock still held: a warm read re-reads the files its marker lists and no other', async () => {
      const dir = await storeWith({ a: { n: 1 }, b: { n: 1 }, c: { n: 1 } });
      const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 1 }, b: { n: 1 }, c: { n: 1 } });
      writeFileSync(join(dir, entryFileName('a')), serializeRecord('a', 2, '{"n":2}', marker), { mode: 0o600 });
      writeFileSync(join(dir, entryFileName('b')), serializeRecord('b', 2, '{"n":2}', marker), { mode: 0o600 });
      writeFileSync(join(dir, '.locks', `${entryFileName('a')}.lock`), 'held by the committing writer', { mode: 0o600 });
      // Changed with no record and no lock: not something a read is told about, so not re-read.
      writeFileSync(join(dir, entryFileName('c')), serializeRecord('c', 9, '{"n":9}'), { mode: 0o600 });
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 }, c: { n: 1 } });
      await reader.close();
    });

    it('renamed, intent removed, a lock still held: a first read gives the commit whole and every other key too', async () => {
      const dir = await storeWith({ a: { n: 1 }, b: { n: 1 }, c: { n: 1 } });
      writeFileSync(join(dir, entryFileName('a')), serializeRecord('a', 2, '{"n":2}', marker), { mode: 0o600 });
      writeFileSync(join(dir, entryFileName('b')), serializeRecord('b', 2, '{"n":2}', marker), { mode: 0o600 });
      writeFileSync(join(dir, '.locks', `${entryFileName('a')}.lock`), 'held by the committing writer', { mode: 0o600 });
      const warnings: string[] = [];
      const reader = openStoreSync<Entry>(dir, { fsync: false, logger: { warn: (message) => void warnings.push(message) } }) as Store<Entry>;
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 }, c: { n: 1 } });
      expect(warnings).toEqual([]);
      await reader.close();
    });

    it('a first read meeting a locked file whose marker lists no files reads only entry files (nothing else in the directory)', async () => {
      const dir = await storeWith({ a: { n: 1 }, b: { n: 1 } });
      const unlisted = { id: ID, files: undefined };
      writeFileSync(join(dir, entryFileName('a')), serializeRecord('a', 2, '{"n":2}', unlisted), { mode: 0o600 });
      writeFileSync(join(dir, '.locks', `${entryFileName('a')}.lock`), 'held by the committing writer', { mode: 0o600 });
      const warnings: string[] = [];
      const reader = openStoreSync<Entry>(dir, { fsync: false, logger: { warn: (message) => void warnings.push(message) } }) as Store<Entry>;
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 1 } });
      expect(warnings).toEqual([]);
      await reader.close();
    });

    it('an intent that cannot be read as a file is refused, not taken for a finished commit', async () => {
      const dir = await pending(0);
      const intent = join(dir, '.locks', intentFileName(ID));
      rmSync(intent);
      mkdirSync(intent);
      const error = thrown(() => openStoreSync<Entry>(dir, quiet));
      expect(error.code).toBe('EINSECURE');
      expect(error.path).toBe(intent);
      expect(error.message).toContain('not a regular file');
    });

    it('an intent that is not a valid intent is ECORRUPT naming the intent file', async () => {
      const dir = await pending(0);
      writeFileSync(join(dir, '.locks', intentFileName(ID)), '{"v":1,"id":"nope"}\n', { mode: 0o600 });
      const error = thrown(() => openStoreSync<Entry>(dir, quiet));
      expect(error.code).toBe('ECORRUPT');
      expect(error.path).toBe(join(dir, '.locks', intentFileName(ID)));
      expect(error.message).toContain('malformed multi-key commit intent');
    });
  });

  it('a warm read sees the commits of an exclusive writer (its writer.lock in .locks is no entry lock)', async () => {
    const dir = await storeWith({ a: { n: 1 } });
    const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
    expect(reader.getSync('a')).toEqual({ n: 1 });
    const writer = await openStore<Entry>(dir, { ...quiet, writer: 'exclusive' });
    await writer.update('a', () => ({ n: 2 }));
    expect(reader.getSync('a')).toEqual({ n: 2 });
    expect(reader.getSync('a')).toEqual({ n: 2 });
    await writer.close();
    await reader.close();
  });

  it('a file locked when a warm read lists the locks is read again by it (a one-key commit may be renaming it)', async () => {
    const dir = await storeWith({ a: { n: 1 }, b: { n: 1 } });
    const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
    expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 1 }, b: { n: 1 } });
    const release = await holdLock(dir, 'b');
    try {
      writeFileSync(join(dir, entryFileName('b')), serializeRecord('b', 2, '{"n":2}'), { mode: 0o600 });
      expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 1 }, b: { n: 2 } });
    } finally {
      await release();
    }
    await reader.close();
  });

  describe('the store directory replaced behind a synchronous reader', () => {
    it('replaced by another directory: ECLOSED naming the store directory', async () => {
      const dir = await storeWith({ a: { n: 1 } });
      const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect(reader.getSync('a')).toEqual({ n: 1 });
      renameSync(dir, `${dir}.old`);
      mkdirSync(dir, { mode: 0o700 });
      mkdirSync(join(dir, '.locks'), { mode: 0o700 });
      const error = thrown(() => reader.getSync('a'));
      expect(error.code).toBe('ECLOSED');
      expect(error.path).toBe(dir);
      expect(error.message).toContain('the store directory was removed or replaced');
      await reader.close();
    });

    it('removed: ECLOSED naming the store directory', async () => {
      const dir = await storeWith({ a: { n: 1 } });
      const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect(reader.getSync('a')).toEqual({ n: 1 });
      renameSync(dir, `${dir}.old`);
      const error = thrown(() => reader.loadAllSync());
      expect(error.code).toBe('ECLOSED');
      expect(error.path).toBe(dir);
      await reader.close();
    });

    it('only its .locks replaced: ECLOSED naming the lock directory', async () => {
      const dir = await storeWith({ a: { n: 1 } });
      const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
      expect(reader.getSync('a')).toEqual({ n: 1 });
      renameSync(join(dir, '.locks'), join(dir, '.locks.old'));
      mkdirSync(join(dir, '.locks'), { mode: 0o700 });
      const error = thrown(() => reader.getSync('a'));
      expect(error.code).toBe('ECLOSED');
      expect(error.path).toBe(join(dir, '.locks'));
      expect(error.message).toContain('lock directory');
      await reader.close();
    });
  });
});
