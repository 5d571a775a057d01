import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardfsError } from '../../src/index.js';
import { migrateSessionStoreToDirectory, openSessionStore, storeLayout } from '../../src/session-store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const quiet = { warn: () => undefined };

describe('optimistic concurrency in updateMany', () => {
  const tempDir = useTempDirs();

  it('re-runs the mutator when another writer commits a key it changes, and keeps both changes', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const store = await openSessionStore(path, { fsync: false });
    const other = await openSessionStore(path, { fsync: false });
    await store.update('k', () => ({ a: 0, b: 0 }));
    let runs = 0;
    await store.updateMany(async (record) => {
      runs += 1;
      const current = record['k'] as { a: number; b: number };
      if (runs === 1) await other.update('k', (entry) => ({ ...(entry as { a: number; b: number }), a: 1 }));
      record['k'] = { ...current, b: current.b + 1 };
    });
    expect(runs).toBe(2);
    expect(await store.get('k')).toEqual({ a: 1, b: 1 });
    await other.close();
    await store.close();
  });

  it('gives up with ELOCKED after maxUpdateRetries when every attempt conflicts', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const store = await openSessionStore(path, { fsync: false, maxUpdateRetries: 2 });
    const other = await openSessionStore(path, { fsync: false });
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

  it('a mutator that changes nothing writes nothing; keys that normalize alike are refused', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const store = await openSessionStore(path, { fsync: false });
    await store.update('a', () => ({ v: 1 }));
    expect(await store.updateMany((record) => Object.keys(record).length)).toBe(1);
    await expect(store.updateMany((record) => { record['X'] = { v: 1 }; record['x'] = { v: 2 }; })).rejects.toThrow(TypeError);
    await expect(store.updateMany((record) => { Object.defineProperty(record, 'g', { get: () => ({}) }); })).rejects.toThrow(TypeError);
    await expect(store.updateMany((record) => { (record as Record<symbol, unknown>)[Symbol('s')] = {}; })).rejects.toThrow(TypeError);
    await expect(store.updateMany('x' as never)).rejects.toThrow(TypeError);
    await store.updateMany((record) => {
      expect('a' in record).toBe(true);
      expect('zz' in record).toBe(false);
      expect(Object.getPrototypeOf(record)).toBeNull();
      record['a'] = undefined as never; // assigning undefined deletes, as in the legacy JSON store
    });
    expect(await store.get('a')).toBeUndefined();
    await store.close();
  });
});

describe('corrupt records are quarantined, each for its own reason', () => {
  const tempDir = useTempDirs();

  it('version, key, rev, entry shape, blocked key, oversized file, not a regular file', async () => {
    const base = await tempDir();
    const dir = join(base, 'sessions.d');
    mkdirSync(dir, { mode: 0o700 });
    const files: Record<string, string> = {
      'v2.json': '{"v":2,"key":"v2","rev":1,"entry":{}}',
      'nokey.json': '{"v":1,"rev":1,"entry":{}}',
      'norev.json': '{"v":1,"key":"norev","rev":0,"entry":{}}',
      'noentry.json': '{"v":1,"key":"noentry","rev":1,"entry":[1]}',
      'string.json': '"just a string"',
      'surrogate.json': '{"v":1,"key":"\\ud800","rev":1,"entry":{}}',
      'big.json': JSON.stringify({ v: 1, key: 'big', rev: 1, entry: { pad: 'x'.repeat(5000) } }),
    };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    mkdirSync(join(dir, 'adir.json'));
    const warnings: string[] = [];
    const store = await openSessionStore(join(base, 'sessions.json'), { maxEntryBytes: 1000, logger: { warn: (m) => warnings.push(m) } });
    expect(await store.get('big')).toBeUndefined(); // ETOOBIG on read: quarantined
    expect(Object.keys(await store.loadAll())).toEqual([]);
    const quarantined = readdirSync(join(dir, '.quarantine'));
    for (const name of [...Object.keys(files), 'adir.json']) expect(quarantined.some((q) => q.startsWith(`${name}.`))).toBe(true);
    expect(warnings.length).toBe(8);
    await store.close();
  });
});

describe('layout, migration and discovery edges', () => {
  const tempDir = useTempDirs();

  it('storeLayout derives names from the legacy path and refuses bad ones', () => {
    expect(storeLayout('/s/agents/a/sessions.json')).toMatchObject({ dirName: 'sessions.d', stagingName: 'sessions.d.migrating', legacyName: 'sessions.json', parentPath: '/s/agents/a' });
    expect(storeLayout('/s/store').dirName).toBe('store.d');
    expect(() => storeLayout('')).toThrow(HardfsError);
    expect(() => storeLayout('/s/.json')).toThrow(HardfsError);
  });

  it('a leftover staging directory without a legacy file is removed on open', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'sessions.d.migrating'));
    writeFileSync(join(base, 'sessions.d.migrating', 'x.json'), '{}');
    const warnings: string[] = [];
    const store = await openSessionStore(join(base, 'sessions.json'), { logger: { warn: (m) => warnings.push(m) } });
    expect(existsSync(join(base, 'sessions.d.migrating'))).toBe(false);
    expect(warnings.some((m) => m.includes('staging'))).toBe(true);
    await store.close();
  });

  it('migration refuses a store directory that is a file, and a legacy file that is a symlink', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'sessions.json'), '{"a":{"updatedAt":1}}');
    writeFileSync(join(base, 'sessions.d'), 'not a dir');
    expect((await caught(migrateSessionStoreToDirectory(join(base, 'sessions.json'), { logger: quiet }))).code).toBe('ENOTDIR');
    const other = await tempDir();
    const { symlinkSync } = await import('node:fs');
    symlinkSync(join(base, 'sessions.json'), join(other, 'sessions.json'));
    expect((await caught(migrateSessionStoreToDirectory(join(other, 'sessions.json'), { logger: quiet }))).code).toBe('ESYMLINK');
  });

  it('a legacy key that cannot be a session key is skipped and reported', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'sessions.json'), '{"   ":{"updatedAt":1},"ok":{"updatedAt":2}}');
    const result = await migrateSessionStoreToDirectory(join(base, 'sessions.json'), { logger: quiet });
    expect(result.entries).toBe(1);
    expect(result.skipped[0]?.reason).toMatch(/invalid key/);
  });
});

describe('durable paths and more migration edges', () => {
  const tempDir = useTempDirs();

  it('with fsync on (the default) update, updateMany and delete commit and report their paths', async () => {
    const base = await tempDir();
    const store = await openSessionStore(join(base, 'sessions.json'));
    expect(store.storePath).toBe(join(base, 'sessions.json'));
    expect(store.directoryPath).toBe(join(base, 'sessions.d'));
    await store.update('a', () => ({ n: 1 }));
    await store.updateMany((record) => {
      record['b'] = { n: 2 };
      delete record['a'];
    });
    expect(await store.delete('b')).toBe(true);
    expect(Object.keys(await store.loadAll())).toEqual([]);
    await store.close();
  });

  it('with migrateOnOpen false a legacy file and its staging directory are left alone', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'sessions.json'), '{"a":{"updatedAt":1}}');
    mkdirSync(join(base, 'sessions.d.migrating'));
    const store = await openSessionStore(join(base, 'sessions.json'), { migrateOnOpen: false, logger: quiet });
    expect(existsSync(join(base, 'sessions.d.migrating'))).toBe(true);
    expect(existsSync(join(base, 'sessions.json'))).toBe(true);
    expect(Object.keys(await store.loadAll())).toEqual([]);
    await store.close();
  });

  it('migration refuses a symlinked store directory', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    writeFileSync(join(base, 'sessions.json'), '{"a":{"updatedAt":1}}');
    const { symlinkSync } = await import('node:fs');
    symlinkSync(outside, join(base, 'sessions.d'));
    expect((await caught(migrateSessionStoreToDirectory(join(base, 'sessions.json'), { logger: quiet }))).code).toBe('ESYMLINK');
    expect(readdirSync(outside)).toEqual([]);
  });

  it('a template whose store is not below the agent directory is refused', async () => {
    const { listAgentSessionDirs } = await import('../../src/session-store/index.js');
    const base = await tempDir();
    expect((await caught(listAgentSessionDirs(base, { storePathTemplate: `${base}/{agentId}/../s.json` }))).code).toBe('EBADNAME');
    expect((await caught(listAgentSessionDirs(base, { storePathTemplate: `${base}/agents/{agentId}` }))).code).toBe('EBADNAME');
  });
});
