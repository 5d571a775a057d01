import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChangeLog, openDir } from '../../src/index.js';
import { entryFileName, openStore, type StoreOptions } from '../../src/store/index.js';
import { serializeRecord } from '../../src/store/entry-record.js';
import { caught } from '../support/tmp.js';
import { holdLock, tempDir, type Warning, open, storeIn, twoStores } from './support.js';

describe('the .snapshot file', () => {
  it('an empty store saves no snapshot', async () => {
    const { dir, store } = await storeIn();
    expect(await store.loadAll()).toEqual({});
    expect(existsSync(join(dir, '.snapshot'))).toBe(false);
  });

  it('is saved once per generation: a full load in a generation it already saved does not write it again', async () => {
    const { dir, reader } = await twoStores(); // the reader's first load saved it
    const snapshotPath = join(dir, '.snapshot');
    expect(existsSync(snapshotPath)).toBe(true);
    rmSync(snapshotPath);
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.append('*');
    await log.close();
    await handle.close();
    expect(Object.keys(await reader.loadAll()).sort()).toEqual(['a', 'b', 'c']);
    expect(existsSync(snapshotPath)).toBe(false);
  });

  it('a full load does not rewrite a snapshot another store already saved for the current generation', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const late = await open(path);
    expect(await late.loadAll()).toEqual({}); // seeded (no snapshot): cached, empty
    const writer = await open(path);
    await writer.update('a', () => ({ n: 1 }));
    const first = await open(path);
    await first.loadAll(); // full load: saves the snapshot
    const snapshotPath = join(writer.directoryPath, '.snapshot');
    const before = statSync(snapshotPath).ino;
    const handle = await openDir(writer.directoryPath);
    const log = await openChangeLog(handle, '.changes');
    await log.append('*');
    await log.close();
    await handle.close();
    expect(Object.keys(await late.loadAll())).toEqual(['a']); // full load, same generation
    expect(statSync(snapshotPath).ino).toBe(before);
  });

  it('a store that replaced an unusable snapshot does not rewrite one saved by another store for a later generation', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const writer = await open(path);
    await writer.update('a', () => ({ n: 1 }));
    const dir = writer.directoryPath;
    writeFileSync(join(dir, '.snapshot'), 'garbage without a header line');
    const warnings: Warning[] = [];
    const replacer = await open(path, warnings);
    await replacer.loadAll(); // reports it and saves a good one
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.details).toEqual({ file: join(dir, '.snapshot'), reason: expect.any(String) as unknown });
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.rotate();
    await log.close();
    await handle.close();
    const other = await open(path);
    await other.loadAll(); // new generation: saves its snapshot
    const before = statSync(join(dir, '.snapshot')).ino;
    await replacer.loadAll(); // a full load in the same new generation
    expect(statSync(join(dir, '.snapshot')).ino).toBe(before);
  });

  it('a snapshot that cannot be saved is reported with its path and the reason', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const writer = await open(path);
    await writer.update('a', () => ({ n: 1 }));
    mkdirSync(join(writer.directoryPath, '.snapshot'));
    const warnings: Warning[] = [];
    const reader = await open(path, warnings);
    await reader.loadAll();
    const saving = warnings.find((warning) => warning.message === 'hardfs store: could not save the snapshot file');
    expect(saving?.details).toEqual({ file: join(writer.directoryPath, '.snapshot'), reason: expect.any(String) as unknown });
  });
});

describe('a store opened on a .snapshot', () => {
  type Entry = { n: number };

  async function seeded(options: StoreOptions = {}) {
    const dir = join(await tempDir(), 'store');
    const writer = await openStore<Entry>(dir, { fsync: false });
    for (const key of ['a', 'b', 'c']) await writer.update(key, () => ({ n: 1 }));
    const saver = await openStore<Entry>(dir, { fsync: false });
    await saver.loadAll(); // a full load: saves the snapshot
    await saver.close();
    expect(existsSync(join(dir, '.snapshot'))).toBe(true);
    const warnings: Warning[] = [];
    const openReader = (more: StoreOptions = {}) =>
      openStore<Entry>(dir, { fsync: false, logger: { warn: (message, details) => void warnings.push({ message, details }) }, ...options, ...more });
    return { dir, writer, warnings, openReader };
  }

  function record(dir: string, key: string, n: number, rev: number): void {
    writeFileSync(join(dir, entryFileName(key)), serializeRecord(key, rev, JSON.stringify({ n })), { mode: 0o600 });
  }

  it('starts from it: the files it holds are not read, those named since it was saved are', async () => {
    const { dir, writer, warnings, openReader } = await seeded();
    record(dir, 'a', 99, 2); // behind every store's back: only a full load would see it
    await writer.update('c', () => ({ n: 5 }));
    const reader = await openReader();
    expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 1 }, b: { n: 1 }, c: { n: 5 } });
    expect(warnings).toEqual([]);
    await Promise.all([writer.close(), reader.close()]);
  });

  it('the files locked while it was saved are read again by the store that starts from it', async () => {
    const dir = join(await tempDir(), 'store');
    const writer = await openStore<Entry>(dir, { fsync: false });
    for (const key of ['a', 'b']) await writer.update(key, () => ({ n: 1 }));
    const release = await holdLock(dir, 'b');
    const saver = await openStore<Entry>(dir, { fsync: false });
    await saver.loadAll(); // saves the snapshot with b in flight
    record(dir, 'b', 2, 2); // the locked commit's rename, after the save
    await release();
    await saver.close();
    const reader = await openStore<Entry>(dir, { fsync: false });
    expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 1 }, b: { n: 2 } });
    await Promise.all([writer.close(), reader.close()]);
  });

  it('of an older generation of the change log: not used, without a warning; every file is read', async () => {
    const { dir, writer, warnings, openReader } = await seeded();
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.rotate();
    await log.close();
    await handle.close();
    record(dir, 'a', 99, 2);
    record(dir, 'd', 1, 1); // not in it, and no record of this generation names it: never compared
    const reader = await openReader();
    expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 99 }, b: { n: 1 }, c: { n: 1 }, d: { n: 1 } });
    expect(warnings).toEqual([]);
    await Promise.all([writer.close(), reader.close()]);
  });

  it('larger than maxSnapshotBytes: reported and ignored, every file is read', async () => {
    const { dir, writer, warnings, openReader } = await seeded();
    record(dir, 'a', 99, 2);
    const reader = await openReader({ maxSnapshotBytes: 10 });
    expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 99 }, b: { n: 1 }, c: { n: 1 } });
    expect(warnings.map((warning) => warning.message)).toEqual(['hardfs store: ignored an unusable snapshot file; reading every entry file']);
    await Promise.all([writer.close(), reader.close()]);
  });

  it('holding more than maxTotalEntryBytes: ETOOBIG naming the bound, not an unusable snapshot', async () => {
    const { dir, writer, warnings, openReader } = await seeded();
    const reader = await openReader({ maxTotalEntryBytes: 20 });
    const error = await caught(reader.loadAll());
    expect(error.code).toBe('ETOOBIG');
    expect(error.path).toBe(dir);
    expect(error.message).toContain('entries total');
    expect(warnings).toEqual([]);
    await Promise.all([writer.close(), reader.close()]);
  });

  for (const [what, change, fragment] of [
    ['holding a key whose file is gone', (dir: string) => rmSync(join(dir, entryFileName('c'))), 'it holds a key with no entry file'],
    ['missing a file there is', (dir: string) => record(dir, 'd', 1, 1), 'an entry file is missing from it'],
  ] as const) {
    it(`${what} (changed with no record): reported as unusable, every file read, and replaced for the stores opened later`, async () => {
      const { dir, writer, warnings, openReader } = await seeded();
      change(dir);
      const reader = await openReader();
      const expected = what.startsWith('holding') ? ['a', 'b'] : ['a', 'b', 'c', 'd'];
      expect(Object.keys(await reader.loadAll()).sort()).toEqual(expected);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.details?.['reason']).toContain(fragment);
      expect(warnings[0]?.details?.['reason']).toContain('.snapshot');
      const later = await openReader();
      expect(Object.keys(await later.loadAll()).sort()).toEqual(expected);
      expect(warnings).toHaveLength(1); // the replaced snapshot is usable
      await Promise.all([writer.close(), reader.close(), later.close()]);
    });
  }

  it('is saved when its entries, one line each, fit maxSnapshotBytes exactly, and not when one byte over', async () => {
    const dir = join(await tempDir(), 'store');
    const writer = await openStore<Entry>(dir, { fsync: false });
    for (const key of ['a', 'b']) await writer.update(key, () => ({ n: 1 }));
    const lines = ['a', 'b'].reduce((sum, key) => sum + statSync(join(dir, entryFileName(key))).size + 1, 0);
    rmSync(join(dir, '.snapshot'), { force: true });
    const over = await openStore<Entry>(dir, { fsync: false, maxSnapshotBytes: lines - 1 });
    await over.loadAll();
    expect(existsSync(join(dir, '.snapshot'))).toBe(false);
    const exact = await openStore<Entry>(dir, { fsync: false, maxSnapshotBytes: lines });
    await exact.loadAll();
    expect(existsSync(join(dir, '.snapshot'))).toBe(true);
    await Promise.all([writer.close(), over.close(), exact.close()]);
  });
});
