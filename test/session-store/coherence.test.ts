// How a warm loadAll cache follows the change log (.stamp): it re-reads the entry files a commit
// names and the files whose lock exists, not the whole store; anything it cannot account for
// makes it read everything again. Files are edited here behind the store's back on purpose: an
// edit that no commit announced is exactly what shows which files a refresh re-reads.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChangeLog, openDir } from '../../src/index.js';
import { entryFileName, openSessionStore, type SessionStore } from '../../src/session-store/index.js';
import { useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

/** Rewrites an entry file directly, as a commit would leave it, but announced to nobody. */
function editBehindTheStoresBack(store: SessionStore, key: string, entry: object, rev: number): void {
  const text = `{"entry":${JSON.stringify(entry)},"key":${JSON.stringify(key)},"rev":${rev},"v":1}\n`;
  writeFileSync(join(store.directoryPath, entryFileName(key)), text);
}

async function twoStores(): Promise<{ reader: SessionStore; writer: SessionStore; warnings: string[] }> {
  const path = join(await tempDir(), 'sessions.json');
  const warnings: string[] = [];
  const options = { fsync: false, logger: { warn: (message: string) => warnings.push(message) } };
  const reader = await openSessionStore(path, options);
  const writer = await openSessionStore(path, options);
  for (const key of ['a', 'b', 'c']) await writer.update(key, () => ({ n: 1 }));
  expect(Object.keys(await reader.loadAll()).sort()).toEqual(['a', 'b', 'c']); // warm
  return { reader, writer, warnings };
}

async function appendRecord(store: SessionStore, record: string): Promise<void> {
  const dir = await openDir(store.directoryPath);
  const log = await openChangeLog(dir, '.stamp');
  await log.append(record);
  await log.close();
  await dir.close();
}

describe('loadAll refreshes from the change log', () => {
  it('re-reads only the files a commit names (an unannounced edit elsewhere stays unseen until a rotation)', async () => {
    const { reader, writer } = await twoStores();
    editBehindTheStoresBack(writer, 'b', { n: 99 }, 2);
    await writer.update('a', () => ({ n: 2 }));
    const after = await reader.loadAll();
    expect(after['a']).toEqual({ n: 2 }); // announced: seen at once
    expect(after['b']).toEqual({ n: 1 }); // not announced: not re-read, which is the point
    const dir = await openDir(writer.directoryPath);
    const log = await openChangeLog(dir, '.stamp');
    await log.rotate();
    await log.close();
    await dir.close();
    expect((await reader.loadAll())['b']).toEqual({ n: 99 }); // a new generation: everything re-read
    await reader.close();
    await writer.close();
  });

  it('a cached loadAll with no new record returns the very same frozen object', async () => {
    const { reader, writer } = await twoStores();
    const first = await reader.loadAll();
    expect(await reader.loadAll()).toBe(first);
    await writer.update('c', () => ({ n: 3 }));
    const second = await reader.loadAll();
    expect(second).not.toBe(first);
    expect(Object.isFrozen(second)).toBe(true);
    expect(first['c']).toEqual({ n: 1 }); // the old snapshot a caller still holds is unchanged
    expect(second['c']).toEqual({ n: 3 });
    await reader.close();
    await writer.close();
  });

  it('re-reads a file while its lock exists, and once more after the lock is gone (a writer that died before its record)', async () => {
    const { reader, writer } = await twoStores();
    const locks = join(writer.directoryPath, '.locks');
    mkdirSync(locks, { recursive: true });
    const lock = join(locks, `${entryFileName('b')}.lock`);
    writeFileSync(lock, 'left by a writer that was killed');
    editBehindTheStoresBack(writer, 'b', { n: 2 }, 2);
    expect((await reader.loadAll())['b']).toEqual({ n: 2 });
    editBehindTheStoresBack(writer, 'b', { n: 3 }, 3); // its last rename, just before dying
    await rm(lock); // the lock is taken over and removed
    expect((await reader.loadAll())['b']).toEqual({ n: 3 });
    editBehindTheStoresBack(writer, 'b', { n: 4 }, 4); // no lock, no record: no longer re-read
    expect((await reader.loadAll())['b']).toEqual({ n: 3 });
    await reader.close();
    await writer.close();
  });

  it('reloads everything on a "*" record, and on a record naming no entry file (with a warning)', async () => {
    const { reader, writer, warnings } = await twoStores();
    editBehindTheStoresBack(writer, 'a', { n: 10 }, 2);
    await appendRecord(writer, '*');
    expect((await reader.loadAll())['a']).toEqual({ n: 10 });
    expect(warnings).toEqual([]);
    for (const [index, record] of ['../../etc/passwd', 'a.json/.stamp', 'x.json/', 'not-an-entry'].entries()) {
      editBehindTheStoresBack(writer, 'a', { n: 20 + index }, 3 + index);
      await appendRecord(writer, record);
      expect((await reader.loadAll())['a']).toEqual({ n: 20 + index });
    }
    expect(warnings).toHaveLength(4);
    for (const warning of warnings) expect(warning).toMatch(/change record names no entry file/);
    await reader.close();
    await writer.close();
  });

  it('updateMany on a cache that missed an unannounced change re-reads that key and runs again on fresh data', async () => {
    const { reader, writer } = await twoStores();
    editBehindTheStoresBack(writer, 'a', { n: 50 }, 2);
    const seen: number[] = [];
    await reader.updateMany((record) => {
      const current = record['a'] as { n: number };
      seen.push(current.n);
      record['a'] = { n: current.n + 1 };
    });
    expect(seen).toEqual([1, 50]); // the stale value was refused at commit time, then refreshed
    expect(await writer.get('a')).toEqual({ n: 51 });
    await reader.close();
    await writer.close();
  });

  it('a commit touching more files than a record lists announces "*" and still reaches every reader', async () => {
    const { reader, writer } = await twoStores();
    const keys = Array.from({ length: 400 }, (_, i) => `${'long-key-'.repeat(12)}${i}`);
    await writer.updateMany((record) => {
      for (const key of keys) record[key] = { n: 7 };
    });
    expect(readFileSync(join(writer.directoryPath, '.stamp'), 'utf8').endsWith('\n*\n')).toBe(true);
    const all = await reader.loadAll();
    for (const key of keys) expect(all[key]).toEqual({ n: 7 });
    await reader.close();
    await writer.close();
  });

  it('deletes and quarantines are announced too', async () => {
    const { reader, writer } = await twoStores();
    await writer.delete('a');
    writeFileSync(join(writer.directoryPath, entryFileName('b')), 'garbage');
    expect(await writer.get('b')).toBeUndefined(); // the writer finds it corrupt and quarantines it
    const all = await reader.loadAll();
    expect(Object.keys(all).sort()).toEqual(['c']);
    await reader.close();
    await writer.close();
  });
});
