// Unit tests for every SessionStore method, the function API, options and discovery.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeKey, isTempFileName } from '../../src/index.js';
import {
  closeSessionStores,
  defaultNormalizeKey,
  entryFileName,
  listAgentSessionDirs,
  loadSessionStore,
  openSessionStore,
  readSessionUpdatedAt,
  storeLayout,
  updateSessionStore,
  updateSessionStoreEntry,
  type SessionEntry,
  type SessionStore,
  type SessionStoreOptions,
} from '../../src/session-store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const quiet = { warn: (): void => undefined };

const tempDir = useTempDirs();

/** Every store a test opens is closed after it, also when an assertion failed midway. */
const opened: SessionStore[] = [];
async function open(path: string, options: SessionStoreOptions = {}): Promise<SessionStore> {
  const store = await openSessionStore(path, { fsync: false, logger: quiet, ...options });
  opened.push(store);
  return store;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await closeSessionStores();
});

async function storeIn(options: SessionStoreOptions = {}) {
  const base = await tempDir();
  const path = join(base, 'sessions.json');
  const dir = join(base, 'sessions.d');
  const store = await open(path, options);
  const fileOf = (key: string): string => join(dir, entryFileName(key));
  const recordOf = (key: string): { v: number; key: string; rev: number; entry: SessionEntry } =>
    JSON.parse(readFileSync(fileOf(key), 'utf8')) as { v: number; key: string; rev: number; entry: SessionEntry };
  return { base, path, dir, store, fileOf, recordOf };
}

/** Identity and timestamps of a file: any rewrite (atomic rename) changes the inode. */
function fingerprint(path: string): Pick<Stats, 'ino' | 'mtimeMs' | 'ctimeMs'> {
  const { ino, mtimeMs, ctimeMs } = statSync(path);
  return { ino, mtimeMs, ctimeMs };
}

function entryFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
}

describe('layout on disk', () => {
  it('one { v: 1, key, rev, entry } file per key, mode 0o600, in a 0o700 sessions.d with .changes and .locks', async () => {
    const { dir, store, fileOf, recordOf } = await storeIn();
    expect(statSync(dir).mode & 0o7777).toBe(0o700);
    expect(statSync(join(dir, '.locks')).mode & 0o7777).toBe(0o700);
    expect(statSync(join(dir, '.changes')).isFile()).toBe(true);
    await store.update('  Agent:Main ', () => ({ updatedAt: 5, model: 'x' }));
    expect(fileOf('agent:main')).toBe(join(dir, `${encodeKey('agent:main')}.json`));
    expect(statSync(fileOf('agent:main')).mode & 0o7777).toBe(0o600);
    expect(recordOf('agent:main')).toEqual({ v: 1, key: 'agent:main', rev: 1, entry: { updatedAt: 5, model: 'x' } });
    expect(readFileSync(fileOf('agent:main'), 'utf8').endsWith('\n')).toBe(true);
    expect(entryFiles(dir)).toEqual([entryFileName('agent:main')]);
    await store.close();
  });

  it('rev increments on every commit and not on a no-op; delete removes the file', async () => {
    const { store, fileOf, recordOf } = await storeIn();
    await store.update('k', () => ({ n: 1 }));
    await store.update('k', () => ({ n: 2 }));
    await store.updateMany((record) => {
      record['k'] = { n: 3 };
    });
    expect(recordOf('k')).toEqual({ v: 1, key: 'k', rev: 3, entry: { n: 3 } });
    await store.update('k', () => ({ n: 3 }));
    expect(recordOf('k').rev).toBe(3);
    expect(await store.delete('k')).toBe(true);
    expect(existsSync(fileOf('k'))).toBe(false);
    await store.close();
  });

  it('storePath and directoryPath name the legacy path and the directory', async () => {
    const { path, dir, store } = await storeIn();
    expect(store.storePath).toBe(path);
    expect(store.directoryPath).toBe(dir);
    await store.close();
  });

  it('storeLayout derives every name from the legacy path and refuses bad ones', () => {
    expect(storeLayout('/s/agents/a/sessions.json')).toEqual({
      storePath: '/s/agents/a/sessions.json',
      parentPath: '/s/agents/a',
      legacyName: 'sessions.json',
      dirName: 'sessions.d',
      stagingName: 'sessions.d.migrating',
      migrationLockName: '.sessions.migrate.lock',
    });
    expect(storeLayout('/s/store').dirName).toBe('store.d');
    for (const bad of ['', '/s/.json', '/']) expect(() => storeLayout(bad)).toThrow(expect.objectContaining({ code: 'EBADNAME' }));
  });
});

describe('get / getUpdatedAt', () => {
  it('read one entry by normalized key; undefined when absent; updatedAt only when a number', async () => {
    const { store } = await storeIn();
    expect(await store.get('nope')).toBeUndefined();
    expect(await store.getUpdatedAt('nope')).toBeUndefined();
    await store.update('K', () => ({ updatedAt: 7, a: 1 }));
    await store.update('other', () => ({ a: 2 }));
    expect(await store.get(' k ')).toEqual({ updatedAt: 7, a: 1 });
    expect(await store.get('K')).toEqual({ updatedAt: 7, a: 1 });
    expect(await store.getUpdatedAt('\tK')).toBe(7);
    expect(await store.getUpdatedAt('other')).toBeUndefined();
    await store.update('zero', () => ({ updatedAt: 0 }));
    expect(await store.getUpdatedAt('zero')).toBe(0);
    await store.close();
  });

  it('get hands out a fresh mutable copy every time', async () => {
    const { store } = await storeIn();
    await store.update('k', () => ({ nested: { n: 1 } }));
    const first = (await store.get('k')) as { nested: { n: number }; extra?: boolean };
    expect(Object.isFrozen(first)).toBe(false);
    first.nested.n = 99;
    first.extra = true;
    const second = await store.get('k');
    expect(second).toEqual({ nested: { n: 1 } });
    expect(second).not.toBe(first);
    await store.close();
  });

  it('refuses keys that are empty after normalization, blocked object keys and lone surrogates (EBADNAME)', async () => {
    const { store } = await storeIn();
    // Under the default normalization the camel-case blocked names (__defineGetter__ …) are
    // lower-cased into ordinary keys; the identity-normalized store below must refuse them.
    for (const key of ['', '   ', '__proto__', ' CONSTRUCTOR ', 'prototype', '\ud800']) {
      expect((await caught(store.get(key))).code).toBe('EBADNAME');
      expect((await caught(store.getUpdatedAt(key))).code).toBe('EBADNAME');
      expect((await caught(store.update(key, () => ({ x: 1 })))).code).toBe('EBADNAME');
      expect((await caught(store.delete(key))).code).toBe('EBADNAME');
    }
    expect((await caught(store.get(5 as unknown as string))).code).toBe('EBADNAME');
    expect(Object.keys(await store.loadAll())).toEqual([]);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    await store.close();
    const exact = await open(store.storePath, { normalizeKey: (key: string) => key });
    for (const key of ['__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__', '__proto__']) {
      expect((await caught(exact.update(key, () => ({ x: 1 })))).code).toBe('EBADNAME');
    }
    await exact.update('__PROTO__', () => ({ x: 1 })); // only the exact names are blocked
    expect(Object.keys(await exact.loadAll())).toEqual(['__PROTO__']);
    await exact.close();
  });

  it('accepts every other key exactly, however hostile as a file name', async () => {
    const { dir, store } = await storeIn({ normalizeKey: (key: string) => key });
    const keys = ['a/b', 'a\\b', '..', '.', '.hidden', 'x\0y', 'con', 'CON', 'NUL.txt', 'k'.repeat(1000), 'K'.repeat(1000), 'Ünï', 'ünï', '~', '%41', 'A', 'a', '😀', ' pad '];
    for (const [i, key] of keys.entries()) await store.update(key, () => ({ i }));
    const all = await store.loadAll();
    expect(Object.keys(all).sort()).toEqual([...keys].sort());
    for (const [i, key] of keys.entries()) {
      expect(await store.get(key)).toEqual({ i });
      expect(all[key]).toEqual({ i });
    }
    // Every file name is a single safe component; none differ only by case.
    const names = entryFiles(dir);
    expect(names).toHaveLength(keys.length);
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(keys.length);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9._~%-]+\.json$/);
    await store.close();
  });
});

describe('loadAll', () => {
  it('a frozen, null-prototype record of frozen entries', async () => {
    const { store } = await storeIn();
    const empty = await store.loadAll();
    expect(Object.getPrototypeOf(empty)).toBeNull();
    expect(Object.keys(empty)).toEqual([]);
    await store.update('a', () => ({ n: 1 }));
    await store.update('toString', () => ({ n: 2 }));
    const all = await store.loadAll();
    expect(Object.getPrototypeOf(all)).toBeNull();
    expect(Object.isFrozen(all)).toBe(true);
    expect(Object.isFrozen(all['a'])).toBe(true);
    expect(Object.keys(all).sort()).toEqual(['a', 'tostring']);
    expect(() => {
      (all as Record<string, SessionEntry>)['b'] = { n: 3 };
    }).toThrow(TypeError);
    expect(() => {
      (all['a'] as SessionEntry)['n'] = 5;
    }).toThrow(TypeError);
    expect(await store.get('a')).toEqual({ n: 1 });
    await store.close();
  });

  it('is cached while nothing commits and replaced after a commit', async () => {
    const { store } = await storeIn();
    await store.update('a', () => ({ n: 1 }));
    const first = await store.loadAll();
    expect(await store.loadAll()).toBe(first);
    await store.update('a', () => ({ n: 2 }));
    const second = await store.loadAll();
    expect(second).not.toBe(first);
    expect(second['a']).toEqual({ n: 2 });
    expect(first['a']).toEqual({ n: 1 }); // a snapshot handed out earlier is not rewritten
    await store.close();
  });

  it('a commit by a second instance (same path, same process) is visible on the very next loadAll / get', async () => {
    const { path, store } = await storeIn();
    const other = await open(path);
    await store.update('k', () => ({ n: 1, updatedAt: 1 }));
    expect((await store.loadAll())['k']).toEqual({ n: 1, updatedAt: 1 }); // cached now
    expect((await other.loadAll())['k']).toEqual({ n: 1, updatedAt: 1 });

    await other.update('k', () => ({ n: 2, updatedAt: 2 }));
    expect((await store.loadAll())['k']).toEqual({ n: 2, updatedAt: 2 });
    expect(await store.get('k')).toEqual({ n: 2, updatedAt: 2 });
    expect(await store.getUpdatedAt('k')).toBe(2);

    await other.updateMany((record) => {
      record['j'] = { n: 3 };
    });
    expect(Object.keys(await store.loadAll()).sort()).toEqual(['j', 'k']);

    await other.delete('k');
    expect(Object.keys(await store.loadAll())).toEqual(['j']);
    expect(await store.get('k')).toBeUndefined();
    await other.close();
    await store.close();
  });
});

describe('update', () => {
  it('resolves to the stored entry; async mutators work; the mutator sees the current entry', async () => {
    const { store } = await storeIn();
    const seen: unknown[] = [];
    expect(
      await store.update('k', (current) => {
        seen.push(current);
        return { n: 1 };
      }),
    ).toEqual({ n: 1 });
    expect(
      await store.update('k', async (current) => {
        seen.push({ ...current });
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { n: Number(current?.['n']) + 1 };
      }),
    ).toEqual({ n: 2 });
    expect(seen).toEqual([undefined, { n: 1 }]);
    expect(await store.get('k')).toEqual({ n: 2 });
    await store.close();
  });

  it('writes nothing when the entry did not change: same inode, same mtime, same stamp, same cached snapshot', async () => {
    const { dir, store, fileOf } = await storeIn();
    await store.update('k', () => ({ a: 1, b: { c: 2, d: [1, 2] } }));
    const file = fingerprint(fileOf('k'));
    const stamp = fingerprint(join(dir, '.changes'));
    const snapshot = await store.loadAll();
    await new Promise((resolve) => setTimeout(resolve, 20)); // a rewrite would get a later mtime
    expect(await store.update('k', () => ({ b: { d: [1, 2], c: 2 }, a: 1 }))).toEqual({ a: 1, b: { c: 2, d: [1, 2] } });
    expect(await store.update('k', () => undefined)).toEqual({ a: 1, b: { c: 2, d: [1, 2] } });
    expect(
      await store.update('k', (current) => {
        (current as { a: number }).a = 1; // an in-place "change" to the same value
        return undefined;
      }),
    ).toEqual({ a: 1, b: { c: 2, d: [1, 2] } });
    expect(fingerprint(fileOf('k'))).toEqual(file);
    expect(fingerprint(join(dir, '.changes'))).toEqual(stamp);
    expect(await store.loadAll()).toBe(snapshot);
    await store.close();
  });

  it('a mutator returning undefined keeps the changes it made in place', async () => {
    const { store, fileOf, recordOf } = await storeIn();
    await store.update('k', () => ({ a: 1, b: { c: 2 } }));
    const before = fingerprint(fileOf('k'));
    const result = await store.update('k', (current) => {
      (current as { a: number }).a = 3;
      (current as { b: { c: number } }).b.c = 4;
      return undefined;
    });
    expect(result).toEqual({ a: 3, b: { c: 4 } });
    expect(await store.get('k')).toEqual({ a: 3, b: { c: 4 } });
    expect(fingerprint(fileOf('k')).ino).not.toBe(before.ino);
    expect(recordOf('k').rev).toBe(2);
    await store.close();
  });

  it('returning undefined for an absent key creates nothing', async () => {
    const { dir, store, fileOf } = await storeIn();
    expect(await store.update('absent', () => undefined)).toBeUndefined();
    expect(existsSync(fileOf('absent'))).toBe(false);
    expect(entryFiles(dir)).toEqual([]);
    await store.close();
  });

  it('refuses what is not a plain JSON object entry (TypeError) and keeps the stored entry', async () => {
    const { store } = await storeIn();
    await store.update('k', () => ({ ok: true }));
    const bad: unknown[] = [[], null, 5, 'str', new Date(), new (class Session {})(), { updatedAt: Number.NaN }, { updatedAt: Infinity }];
    for (const value of bad) {
      await expect(store.update('k', () => value as SessionEntry)).rejects.toThrow(TypeError);
    }
    await expect(store.update('k', 'nope' as unknown as () => undefined)).rejects.toThrow(TypeError);
    expect(await store.get('k')).toEqual({ ok: true });
    await store.close();
  });

  it('cycles are ECYCLE, nesting past maxEntryDepth is EDEPTH, nothing written', async () => {
    const { store } = await storeIn({ maxEntryDepth: 4 });
    const cyclic: SessionEntry = { a: 1 };
    cyclic['self'] = cyclic;
    expect((await caught(store.update('k', () => cyclic))).code).toBe('ECYCLE');
    expect((await caught(store.update('k', () => ({ a: { b: { c: { d: { e: 1 } } } } })))).code).toBe('EDEPTH');
    await store.update('k', () => ({ a: { b: { c: 1 } } }));
    expect(await store.get('k')).toEqual({ a: { b: { c: 1 } } });
    await store.close();
  });

  it('a mutator that throws writes nothing and releases the key (in-process and on disk)', async () => {
    const { dir, store, fileOf } = await storeIn({ lockTimeoutMs: 2_000 });
    await store.update('k', () => ({ n: 1 }));
    const before = fingerprint(fileOf('k'));
    await expect(
      store.update('k', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(store.update('k', async () => Promise.reject(new Error('async boom')))).rejects.toThrow('async boom');
    expect(fingerprint(fileOf('k'))).toEqual(before);
    expect(await store.update('k', () => ({ n: 2 }))).toEqual({ n: 2 });
    expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.lock'))).toEqual([]);
    await store.close();
  });

  it('maxEntryBytes bounds writes with ETOOBIG; the old entry stays and no temp file is left', async () => {
    const { dir, store } = await storeIn({ maxEntryBytes: 200 });
    await store.update('k', () => ({ small: true }));
    expect((await caught(store.update('k', () => ({ pad: 'x'.repeat(500) })))).code).toBe('ETOOBIG');
    expect(
      (
        await caught(
          store.updateMany((record) => {
            record['k'] = { pad: 'y'.repeat(500) };
          }),
        )
      ).code,
    ).toBe('ETOOBIG');
    expect(await store.get('k')).toEqual({ small: true });
    expect(readdirSync(dir).filter(isTempFileName)).toEqual([]);
    await store.close();
  });

  it('concurrent read-modify-writes on one key lose nothing, within one instance and across two', async () => {
    const { path, store } = await storeIn();
    const other = await open(path);
    const increment = (entry: SessionEntry | undefined): SessionEntry => ({ ...entry, n: Number(entry?.['n'] ?? 0) + 1 });
    await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? store : other).update('hot', increment)));
    expect(await store.get('hot')).toEqual({ n: 60 });
    await other.close();
    await store.close();
  });

  it('an update on one key does not wait for a slow mutator on another key', async () => {
    const { store } = await storeIn();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = store.update('slow', async () => {
      await gate;
      return { done: true };
    });
    // If keys serialized on one lock this would never resolve while `slow` holds the gate.
    await store.update('fast', () => ({ done: true }));
    expect(await store.get('fast')).toEqual({ done: true });
    expect(await store.get('slow')).toBeUndefined();
    release();
    await slow;
    expect(await store.get('slow')).toEqual({ done: true });
    await store.close();
  });

  it('blocked field names inside an entry never reach a prototype', async () => {
    const { store } = await storeIn();
    const hostile = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"ok":1}') as SessionEntry;
    let refused = false;
    try {
      await store.update('k', () => hostile);
    } catch {
      refused = true;
    }
    if (!refused) {
      const read = (await store.get('k')) as SessionEntry;
      expect(read['ok']).toBe(1);
      expect(Object.hasOwn(read, '__proto__')).toBe(false);
      expect(Object.hasOwn(read, 'constructor')).toBe(false);
      expect(Object.keys((await store.loadAll())['k'] as object)).toEqual(['ok']);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    await store.close();
  });
});

describe('updateMany', () => {
  it('adds, changes and deletes several keys and writes only the keys whose content changed', async () => {
    const { dir, store, fileOf, recordOf } = await storeIn();
    for (const key of ['change', 'read', 'same', 'restored', 'untouched', 'gone']) await store.update(key, () => ({ v: key, n: 1 }));
    const before = Object.fromEntries(['read', 'same', 'restored', 'untouched'].map((key) => [key, fingerprint(fileOf(key))]));
    const changeIno = fingerprint(fileOf('change')).ino;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const result = await store.updateMany((record) => {
      expect(Object.keys(record).sort()).toEqual(['change', 'gone', 'read', 'restored', 'same', 'untouched']);
      expect(record['read']).toEqual({ v: 'read', n: 1 }); // read only
      record['same'] = { n: 1, v: 'same' }; // assigned, equal content
      const restored = record['restored'] as { n: number };
      restored.n = 2;
      restored.n = 1; // changed in place, then back
      (record['change'] as { n: number }).n = 2;
      delete record['gone'];
      record['added'] = { v: 'added' };
      return 42;
    });
    expect(result).toBe(42);
    for (const [key, print] of Object.entries(before)) expect(fingerprint(fileOf(key))).toEqual(print);
    expect(fingerprint(fileOf('change')).ino).not.toBe(changeIno);
    // A multi-key commit marks what it writes with its id and its files (see store/commit.ts).
    const marker = { txn: expect.stringMatching(/^[0-9a-f]{24}$/), with: [entryFileName('change'), entryFileName('gone'), entryFileName('added')].sort() };
    expect({ ...recordOf('change'), with: [...(recordOf('change') as unknown as { with: string[] }).with].sort() }).toEqual({ v: 1, key: 'change', rev: 2, entry: { v: 'change', n: 2 }, ...marker });
    expect(recordOf('added')).toMatchObject({ v: 1, key: 'added', rev: 1, entry: { v: 'added' } });
    expect(existsSync(fileOf('gone'))).toBe(false);
    expect(entryFiles(dir)).toEqual(['added', 'change', 'read', 'restored', 'same', 'untouched'].map(entryFileName).sort());
    await store.close();
  });

  it('a mutator that changes nothing writes nothing and still returns its result', async () => {
    const { dir, store } = await storeIn();
    await store.update('a', () => ({ v: 1 }));
    const stamp = fingerprint(join(dir, '.changes'));
    const snapshot = await store.loadAll();
    expect(await store.updateMany((record) => Object.keys(record).length)).toBe(1);
    expect(await store.updateMany(async (record) => record['a'])).toEqual({ v: 1 });
    expect(fingerprint(join(dir, '.changes'))).toEqual(stamp);
    expect(await store.loadAll()).toBe(snapshot);
    await store.close();
  });

  it('the record it hands out behaves like a null-prototype object of the store', async () => {
    const { store } = await storeIn();
    await store.update('a', () => ({ v: 1 }));
    await store.update('b', () => ({ v: 2 }));
    await store.updateMany((record) => {
      expect(Object.getPrototypeOf(record)).toBeNull();
      expect('a' in record).toBe(true);
      expect('zz' in record).toBe(false);
      expect('toString' in record).toBe(false);
      expect(record['hasOwnProperty']).toBeUndefined();
      expect(Object.entries(record).sort(([a], [b]) => a.localeCompare(b))).toEqual([
        ['a', { v: 1 }],
        ['b', { v: 2 }],
      ]);
      record['b'] = undefined as unknown as SessionEntry; // assigning undefined deletes, as in the legacy JSON store
      expect('b' in record).toBe(false);
      expect(Object.keys(record)).toEqual(['a']);
    });
    expect(await store.get('b')).toBeUndefined();
    expect(Object.keys(await store.loadAll())).toEqual(['a']);
    await store.close();
  });

  it('a new key assigned un-normalized is stored under its normalized key', async () => {
    const { store } = await storeIn();
    await store.updateMany((record) => {
      record['  MiXeD '] = { v: 1 };
    });
    expect(Object.keys(await store.loadAll())).toEqual(['mixed']);
    expect(await store.get('MIXED')).toEqual({ v: 1 });
    await store.close();
  });

  it('refuses blocked keys (EBADNAME), keys that normalize alike, accessors, symbols and non-functions (TypeError), writing nothing', async () => {
    const { dir, store } = await storeIn();
    await store.update('a', () => ({ v: 1 }));
    const stamp = fingerprint(join(dir, '.changes'));
    const attempts: Array<[(record: Record<string, SessionEntry>) => void, string]> = [
      [(record) => { record['ok'] = { v: 1 }; record['__proto__'] = { polluted: true }; }, 'EBADNAME'],
      [(record) => { record['ok'] = { v: 1 }; record['constructor'] = { polluted: true }; }, 'EBADNAME'],
      [(record) => { record['ok'] = { v: 1 }; delete record['prototype']; }, 'EBADNAME'],
      [(record) => { record['ok'] = { v: 1 }; record['   '] = { v: 1 }; }, 'EBADNAME'],
      [(record) => { record['ok'] = { v: 1 }; record['\ud800'] = { v: 1 }; }, 'EBADNAME'],
    ];
    for (const [mutator, code] of attempts) expect((await caught(store.updateMany(mutator))).code).toBe(code);
    await expect(store.updateMany((record) => { record['X'] = { v: 1 }; record['x'] = { v: 2 }; })).rejects.toThrow(TypeError);
    await expect(store.updateMany((record) => { Object.defineProperty(record, 'g', { get: () => ({}) }); })).rejects.toThrow(TypeError);
    await expect(store.updateMany((record) => { (record as Record<symbol, unknown>)[Symbol('s')] = {}; })).rejects.toThrow(TypeError);
    await expect(store.updateMany((record) => { record['a'] = [] as unknown as SessionEntry; })).rejects.toThrow(TypeError);
    await expect(store.updateMany('x' as never)).rejects.toThrow(TypeError);
    await expect(store.updateMany(() => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(Object.keys(await store.loadAll())).toEqual(['a']);
    expect(fingerprint(join(dir, '.changes'))).toEqual(stamp);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    await store.close();
  });

  it('re-runs the mutator on fresh data when another writer committed a key it changes, keeping both changes', async () => {
    const { path, store } = await storeIn();
    const other = await open(path);
    await store.update('k', () => ({ a: 0, b: 0 }));
    let runs = 0;
    await store.updateMany(async (record) => {
      runs += 1;
      const current = record['k'] as { a: number; b: number };
      if (runs === 1) await other.update('k', (entry) => ({ ...entry, a: 1 }));
      record['k'] = { ...current, b: current.b + 1 };
    });
    expect(runs).toBe(2);
    expect(await store.get('k')).toEqual({ a: 1, b: 1 });
    await other.close();
    await store.close();
  });

  it('re-runs when another writer created a key it adds', async () => {
    const { path, store } = await storeIn();
    const other = await open(path);
    let runs = 0;
    await store.updateMany(async (record) => {
      runs += 1;
      if (runs === 1) await other.update('new', () => ({ from: 'other', n: 1 }));
      record['new'] = { ...record['new'], mine: true };
    });
    expect(runs).toBe(2);
    expect(await store.get('new')).toEqual({ from: 'other', n: 1, mine: true });
    await other.close();
    await store.close();
  });

  // Regression, fixed (was a bug in src/session-store/session-store.ts, #commitIfUnchanged): the optimistic check compares
  // revs only, and a key that is deleted and created again restarts at rev 1, so a delete +
  // re-create by another writer between the snapshot and the commit is not noticed (ABA):
  // updateMany overwrites the re-created entry with data computed from the deleted one.
  it('re-runs when another writer deleted and re-created a key it changes (no ABA on rev)', async () => {
    const { path, store } = await storeIn();
    const other = await open(path);
    await store.update('k', () => ({ n: 1 }));
    let runs = 0;
    await store.updateMany(async (record) => {
      runs += 1;
      const current = record['k'] as SessionEntry;
      if (runs === 1) {
        await other.delete('k');
        await other.update('k', () => ({ n: 100 }));
      }
      record['k'] = { ...current, seen: true };
    });
    expect(await store.get('k')).toEqual({ n: 100, seen: true });
    expect(runs).toBe(2);
    await other.close();
    await store.close();
  });

  it('gives up with ELOCKED after maxUpdateRetries when every attempt conflicts, committing nothing of its own', async () => {
    const { path, store } = await storeIn({ maxUpdateRetries: 2 });
    const other = await open(path);
    let runs = 0;
    const error = await caught(
      store.updateMany(async (record) => {
        runs += 1;
        await other.update('hot', () => ({ n: runs }));
        record['hot'] = { mine: true };
      }),
    );
    expect(error.code).toBe('ELOCKED');
    expect(runs).toBe(3);
    expect(await store.get('hot')).toEqual({ n: 3 });
    await other.close();
    await store.close();
  });
});

describe('delete and close', () => {
  it('delete resolves to whether the key existed', async () => {
    const { store } = await storeIn();
    await store.update('K', () => ({ v: 1 }));
    await store.update('other', () => ({ v: 2 }));
    expect(await store.delete(' k')).toBe(true);
    expect(await store.delete('k')).toBe(false);
    expect(await store.get('k')).toBeUndefined();
    expect(Object.keys(await store.loadAll())).toEqual(['other']);
    await store.close();
  });

  it('after close every method is ECLOSED (mutators never run); close is idempotent', async () => {
    const { store } = await storeIn();
    await store.update('k', () => ({ v: 1 }));
    await store.close();
    await store.close();
    let called = false;
    const mutator = (): SessionEntry => ((called = true), { v: 2 });
    const calls: Array<() => Promise<unknown>> = [
      () => store.get('k'),
      () => store.getUpdatedAt('k'),
      () => store.loadAll(),
      () => store.update('k', mutator),
      () => store.updateMany(mutator),
      () => store.delete('k'),
    ];
    for (const call of calls) expect((await caught(call)).code).toBe('ECLOSED');
    expect(called).toBe(false);
  });

  it('closing one instance leaves another on the same path working', async () => {
    const { path, store } = await storeIn();
    const other = await open(path);
    await store.close();
    await other.update('k', () => ({ v: 1 }));
    expect(await other.get('k')).toEqual({ v: 1 });
    await other.close();
  });
});

describe('options', () => {
  it('invalid options are a TypeError before anything is created', async () => {
    const base = await tempDir();
    const path = join(base, 'sessions.json');
    const bad: unknown[] = [
      { maxEntryBytes: 0 },
      { maxEntryBytes: -1 },
      { maxEntryBytes: Number.NaN },
      { maxEntryBytes: Infinity },
      { maxEntryBytes: '100' },
      { maxEntryDepth: 0 },
      { lockStaleMs: 0 },
      { lockTimeoutMs: -1 },
      { staleTempMs: -1 },
      { staleTempMs: Number.NaN },
      { maxUpdateRetries: -1 },
      { normalizeKey: 5 },
      { normalizeKey: 'lower' },
      { logger: {} },
      { logger: { warn: 'loud' } },
    ];
    for (const options of bad) {
      await expect(openSessionStore(path, options as SessionStoreOptions)).rejects.toThrow(TypeError);
    }
    expect(readdirSync(base)).toEqual([]);
    const ok = await open(path, { staleTempMs: 0 });
    await ok.close();
  });

  it('defaultNormalizeKey trims and lower-cases; a normalizeKey that yields no usable key is EBADNAME', async () => {
    expect(defaultNormalizeKey('  Agent:MAIN\t')).toBe('agent:main');
    const { store } = await storeIn({ normalizeKey: (key: string) => (key === 'empty' ? '' : key === 'num' ? (5 as unknown as string) : key) });
    expect((await caught(store.update('empty', () => ({ v: 1 })))).code).toBe('EBADNAME');
    expect((await caught(store.get('num'))).code).toBe('EBADNAME');
    await store.update('Case', () => ({ v: 1 }));
    expect(await store.get('case')).toBeUndefined();
    expect(await store.get('Case')).toEqual({ v: 1 });
    await store.close();
  });

  it('fsync: true (the default) commits the same way', async () => {
    const base = await tempDir();
    const store = await open(join(base, 'sessions.json'), { fsync: true });
    await store.update('k', () => ({ v: 1 }));
    await store.updateMany((record) => {
      record['j'] = { v: 2 };
      delete record['k'];
    });
    expect(await store.delete('j')).toBe(true);
    expect(await store.loadAll()).toEqual({});
    await store.close();
  });
});

describe('function API', () => {
  it('loadSessionStore / updateSessionStore / updateSessionStoreEntry / readSessionUpdatedAt over one store per path', async () => {
    const base = await tempDir();
    const path = join(base, 'sessions.json');
    expect(await updateSessionStoreEntry(path, 'A', () => ({ updatedAt: 3 }), { fsync: false, logger: quiet })).toEqual({ updatedAt: 3 });
    expect(await readSessionUpdatedAt(path, ' a ')).toBe(3);
    expect(await readSessionUpdatedAt(path, 'missing')).toBeUndefined();
    const count = await updateSessionStore(path, (record) => {
      record['b'] = { updatedAt: 4 };
      return Object.keys(record).length;
    });
    expect(count).toBe(2);
    const all = await loadSessionStore(path);
    expect(Object.getPrototypeOf(all)).toBeNull();
    expect(all).toEqual({ a: { updatedAt: 3 }, b: { updatedAt: 4 } });
    // relative and absolute spellings of one path share the store
    expect(await loadSessionStore(relative(process.cwd(), path))).toBe(all);
    expect(JSON.parse(readFileSync(join(base, 'sessions.d', entryFileName('b')), 'utf8'))).toEqual({ v: 1, key: 'b', rev: 1, entry: { updatedAt: 4 } });
  });

  it('sees commits made through an instance at once, and the instance sees its commits', async () => {
    const base = await tempDir();
    const path = join(base, 'sessions.json');
    const store = await open(path);
    expect(await loadSessionStore(path)).toEqual({});
    await store.update('k', () => ({ updatedAt: 1 }));
    expect(await loadSessionStore(path)).toEqual({ k: { updatedAt: 1 } });
    expect(await readSessionUpdatedAt(path, 'k')).toBe(1);
    await updateSessionStoreEntry(path, 'k', () => ({ updatedAt: 2 }));
    expect(await store.getUpdatedAt('k')).toBe(2);
    await store.close();
  });

  it('closeSessionStores closes them; the next call opens the store again', async () => {
    const base = await tempDir();
    const path = join(base, 'sessions.json');
    await updateSessionStoreEntry(path, 'k', () => ({ v: 1 }), { fsync: false, logger: quiet });
    const before = await loadSessionStore(path);
    await closeSessionStores();
    await closeSessionStores();
    const after = await loadSessionStore(path);
    expect(after).not.toBe(before);
    expect(after).toEqual({ k: { v: 1 } });
  });

  it('a failed open does not poison the path for later calls', async () => {
    const base = await tempDir();
    const path = join(base, 'sessions.json');
    writeFileSync(path, '{ not json');
    expect((await caught(loadSessionStore(path, { logger: quiet }))).code).toBe('ECORRUPT');
    writeFileSync(path, JSON.stringify({ k: { updatedAt: 9 } }));
    expect(await readSessionUpdatedAt(path, 'k', { logger: quiet })).toBe(9);
  });
});

describe('listAgentSessionDirs', () => {
  async function stateWithAgents(agents: string[]) {
    const state = await tempDir();
    for (const agent of agents) mkdirSync(join(state, 'agents', agent, 'sessions'), { recursive: true, mode: 0o700 });
    mkdirSync(join(state, 'agents'), { recursive: true });
    chmodSync(join(state, 'agents'), 0o700);
    return state;
  }

  it('lists every agent of the default layout, sorted, with its sessions dir and store path', async () => {
    const state = await stateWithAgents(['main', 'beta', 'alpha']);
    mkdirSync(join(state, 'agents', 'nosessions'));
    const skipped: string[] = [];
    const found = await listAgentSessionDirs(state, { onSkipped: (path) => skipped.push(path) });
    expect(found).toEqual(
      ['alpha', 'beta', 'main'].map((agentId) => ({
        agentId,
        sessionsDir: join(state, 'agents', agentId, 'sessions'),
        storePath: join(state, 'agents', agentId, 'sessions', 'sessions.json'),
      })),
    );
    expect(skipped).toEqual([]);
    // what it returns opens as a store
    const store = await open(found[0]?.storePath as string);
    await store.update('k', () => ({ v: 1 }));
    expect(existsSync(join(state, 'agents', 'alpha', 'sessions', 'sessions.d'))).toBe(true);
    await store.close();
  });

  it('resolves a templated store path for every agent, absolute or relative to the state dir', async () => {
    const state = await stateWithAgents([]);
    for (const agent of ['main', 'ops', 'zeta']) mkdirSync(join(state, 'agents', agent, 'data', 'store'), { recursive: true });
    mkdirSync(join(state, 'agents', 'nodata'));
    const expected = ['main', 'ops', 'zeta'].map((agentId) => ({
      agentId,
      sessionsDir: join(state, 'agents', agentId, 'data', 'store'),
      storePath: join(state, 'agents', agentId, 'data', 'store', 'custom.json'),
    }));
    expect(await listAgentSessionDirs(state, { storePathTemplate: join(state, 'agents', '{agentId}', 'data', 'store', 'custom.json') })).toEqual(expected);
    expect(await listAgentSessionDirs(state, { storePathTemplate: 'agents/{agentId}/data/store/custom.json' })).toEqual(expected);
  });

  it('skips symlinked agent dirs and symlinked sessions dirs (onSkipped and logger), ignores files, never follows', async () => {
    const state = await stateWithAgents(['main']);
    const outside = await tempDir();
    mkdirSync(join(outside, 'sessions'));
    writeFileSync(join(outside, 'sessions', 'sessions.json'), '{}');
    symlinkSync(outside, join(state, 'agents', 'evil'));
    mkdirSync(join(state, 'agents', 'linked'));
    symlinkSync(join(outside, 'sessions'), join(state, 'agents', 'linked', 'sessions'));
    writeFileSync(join(state, 'agents', 'afile'), 'not a directory');
    const skipped: Array<[string, string]> = [];
    const warnings: string[] = [];
    const found = await listAgentSessionDirs(state, {
      onSkipped: (path, reason) => skipped.push([path, reason]),
      logger: { warn: (message) => warnings.push(message) },
    });
    expect(found.map((entry) => entry.agentId)).toEqual(['main']);
    expect(skipped.map(([path]) => path).sort()).toEqual([join(state, 'agents', 'evil'), join(state, 'agents', 'linked', 'sessions')]);
    for (const [, reason] of skipped) expect(reason).toMatch(/symlink/i);
    expect(warnings).toHaveLength(2);
    expect(readdirSync(outside).sort()).toEqual(['sessions']);
    expect(readdirSync(join(outside, 'sessions'))).toEqual(['sessions.json']);
  });

  it('skips a sessions dir reached through a symlink in a templated path', async () => {
    const state = await stateWithAgents([]);
    const outside = await tempDir();
    mkdirSync(join(outside, 'store'));
    mkdirSync(join(state, 'agents', 'a', 'data'), { recursive: true });
    mkdirSync(join(state, 'agents', 'b'), { recursive: true });
    symlinkSync(outside, join(state, 'agents', 'b', 'data'));
    mkdirSync(join(state, 'agents', 'a', 'data', 'store'));
    const skipped: string[] = [];
    const found = await listAgentSessionDirs(state, { storePathTemplate: 'agents/{agentId}/data/store/s.json', onSkipped: (path) => skipped.push(path) });
    expect(found.map((entry) => entry.agentId)).toEqual(['a']);
    expect(skipped).toEqual([join(state, 'agents', 'b', 'data', 'store')]);
  });

  it('skips group/world-writable agent or sessions dirs (EINSECURE)', async () => {
    const state = await stateWithAgents(['ok', 'open', 'opensessions']);
    chmodSync(join(state, 'agents', 'open'), 0o777);
    chmodSync(join(state, 'agents', 'opensessions', 'sessions'), 0o777);
    const reasons: string[] = [];
    const found = await listAgentSessionDirs(state, { onSkipped: (_path, reason) => reasons.push(reason) });
    expect(found.map((entry) => entry.agentId)).toEqual(['ok']);
    expect(reasons).toHaveLength(2);
    for (const reason of reasons) expect(reason).toMatch(/EINSECURE/);
  });

  it('a missing state dir lists nothing; a malformed template is EBADNAME', async () => {
    const state = await stateWithAgents(['main']);
    expect(await listAgentSessionDirs(join(state, 'missing'))).toEqual([]);
    for (const template of ['/x/{agentId}{agentId}/s.json', '/x/a{agentId}/s.json', '/x/{agentId}b/s.json', '/x/s.json', '/x/{agentId}', '/x/{agentId}/../s.json']) {
      expect((await caught(listAgentSessionDirs(state, { storePathTemplate: template }))).code).toBe('EBADNAME');
    }
  });
});
