// A multi-key commit whose writer stopped after its intent was durable (crafted on disk exactly
// as commit.ts leaves it): stores already open complete it when they meet it — a get, a
// loadAll, or an update holding the key's lock (without waiting on its own lock) — and a store
// opened later completes it at open.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryFileName, openStore } from '../../src/store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';
import { importFresh } from '../support/platform.js';
import { holdLock } from './support.js';

const tempDir = useTempDirs();
const ID = 'ab'.repeat(12);

/** a and b at rev 1 ({ n: 1 } each); then a crashed commit moving them to { n: 2 }: a renamed, b still staged. */
async function crashedCommit() {
  const dir = join(await tempDir(), 'store');
  const setup = await openStore(dir, { fsync: false });
  await setup.update('a', () => ({ n: 1 }));
  await setup.update('b', () => ({ n: 1 }));
  await setup.close();
  const files = [entryFileName('a'), entryFileName('b')];
  const marker = `"txn":"${ID}","v":1,"with":${JSON.stringify(files)}`;
  const openBefore = () => openStore(dir, { fsync: false, lockTimeoutMs: 2_000, logger: { warn: () => undefined } });
  const early = [await openBefore(), await openBefore()];
  writeFileSync(join(dir, entryFileName('a')), `{"entry":{"n":2},"key":"a","rev":2,${marker}}\n`);
  writeFileSync(join(dir, `.staged-${ID}-1`), `{"entry":{"n":2},"key":"b","rev":2,${marker}}\n`);
  writeFileSync(
    join(dir, '.locks', `${ID}.txn`),
    JSON.stringify({
      v: 1,
      id: ID,
      files: [
        { file: files[0], staged: `.staged-${ID}-0`, from: 1, rev: 2, del: false },
        { file: files[1], staged: `.staged-${ID}-1`, from: 1, rev: 2, del: false },
      ],
    }),
  );
  return { dir, early };
}

describe('a multi-key commit left by a writer that stopped', () => {
  it('get() of a key it wrote completes it: the other key reads the new value too', async () => {
    const { dir, early } = await crashedCommit();
    expect(await early[0]?.get('a')).toEqual({ n: 2 });
    expect(await early[0]?.get('b')).toEqual({ n: 2 });
    expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.txn'))).toEqual([]);
    expect(existsSync(join(dir, `.staged-${ID}-1`))).toBe(false);
    for (const store of early) await store?.close();
  });

  it('loadAll() waits for it or completes it: never a and b apart', async () => {
    const { early } = await crashedCommit();
    expect({ ...(await early[1]?.loadAll()) }).toEqual({ a: { n: 2 }, b: { n: 2 } });
    for (const store of early) await store?.close();
  });

  it('an update of a key it wrote completes it under the key’s own lock (no wait on itself) and applies on top', async () => {
    const { early } = await crashedCommit();
    expect(await early[0]?.update('a', (current) => ({ n: (current?.n as number) + 10 }))).toEqual({ n: 12 });
    expect(await early[1]?.get('b')).toEqual({ n: 2 });
    for (const store of early) await store?.close();
  });

  it('an update that meets it waits, within lockTimeoutMs, for its other key’s lock held by a live writer', async () => {
    const { dir, early } = await crashedCommit();
    const release = await holdLock(dir, 'b');
    const updating = early[0]?.update('a', (current) => ({ n: (current?.n as number) + 10 }));
    setTimeout(() => void release(), 300);
    expect(await updating).toEqual({ n: 12 });
    expect(await early[1]?.get('b')).toEqual({ n: 2 });
    for (const store of early) await store?.close();
  });

  it('a store opened afterwards completes it at open', async () => {
    const { dir, early } = await crashedCommit();
    for (const store of early) await store?.close();
    const later = await openStore(dir, { fsync: false, logger: { warn: () => undefined } });
    expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.txn'))).toEqual([]);
    expect({ ...(await later.loadAll()) }).toEqual({ a: { n: 2 }, b: { n: 2 } });
    await later.close();
  });

  it('the open waits, within lockTimeoutMs, for a key lock of it that a live writer holds, then completes it', async () => {
    const { dir, early } = await crashedCommit();
    for (const store of early) await store?.close();
    const release = await holdLock(dir, 'b');
    const opening = openStore(dir, { fsync: false, lockTimeoutMs: 20_000, logger: { warn: () => undefined } });
    // Released once the open is under way; the open must still be waiting for it, not refused.
    setTimeout(() => void release(), 300);
    const later = await opening;
    expect({ ...(await later.loadAll()) }).toEqual({ a: { n: 2 }, b: { n: 2 } });
    await later.close();
  });
});

describe('a multi-key commit left pending, met by other writers', () => {
  it('an exclusive writer opened afterwards completes it at open (it takes no key locks)', async () => {
    const { dir, early } = await crashedCommit();
    for (const store of early) await store?.close();
    const exclusive = await openStore(dir, { fsync: false, writer: 'exclusive', logger: { warn: () => undefined } });
    expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.txn'))).toEqual([]);
    expect(existsSync(join(dir, `.staged-${ID}-1`))).toBe(false);
    expect({ ...(await exclusive.loadAll()) }).toEqual({ a: { n: 2 }, b: { n: 2 } });
    await exclusive.close();
  });

  it("while writer.lock is there, a shared reader waits for the exclusive writer's intent to go, then reads the commit whole", async () => {
    const { dir, early } = await crashedCommit();
    writeFileSync(join(dir, '.locks', 'writer.lock'), 'an exclusive writer mid-commit');
    const read = early[0]?.loadAll();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The exclusive writer finishes its commit: b renamed, intent removed.
    renameSync(join(dir, `.staged-${ID}-1`), join(dir, entryFileName('b')));
    rmSync(join(dir, '.locks', `${ID}.txn`));
    expect({ ...(await read) }).toEqual({ a: { n: 2 }, b: { n: 2 } });
    for (const store of early) await store?.close();
  });

  it('an intent that never goes while writer.lock is there: ELOCKED after lockTimeoutMs, naming the intent', async () => {
    const { dir, early } = await crashedCommit();
    for (const store of early) await store?.close();
    const reader = await openStore(dir, { fsync: false, lockTimeoutMs: 2_000, logger: { warn: () => undefined } });
    writeFileSync(join(dir, entryFileName('a')), `{"entry":{"n":2},"key":"a","rev":2,"txn":"${ID}","v":1,"with":${JSON.stringify([entryFileName('a'), entryFileName('b')])}}\n`);
    writeFileSync(join(dir, `.staged-${ID}-1`), `{"entry":{"n":2},"key":"b","rev":2,"txn":"${ID}","v":1,"with":${JSON.stringify([entryFileName('a'), entryFileName('b')])}}\n`);
    writeFileSync(join(dir, '.locks', `${ID}.txn`), JSON.stringify({ v: 1, id: ID, files: intentFiles() }));
    writeFileSync(join(dir, '.locks', 'writer.lock'), 'an exclusive writer that stopped mid-commit');
    const started = Date.now();
    const error = await caught(reader.loadAll());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(error.code).toBe('ELOCKED');
    expect(error.path).toBe(join(dir, '.locks', `${ID}.txn`));
    expect(error.message).toContain('exclusive writer');
    expect(existsSync(join(dir, `.staged-${ID}-1`))).toBe(true); // not its to complete
    await reader.close();
  }, 10_000);

  it('a malformed intent (another id or version, a file entry of the wrong shape) is ECORRUPT naming it; nothing is renamed', async () => {
    for (const text of [
      JSON.stringify({ v: 1, id: 'cd'.repeat(12), files: intentFiles() }),
      JSON.stringify({ v: 2, id: ID, files: intentFiles() }),
      JSON.stringify({ v: 1, id: ID, files: [null] }),
      JSON.stringify({ v: 1, id: ID, files: [{ ...intentFiles()[0], staged: '../elsewhere' }] }),
      JSON.stringify({ v: 1, id: ID, files: [{ ...intentFiles()[0], file: '../x.json' }] }),
      'null',
      JSON.stringify({ v: 1, id: ID, files: [intentFiles()[0], { ...intentFiles()[1], del: 'yes' }] }),
      JSON.stringify({ v: 1, id: ID, files: [{ ...intentFiles()[0], file: [entryFileName('a')] }] }),
      JSON.stringify({ v: 1, id: ID, files: [{ ...intentFiles()[0], staged: 7 }] }),
      JSON.stringify({ v: 1, id: ID, files: [{ ...intentFiles()[0], staged: [`.staged-${ID}-0`] }] }),
      JSON.stringify({ v: 1, id: ID, files: [{ ...intentFiles()[0], staged: entryFileName('b') }] }),
      JSON.stringify({ v: 1, id: ID, files: [{ ...intentFiles()[0], from: '1' }] }),
      // not JSON at all: torn, garbage, nested past the depth bound
      JSON.stringify({ v: 1, id: ID, files: intentFiles() }).slice(0, 40),
      'garbage',
      JSON.stringify({ v: 1, id: ID, files: [[[[[[1]]]]]] }),
    ]) {
      const { dir, early } = await crashedCommit();
      for (const store of early) await store?.close();
      writeFileSync(join(dir, '.locks', `${ID}.txn`), text);
      const error = await caught(openStore(dir, { fsync: false, logger: { warn: () => undefined } }));
      expect([text, error.code]).toEqual([text, 'ECORRUPT']);
      expect(error.path).toBe(join(dir, '.locks', `${ID}.txn`));
      expect(error.message).toContain('malformed multi-key commit intent');
      expect(existsSync(join(dir, `.staged-${ID}-1`))).toBe(true);
    }
  });
});

function intentFiles() {
  return [
    { file: entryFileName('a'), staged: `.staged-${ID}-0`, from: 1, rev: 2, del: false },
    { file: entryFileName('b'), staged: `.staged-${ID}-1`, from: 1, rev: 2, del: false },
  ];
}

/**
 * a and b at rev 1 ({ n: 1 } each), then the files a crashed commit `ID` leaves: `intent` lists
 * them, `staged` holds the staged records still there, `entries` overwrites (a record text) or
 * removes (null) entry files as the crash, or a writer after it, left them.
 */
async function crashState(
  intent: { key: string; from: number; del: boolean }[],
  staged: Record<number, string>,
  entries: Record<string, string | null> = {},
) {
  const dir = join(await tempDir(), 'store');
  const setup = await openStore(dir, { fsync: false });
  await setup.update('a', () => ({ n: 1 }));
  await setup.update('b', () => ({ n: 1 }));
  await setup.close();
  for (const [index, text] of Object.entries(staged)) writeFileSync(join(dir, `.staged-${ID}-${index}`), text);
  for (const [key, text] of Object.entries(entries)) {
    if (text === null) rmSync(join(dir, entryFileName(key)));
    else writeFileSync(join(dir, entryFileName(key)), text);
  }
  const files = intent.map((file, index) => ({ file: entryFileName(file.key), staged: `.staged-${ID}-${index}`, from: file.from, rev: file.from + 1, del: file.del }));
  writeFileSync(join(dir, '.locks', `${ID}.txn`), JSON.stringify({ v: 1, id: ID, files }));
  return dir;
}

const WITH = `"txn":"${ID}","v":1,"with":${JSON.stringify([entryFileName('a'), entryFileName('b')])}`;
const staged = (key: string, n: number, rev: number) => `{"entry":{"n":${n}},"key":"${key}","rev":${rev},${WITH}}\n`;
const tombstone = (key: string, rev: number) => `{"deleted":true,"key":"${key}","rev":${rev},${WITH}}\n`;

async function recovered(dir: string) {
  const warnings: { message: string; details: Record<string, unknown> | undefined }[] = [];
  const store = await openStore(dir, { fsync: false, logger: { warn: (message, details) => void warnings.push({ message, details }) } });
  const all = { ...(await store.loadAll()) };
  await store.close();
  expect(warnings).toContainEqual({
    message: 'hardfs store: completing a multi-key commit left by a writer that stopped',
    details: { file: join(dir, '.locks', `${ID}.txn`) },
  });
  return {
    all,
    left: readdirSync(dir).filter((name) => name.startsWith('.staged-')),
    intents: readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.txn')),
    files: readdirSync(dir).filter((name) => name.endsWith('.json')).sort(),
  };
}

describe('recovery of a crashed multi-key commit, case by case', () => {
  it('a delete rolls forward: its tombstone replaces the entry and is then unlinked (no file left for the key)', async () => {
    const dir = await crashState([{ key: 'a', from: 1, del: false }, { key: 'b', from: 1, del: true }], { 0: staged('a', 2, 2), 1: tombstone('b', 2) });
    const after = await recovered(dir);
    expect(after.all).toEqual({ a: { n: 2 } });
    expect(after.files).toEqual([entryFileName('a')]);
    expect([after.left, after.intents]).toEqual([[], []]);
  });

  it('a delete whose tombstone was renamed and unlinked already (crash before the intent went): completed, nothing else removed', async () => {
    const dir = await crashState([{ key: 'a', from: 1, del: false }, { key: 'b', from: 1, del: true }], {}, { a: staged('a', 2, 2), b: null });
    const after = await recovered(dir);
    expect(after.all).toEqual({ a: { n: 2 } });
    expect([after.left, after.intents, after.files]).toEqual([[], [], [entryFileName('a')]]);
  });

  it('a key the commit deletes that a later writer rewrote (it took over the stale lock) keeps the later value: its tombstone is dropped', async () => {
    const later = '{"entry":{"n":9},"key":"b","rev":5,"v":1}\n';
    const dir = await crashState([{ key: 'a', from: 1, del: false }, { key: 'b', from: 1, del: true }], { 0: staged('a', 2, 2), 1: tombstone('b', 2) }, { b: later });
    const after = await recovered(dir);
    expect(after.all).toEqual({ a: { n: 2 }, b: { n: 9 } });
    expect(readFileSync(join(dir, entryFileName('b')), 'utf8')).toBe(later);
    expect([after.left, after.intents]).toEqual([[], []]);
  });

  it("only the commit's own tombstones are unlinked: another commit's tombstone at a key it deletes stays (that key reads as absent)", async () => {
    const other = `{"deleted":true,"key":"b","rev":5,"txn":"${'cd'.repeat(12)}","v":1,"with":["${entryFileName('b')}"]}\n`;
    const dir = await crashState([{ key: 'a', from: 1, del: false }, { key: 'b', from: 1, del: true }], { 0: staged('a', 2, 2), 1: tombstone('b', 2) }, { b: other });
    const after = await recovered(dir);
    expect(after.all).toEqual({ a: { n: 2 } });
    expect(readFileSync(join(dir, entryFileName('b')), 'utf8')).toBe(other);
    expect([after.left, after.intents]).toEqual([[], []]);
  });

  it('an intent that marks a delete whose staged file holds an entry: the entry is renamed in and kept (only tombstones are unlinked)', async () => {
    const dir = await crashState([{ key: 'a', from: 1, del: false }, { key: 'b', from: 1, del: true }], { 0: staged('a', 2, 2), 1: staged('b', 2, 2) });
    const after = await recovered(dir);
    expect(after.all).toEqual({ a: { n: 2 }, b: { n: 2 } });
    expect([after.left, after.intents]).toEqual([[], []]);
  });

  it('a key the commit creates (from rev 0, no entry file yet) rolls forward', async () => {
    const dir = await crashState([{ key: 'a', from: 1, del: false }, { key: 'c', from: 0, del: false }], {
      0: staged('a', 2, 2),
      1: `{"entry":{"n":1},"key":"c","rev":1,${WITH}}\n`,
    });
    const after = await recovered(dir);
    expect(after.all).toEqual({ a: { n: 2 }, b: { n: 1 }, c: { n: 1 } });
    expect([after.left, after.intents]).toEqual([[], []]);
  });

  it('a key the commit updates that a later writer deleted (its file is gone) stays deleted: the staged file is dropped', async () => {
    const dir = await crashState([{ key: 'a', from: 1, del: false }, { key: 'b', from: 1, del: false }], { 0: staged('a', 2, 2), 1: staged('b', 2, 2) }, { b: null });
    const after = await recovered(dir);
    expect(after.all).toEqual({ a: { n: 2 } });
    expect([after.left, after.intents, after.files]).toEqual([[], [], [entryFileName('a')]]);
  });

  it('a live writer finishing its commit while an open waits on its lock: the open reads it whole and completes nothing', async () => {
    const dir = await crashState([{ key: 'a', from: 1, del: false }, { key: 'b', from: 1, del: false }], { 1: staged('b', 2, 2) }, { a: staged('a', 2, 2) });
    const release = await holdLock(dir, 'b'); // the writer, alive, between its two renames
    const warnings: string[] = [];
    const opening = openStore(dir, { fsync: false, lockTimeoutMs: 20_000, logger: { warn: (message) => void warnings.push(message) } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      renameSync(join(dir, `.staged-${ID}-1`), join(dir, entryFileName('b')));
      rmSync(join(dir, '.locks', `${ID}.txn`));
    } finally {
      await release();
    }
    const store = await opening;
    expect({ ...(await store.loadAll()) }).toEqual({ a: { n: 2 }, b: { n: 2 } });
    expect(warnings.filter((message) => message.includes('completing a multi-key commit'))).toEqual([]);
    await store.close();
  }, 30_000);

  it('an intent that is not a file (a directory at its name) fails the open, naming it; nothing is renamed', async () => {
    const dir = await crashState([{ key: 'a', from: 1, del: false }], { 0: staged('a', 2, 2) });
    rmSync(join(dir, '.locks', `${ID}.txn`));
    mkdirSync(join(dir, '.locks', `${ID}.txn`));
    const error = await caught(openStore(dir, { fsync: false, logger: { warn: () => undefined } }));
    expect(error.code).toBe('EINSECURE'); // what a read of a non-file is; never taken as "no intent"
    expect(error.path).toBe(join(dir, '.locks', `${ID}.txn`));
    expect(existsSync(join(dir, `.staged-${ID}-0`))).toBe(true);
  });
});

describe('the size bound of an intent', () => {
  it('64 MiB: an intent naming thousands of files parses; one byte more is ECORRUPT (ETOOBIG) naming the intent', async () => {
    // A fresh copy: the bound is computed when the module loads.
    const fresh = await importFresh<typeof import('../../src/store/commit.js')>(new URL('../../src/store/commit.ts', import.meta.url));
    const files = Array.from({ length: 3000 }, (_, index) => ({ file: `k${index}.json`, staged: `.staged-${ID}-${index}`, from: 1, rev: 2, del: false }));
    const bytes = Buffer.from(JSON.stringify({ v: 1, id: ID, files }));
    expect(bytes.length).toBeGreaterThan(128 * 1024);
    expect(fresh.parseIntent(bytes, ID, '/store/.locks/x.txn')).toHaveLength(3000);
    const over = Buffer.alloc(64 * 1024 * 1024 + 1, 0x20);
    bytes.copy(over);
    const error = await caught(() => fresh.parseIntent(over, ID, '/store/.locks/x.txn'));
    expect(error.code).toBe('ECORRUPT');
    expect(error.message).toContain('ETOOBIG');
    expect(error.path).toBe('/store/.locks/x.txn');
  });
});
