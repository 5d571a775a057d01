import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChangeLog, openDir } from '../../src/index.js';
import { entryFileName } from '../../src/session-store/index.js';
import { openStore, type Store, type StoreOptions } from '../../src/store/index.js';
import { serializeRecord } from '../../src/store/entry-record.js';
import { caught, useTempDirs } from '../support/tmp.js';
import { editBehindTheStoresBack, holdLock, twoStores, quarantined } from './support.js';

describe('which files a refresh re-reads', () => {
  it('a rotated change log makes a warm cache read every file again', async () => {
    const { dir, reader } = await twoStores();
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.rotate();
    await log.close();
    await handle.close();
    expect((await reader.loadAll())['b']).toEqual({ n: 99 });
  });

  it('a delete announces only the deleted file', async () => {
    const { dir, reader, writer } = await twoStores();
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    expect(await writer.delete('a')).toBe(true);
    const all = await reader.loadAll();
    expect(Object.keys(all).sort()).toEqual(['b', 'c']);
    expect(all['b']).toEqual({ n: 1 }); // not announced: not re-read
  });

  it('a quarantine announces only the quarantined file', async () => {
    const { dir, reader, writer } = await twoStores();
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    writeFileSync(join(dir, entryFileName('a')), 'garbage');
    expect(await writer.get('a')).toBeUndefined();
    const all = await reader.loadAll();
    expect(Object.keys(all).sort()).toEqual(['b', 'c']);
    expect(all['b']).toEqual({ n: 1 });
  });

  it('files in .locks that only resemble entry locks make nothing re-read, and never a non-entry file', async () => {
    const { dir, reader, writer, warnings } = await twoStores();
    // Five characters after the entry file name, like ".lock", but not ".lock".
    writeFileSync(join(dir, '.locks', `${entryFileName('b')}.LOCK`), 'x');
    writeFileSync(join(dir, '.locks', '.changes.lock'), 'x');
    writeFileSync(join(dir, '.locks', '.snapshot.lock'), 'x');
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    await writer.update('a', () => ({ n: 2 }));
    const all = await reader.loadAll();
    expect(all['a']).toEqual({ n: 2 });
    expect(all['b']).toEqual({ n: 1 });
    expect(quarantined(dir)).toEqual([]);
    expect(warnings).toEqual([]);
    expect(existsSync(join(dir, '.changes'))).toBe(true);
  });

  it('concurrent loadAll calls share one refresh even while a lock makes every refresh re-read a file', async () => {
    const { dir, reader } = await twoStores();
    writeFileSync(join(dir, '.locks', `${entryFileName('b')}.lock`), 'a commit under way');
    const all = await Promise.all([reader.loadAll(), reader.loadAll(), reader.loadAll()]);
    expect(all[1]).toBe(all[0]);
    expect(all[2]).toBe(all[0]);
  });

  it('a change record naming no entry file is reported with the change log path', async () => {
    const { dir, reader, warnings } = await twoStores();
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.append('not-an-entry');
    await log.close();
    await handle.close();
    await reader.loadAll();
    expect(warnings).toEqual([
      {
        message: expect.stringContaining('reloading every entry') as string,
        details: { file: join(dir, '.changes') },
      },
    ]);
  });
});

describe('what a refresh takes from .locks/', () => {
  const tempDirs = useTempDirs();
  type Entry = { n: number };

  async function storeWith(entries: Record<string, Entry>, options: StoreOptions = {}): Promise<{ dir: string; writer: Store<Entry> }> {
    const dir = join(await tempDirs(), 'store');
    const writer = await openStore<Entry>(dir, { fsync: false, ...options });
    for (const [key, entry] of Object.entries(entries)) await writer.update(key, () => entry);
    return { dir, writer };
  }

  /** A lock file left by a writer that stopped: no readable owner, a heartbeat long past. */
  function abandonedLock(dir: string, fileName: string): void {
    const lock = join(dir, '.locks', `${fileName}.lock`);
    writeFileSync(lock, 'left by a writer that stopped', { mode: 0o600 });
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(lock, past, past);
  }

  it('a file locked when a refresh lists the locks is read again by it and by the next refresh (its commit may still be renaming)', async () => {
    const { dir, writer } = await storeWith({ a: { n: 1 }, b: { n: 1 } });
    const reader = await openStore<Entry>(dir, { fsync: false });
    expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 1 }, b: { n: 1 } });
    const release = await holdLock(dir, 'b');
    try {
      // The locked commit's rename lands (its record was read before this reader's cursor).
      writeFileSync(join(dir, entryFileName('b')), serializeRecord('b', 2, '{"n":2}'), { mode: 0o600 });
      expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 1 }, b: { n: 2 } });
      writeFileSync(join(dir, entryFileName('b')), serializeRecord('b', 3, '{"n":3}'), { mode: 0o600 });
    } finally {
      await release();
    }
    // Released now, but it was locked at the last refresh: this one reads it again too.
    expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 1 }, b: { n: 3 } });
    // And then no longer: an unannounced change of an unlocked file is not looked for.
    writeFileSync(join(dir, entryFileName('b')), serializeRecord('b', 4, '{"n":4}'), { mode: 0o600 });
    expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 1 }, b: { n: 3 } });
    await Promise.all([writer.close(), reader.close()]);
  });

  it('a locked file carrying a multi-key commit\'s marker makes the refresh wait for that commit and read all its files', async () => {
    const { dir, writer } = await storeWith({ a: { n: 1 }, b: { n: 1 }, c: { n: 1 } });
    const reader = await openStore<Entry>(dir, { fsync: false });
    expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 1 }, b: { n: 1 }, c: { n: 1 } });
    const marker = { id: 'a1b2c3d4e5f6a1b2c3d4e5f6', files: [entryFileName('a'), entryFileName('b')] };
    // Renamed and its intent removed, a's lock not yet released (its writer stopped there).
    writeFileSync(join(dir, entryFileName('a')), serializeRecord('a', 2, '{"n":2}', marker), { mode: 0o600 });
    writeFileSync(join(dir, entryFileName('b')), serializeRecord('b', 2, '{"n":2}', marker), { mode: 0o600 });
    writeFileSync(join(dir, entryFileName('c')), serializeRecord('c', 9, '{"n":9}'), { mode: 0o600 }); // unannounced, unlocked
    abandonedLock(dir, entryFileName('a'));
    expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 2 }, b: { n: 2 }, c: { n: 1 } });
    expect(existsSync(join(dir, '.locks', `${entryFileName('a')}.lock`))).toBe(false); // taken over and released
    await Promise.all([writer.close(), reader.close()]);
  });

  it('a locked file whose marker lists no files (a commit of many keys), its lock left by a writer that stopped: the refresh takes the lock over and reads the commit whole', async () => {
    const { dir, writer } = await storeWith({ a: { n: 1 }, b: { n: 1 }, c: { n: 1 } });
    const reader = await openStore<Entry>(dir, { fsync: false });
    expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 1 }, b: { n: 1 }, c: { n: 1 } });
    const unlisted = { id: 'a1b2c3d4e5f6a1b2c3d4e5f6', files: undefined };
    // The commit's record (its files not listed), both renames, its intent removed; a's lock left.
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.append('*');
    await log.close();
    await handle.close();
    writeFileSync(join(dir, entryFileName('a')), serializeRecord('a', 2, '{"n":2}', unlisted), { mode: 0o600 });
    writeFileSync(join(dir, entryFileName('b')), serializeRecord('b', 2, '{"n":2}', unlisted), { mode: 0o600 });
    abandonedLock(dir, entryFileName('a'));
    expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 2 }, b: { n: 2 }, c: { n: 1 } });
    expect(existsSync(join(dir, '.locks', `${entryFileName('a')}.lock`))).toBe(false);
    await Promise.all([writer.close(), reader.close()]);
  });

  it('a refresh that the store was closed under is ECLOSED naming the store', async () => {
    const { dir, writer } = await storeWith({ a: { n: 1 } });
    const pending = writer.loadAll();
    const closing = writer.close();
    const error = await caught(pending);
    await closing;
    expect(error.code).toBe('ECLOSED');
    expect(error.path).toBe(dir);
    expect(error.message).toContain('closed');
  });

  it('a refresh that reads only some files saves no snapshot (a snapshot must list every file)', async () => {
    const { dir, writer } = await storeWith({ big: { n: 1 } });
    await writer.update('big', () => ({ n: 1, pad: 'x'.repeat(2_000) } as Entry));
    // Too large for this reader's snapshot bound: its full load saves none.
    const reader = await openStore<Entry>(dir, { fsync: false, maxSnapshotBytes: 1_000 });
    expect(Object.keys(await reader.loadAll())).toEqual(['big']);
    expect(existsSync(join(dir, '.snapshot'))).toBe(false);
    await writer.update('small', () => ({ n: 2 }));
    expect(Object.keys(await reader.loadAll()).sort()).toEqual(['big', 'small']);
    expect(existsSync(join(dir, '.snapshot'))).toBe(false);
    const warnings: string[] = [];
    const later = await openStore<Entry>(dir, { fsync: false, logger: { warn: (message) => void warnings.push(message) } });
    expect(Object.keys(await later.loadAll()).sort()).toEqual(['big', 'small']);
    expect(warnings).toEqual([]);
    await Promise.all([writer.close(), reader.close(), later.close()]);
  });
});
