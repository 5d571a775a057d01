// How a warm loadAll cache follows the change log (.changes): it re-reads the entry files a commit
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
  const log = await openChangeLog(dir, '.changes');
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
    const log = await openChangeLog(dir, '.changes');
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
    for (const [index, record] of ['../../etc/passwd', 'a.json/.changes', 'x.json/', 'not-an-entry'].entries()) {
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
    // Too many names to list: the record names the commit and says "everything".
    expect(readFileSync(join(writer.directoryPath, '.changes'), 'utf8')).toMatch(/\n@[0-9a-f]{24}\/\*\n$/);
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

describe('a newly opened store starts from .snapshot', () => {
  async function openWith(path: string, warnings: string[]): Promise<SessionStore> {
    return openSessionStore(path, { fsync: false, logger: { warn: (message: string) => warnings.push(message) } });
  }

  it('uses the snapshot of the current generation and applies the records appended after it', async () => {
    const { reader, writer } = await twoStores();
    const snapshotPath = join(writer.directoryPath, '.snapshot');
    expect(readFileSync(snapshotPath, 'utf8').split('\n')[0]).toMatch(/^\{"v":1,"generation":"[0-9a-f]{32}"/);
    editBehindTheStoresBack(writer, 'b', { n: 99 }, 2); // unannounced: only a full read would see it
    await writer.update('a', () => ({ n: 2 })); // announced after the snapshot was taken
    const warnings: string[] = [];
    const fresh = await openWith(writer.storePath, warnings);
    const all = await fresh.loadAll();
    expect(all['a']).toEqual({ n: 2 });
    expect(all['b']).toEqual({ n: 1 }); // from the snapshot: the files were not all read
    expect(all['c']).toEqual({ n: 1 });
    expect(warnings).toEqual([]);
    // The documented way to make every process read every file again: remove the change log.
    await rm(join(writer.directoryPath, '.changes'));
    expect((await fresh.loadAll())['b']).toEqual({ n: 99 });
    expect((await reader.loadAll())['b']).toEqual({ n: 99 });
    await fresh.close();
    await reader.close();
    await writer.close();
  });

  it('ignores a snapshot of an older generation', async () => {
    const { reader, writer } = await twoStores();
    editBehindTheStoresBack(writer, 'b', { n: 99 }, 2);
    const dir = await openDir(writer.directoryPath);
    const log = await openChangeLog(dir, '.changes');
    await log.rotate();
    await log.close();
    await dir.close();
    const fresh = await openWith(writer.storePath, []);
    expect((await fresh.loadAll())['b']).toEqual({ n: 99 });
    await fresh.close();
    await reader.close();
    await writer.close();
  });

  it('re-reads the files that were locked when the snapshot was taken', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const writer = await openWith(path, []);
    for (const key of ['a', 'b']) await writer.update(key, () => ({ n: 1 }));
    const lock = join(writer.directoryPath, '.locks', `${entryFileName('b')}.lock`);
    writeFileSync(lock, 'a commit under way');
    const reader = await openWith(path, []);
    await reader.loadAll(); // full read: the snapshot records b as in flight
    expect(readFileSync(join(writer.directoryPath, '.snapshot'), 'utf8').split('\n')[0]).toContain(entryFileName('b'));
    editBehindTheStoresBack(writer, 'b', { n: 2 }, 2); // the commit's rename …
    await rm(lock); // … and its writer dies before its record; the lock is cleared
    const fresh = await openWith(path, []);
    expect((await fresh.loadAll())['b']).toEqual({ n: 2 });
    for (const store of [fresh, reader, writer]) await store.close();
  });

  it('reports an unusable snapshot and reads the entry files instead', async () => {
    const { reader, writer } = await twoStores();
    const snapshotPath = join(writer.directoryPath, '.snapshot');
    const [header] = readFileSync(snapshotPath, 'utf8').split('\n');
    const foreign = `{"entry":{"n":666},"key":"b","rev":9,"v":1}`; // a record claiming b …
    const bodies = [
      'not json',
      `[${foreign.replace('"key":"b"', '"key":"__proto__"')}]`,
      '{"a":1}',
      `[${foreign},${foreign}]`,
      `[{"entry":[],"key":"a","rev":1,"v":1}]`,
    ];
    for (const body of bodies) {
      writeFileSync(snapshotPath, `${header}\n${body}`);
      const warnings: string[] = [];
      const fresh = await openWith(writer.storePath, warnings);
      const all = await fresh.loadAll();
      expect(all['b']).toEqual({ n: 1 }); // … is never believed
      expect(Object.keys(all).sort()).toEqual(['a', 'b', 'c']);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/ignored an unusable snapshot/);
      await fresh.close();
      // The store that tripped over it wrote a good one: the next process starts from that.
      const next = await openWith(writer.storePath, warnings);
      expect(Object.keys(await next.loadAll()).sort()).toEqual(['a', 'b', 'c']);
      expect(warnings).toHaveLength(1);
      await next.close();
    }
    writeFileSync(snapshotPath, 'garbage without a header line');
    const warnings: string[] = [];
    const fresh = await openWith(writer.storePath, warnings);
    expect(Object.keys(await fresh.loadAll()).sort()).toEqual(['a', 'b', 'c']);
    expect(warnings).toHaveLength(1);
    await fresh.close();
    await reader.close();
    await writer.close();
  });
});

describe('refresh edges', () => {
  it('concurrent loadAll calls share one refresh and one snapshot object', async () => {
    const { reader, writer } = await twoStores();
    await writer.update('a', () => ({ n: 5 }));
    const all = await Promise.all([reader.loadAll(), reader.loadAll(), reader.loadAll()]);
    expect(all[1]).toBe(all[0]);
    expect(all[2]).toBe(all[0]);
    expect(all[0]['a']).toEqual({ n: 5 });
    await reader.close();
    await writer.close();
  });

  it('files in .locks that are not entry locks are ignored', async () => {
    const { reader, writer } = await twoStores();
    for (const name of ['stray', '.hardfs-takeover', 'x.json.lock.hardfs-aside-00', '.hidden.json.lock']) {
      writeFileSync(join(writer.directoryPath, '.locks', name), 'x');
    }
    await writer.update('b', () => ({ n: 2 }));
    expect((await reader.loadAll())['b']).toEqual({ n: 2 });
    await reader.close();
    await writer.close();
  });

  it('a snapshot that cannot be saved (a directory at .snapshot) is reported; loading works all the same', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const warnings: string[] = [];
    const options = { fsync: false, logger: { warn: (message: string) => warnings.push(message) } };
    const writer = await openSessionStore(path, options);
    await writer.update('a', () => ({ n: 1 }));
    mkdirSync(join(writer.directoryPath, '.snapshot'));
    const reader = await openSessionStore(path, options);
    expect(Object.keys(await reader.loadAll())).toEqual(['a']);
    expect(warnings.some((warning) => /ignored an unusable snapshot/.test(warning))).toBe(true);
    expect(warnings.some((warning) => /could not save the snapshot/.test(warning))).toBe(true);
    await reader.close();
    await writer.close();
  });

  it('malformed snapshot headers are reported and ignored', async () => {
    const { reader, writer } = await twoStores();
    const snapshotPath = join(writer.directoryPath, '.snapshot');
    const [header, ...rest] = readFileSync(snapshotPath, 'utf8').split('\n');
    const body = rest.join('\n');
    const parsed = JSON.parse(header!) as Record<string, unknown>;
    const headers = [
      '[]',
      JSON.stringify({ ...parsed, v: 2 }),
      JSON.stringify({ ...parsed, offset: -1 }),
      JSON.stringify({ ...parsed, offset: 'x' }),
      JSON.stringify({ ...parsed, partial: 'no' }),
      JSON.stringify({ ...parsed, generation: 5 }),
      JSON.stringify({ ...parsed, inFlight: ['../escape'] }),
      JSON.stringify({ ...parsed, inFlight: 'a.json' }),
    ];
    for (const bad of headers) {
      writeFileSync(snapshotPath, `${bad}\n${body}`);
      const warnings: string[] = [];
      const fresh = await openSessionStore(writer.storePath, { fsync: false, logger: { warn: (message: string) => warnings.push(message) } });
      expect(Object.keys(await fresh.loadAll()).sort()).toEqual(['a', 'b', 'c']);
      expect(warnings, bad).toHaveLength(1);
      await fresh.close();
    }
    await reader.close();
    await writer.close();
  });
});

