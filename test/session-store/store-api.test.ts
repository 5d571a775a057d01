import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeKey, HardfsError } from '../../src/index.js';
import {
  closeSessionStores,
  listAgentSessionDirs,
  loadSessionStore,
  openSessionStore,
  readSessionUpdatedAt,
  updateSessionStore,
  updateSessionStoreEntry,
} from '../../src/session-store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

afterEach(() => closeSessionStores());

describe('SessionStore API', () => {
  const tempDir = useTempDirs();
  const storeIn = async (options = {}) => {
    const base = await tempDir();
    const path = join(base, 'sessions.json');
    return { base, path, store: await openSessionStore(path, { fsync: false, ...options }) };
  };

  it('lays out one 0o600 file per key, { v, key, rev, entry }, in a 0o700 sessions.d', async () => {
    const { base, store } = await storeIn();
    await store.update('Agent:Main ', () => ({ updatedAt: 5, model: 'x' }));
    const dir = join(base, 'sessions.d');
    expect(statSync(dir).mode & 0o7777).toBe(0o700);
    const file = join(dir, `${encodeKey('agent:main')}.json`);
    expect(statSync(file).mode & 0o7777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ v: 1, key: 'agent:main', rev: 1, entry: { updatedAt: 5, model: 'x' } });
    expect(existsSync(join(dir, '.stamp'))).toBe(true);
    expect(existsSync(join(dir, '.locks'))).toBe(true);
    await store.update('agent:main', (e) => ({ ...e, model: 'y' }));
    expect(JSON.parse(readFileSync(file, 'utf8')).rev).toBe(2);
    await store.close();
  });

  it('get / getUpdatedAt / loadAll / delete, keys normalized', async () => {
    const { store } = await storeIn();
    expect(await store.get('nope')).toBeUndefined();
    expect(await store.getUpdatedAt('nope')).toBeUndefined();
    await store.update('K', () => ({ updatedAt: 7, a: 1 }));
    await store.update('other', () => ({ a: 2 }));
    expect(await store.get(' k ')).toEqual({ updatedAt: 7, a: 1 });
    expect(await store.getUpdatedAt('k')).toBe(7);
    expect(await store.getUpdatedAt('other')).toBeUndefined();
    const all = await store.loadAll();
    expect(Object.getPrototypeOf(all)).toBeNull();
    expect(Object.isFrozen(all)).toBe(true);
    expect(Object.isFrozen(all['k'])).toBe(true);
    expect(Object.keys(all).sort()).toEqual(['k', 'other']);
    expect(await store.loadAll()).toBe(all); // cached while the stamp is unchanged
    expect(await store.delete('K')).toBe(true);
    expect(await store.delete('K')).toBe(false);
    expect(Object.keys(await store.loadAll())).toEqual(['other']);
    await store.close();
    expect((await caught(store.get('other'))).code).toBe('ECLOSED');
    await store.close();
  });

  it('update writes nothing when the entry did not change; a mutator may change the entry in place', async () => {
    const { base, store } = await storeIn();
    await store.update('k', () => ({ a: 1, b: { c: 2 } }));
    const file = join(base, 'sessions.d', 'k.json');
    const before = statSync(file).ino;
    await store.update('k', () => ({ b: { c: 2 }, a: 1 })); // same content, other key order
    expect(statSync(file).ino).toBe(before);
    const result = await store.update('k', (current) => {
      (current as { a: number }).a = 3;
      return undefined;
    });
    expect(result).toEqual({ a: 3, b: { c: 2 } });
    expect(statSync(file).ino).not.toBe(before);
    expect(await store.update('absent', () => undefined)).toBeUndefined();
    expect(existsSync(join(base, 'sessions.d', 'absent.json'))).toBe(false);
    await expect(store.update('k', () => [] as unknown as { a: number })).rejects.toThrow(TypeError);
    await expect(store.update('k', () => ({ updatedAt: 'soon' }) as unknown as { a: number })).rejects.toThrow(TypeError);
    await expect(store.update('k', 'nope' as unknown as () => undefined)).rejects.toThrow(TypeError);
    await store.close();
  });

  it('refuses blocked and empty keys with EBADNAME and accepts every other key exactly', async () => {
    const { store } = await storeIn({ normalizeKey: (key: string) => key });
    for (const key of ['__proto__', 'constructor', 'prototype', '']) {
      expect((await caught(store.update(key, () => ({})))).code).toBe('EBADNAME');
    }
    const keys = ['a/b', '..', '.', 'x\0y', 'con', 'NUL.txt', 'k'.repeat(1000), 'K'.repeat(1000), 'Ünï', '~', '%41'];
    for (const [i, key] of keys.entries()) await store.update(key, () => ({ i }));
    const all = await store.loadAll();
    expect(Object.keys(all).sort()).toEqual([...keys].sort());
    for (const [i, key] of keys.entries()) expect((await store.get(key))?.['i']).toBe(i);
    await store.close();
  });

  it('updateMany writes only changed keys, supports add/change/delete and returns the mutator result', async () => {
    const { base, store } = await storeIn();
    for (const key of ['a', 'b', 'c']) await store.update(key, () => ({ v: key }));
    const inode = (key: string) => statSync(join(base, 'sessions.d', `${key}.json`)).ino;
    const [a, b] = [inode('a'), inode('b')];
    const result = await store.updateMany((record) => {
      expect(Object.keys(record).sort()).toEqual(['a', 'b', 'c']);
      expect(record['b']).toEqual({ v: 'b' }); // read only: not rewritten
      (record['c'] as { v: string }).v = 'C';
      delete record['a'];
      record['d'] = { v: 'd' };
      return 42;
    });
    expect(result).toBe(42);
    expect(inode('b')).toBe(b);
    expect(existsSync(join(base, 'sessions.d', 'a.json'))).toBe(false);
    expect(a).toBeGreaterThan(0);
    expect(await store.get('c')).toEqual({ v: 'C' });
    expect(await store.get('d')).toEqual({ v: 'd' });
    await expect(store.updateMany((record) => { record['__proto__'] = { x: 1 }; })).rejects.toThrow(HardfsError);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    await store.close();
  });

  it('a commit by another store instance is visible on the very next call (coherence, no TTL)', async () => {
    const { path, store } = await storeIn();
    const other = await openSessionStore(path, { fsync: false });
    await store.update('k', () => ({ n: 1 }));
    expect((await other.loadAll())['k']).toEqual({ n: 1 });
    await other.update('k', () => ({ n: 2 }));
    expect((await store.loadAll())['k']).toEqual({ n: 2 });
    expect(await store.get('k')).toEqual({ n: 2 });
    await other.delete('k');
    expect(await store.loadAll()).toEqual(Object.create(null));
    await other.close();
    await store.close();
  });

  it('maxEntryBytes bounds writes (ETOOBIG) and options are validated', async () => {
    const { path, store } = await storeIn({ maxEntryBytes: 200 });
    expect((await caught(store.update('k', () => ({ pad: 'x'.repeat(500) })))).code).toBe('ETOOBIG');
    await store.close();
    for (const bad of [{ maxEntryBytes: 0 }, { lockTimeoutMs: -1 }, { normalizeKey: 5 }, { logger: {} }, { staleTempMs: Number.NaN }]) {
      await expect(openSessionStore(path, bad as never)).rejects.toThrow(TypeError);
    }
  });

  it('a symlinked sessions.d is refused with ESYMLINK and nothing is written outside', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    symlinkSync(outside, join(base, 'sessions.d'));
    expect((await caught(openSessionStore(join(base, 'sessions.json')))).code).toBe('ESYMLINK');
    expect(readdirSync(outside)).toEqual([]);
  });

  it('the function API shares one store per path', async () => {
    const base = await tempDir();
    const path = join(base, 'sessions.json');
    await updateSessionStoreEntry(path, 'a', () => ({ updatedAt: 3 }), { fsync: false });
    expect(await readSessionUpdatedAt(path, 'A')).toBe(3);
    const n = await updateSessionStore(path, (record) => {
      record['b'] = { updatedAt: 4 };
      return Object.keys(record).length;
    });
    expect(n).toBe(2);
    expect(Object.keys(await loadSessionStore(path)).sort()).toEqual(['a', 'b']);
    await closeSessionStores();
    expect(Object.keys(await loadSessionStore(path)).sort()).toEqual(['a', 'b']);
  });
});

describe('listAgentSessionDirs', () => {
  const tempDir = useTempDirs();

  it('finds every agent, skips symlinked agent and sessions dirs, resolves templates for every agent', async () => {
    const state = await tempDir();
    const outside = await tempDir();
    for (const agent of ['main', 'alpha', 'beta']) mkdirSync(join(state, 'agents', agent, 'sessions'), { recursive: true, mode: 0o700 });
    mkdirSync(join(outside, 'sessions'), { recursive: true });
    symlinkSync(outside, join(state, 'agents', 'evil'));
    mkdirSync(join(state, 'agents', 'linked'));
    symlinkSync(join(outside, 'sessions'), join(state, 'agents', 'linked', 'sessions'));
    mkdirSync(join(state, 'agents', 'nosessions'));
    writeFileSync(join(state, 'agents', 'afile'), 'x');
    chmodSync(join(state, 'agents'), 0o700);
    const skipped: string[] = [];
    const found = await listAgentSessionDirs(state, { onSkipped: (path) => skipped.push(path) });
    expect(found.map((entry) => entry.agentId)).toEqual(['alpha', 'beta', 'main']);
    expect(found[0]).toEqual({ agentId: 'alpha', sessionsDir: join(state, 'agents', 'alpha', 'sessions'), storePath: join(state, 'agents', 'alpha', 'sessions', 'sessions.json') });
    expect(skipped.sort()).toEqual([join(state, 'agents', 'evil'), join(state, 'agents', 'linked', 'sessions')]);

    mkdirSync(join(state, 'agents', 'main', 'store'));
    mkdirSync(join(state, 'agents', 'beta', 'store'));
    const templated = await listAgentSessionDirs(state, { storePathTemplate: join(state, 'agents', '{agentId}', 'store', 'sessions.json') });
    expect(templated.map((entry) => entry.storePath)).toEqual([join(state, 'agents', 'beta', 'store', 'sessions.json'), join(state, 'agents', 'main', 'store', 'sessions.json')]);
    expect((await caught(listAgentSessionDirs(state, { storePathTemplate: '/x/{agentId}{agentId}/s.json' }))).code).toBe('EBADNAME');
    expect((await caught(listAgentSessionDirs(state, { storePathTemplate: '/x/a{agentId}/s.json' }))).code).toBe('EBADNAME');
    expect(await listAgentSessionDirs(join(state, 'missing'))).toEqual([]);
    expect(lstatSync(join(state, 'agents', 'evil')).isSymbolicLink()).toBe(true);
  });
});
