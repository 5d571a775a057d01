import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateSessionStoreToDirectory, openSessionStore } from '../../src/session-store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const quiet = { warn: () => undefined };

describe('migrateSessionStoreToDirectory', () => {
  const tempDir = useTempDirs();
  const legacyIn = async (content: string) => {
    const base = await tempDir();
    const path = join(base, 'sessions.json');
    writeFileSync(path, content, { mode: 0o600 });
    return { base, path };
  };

  it('stages, renames into place and keeps a byte-identical backup', async () => {
    const legacy = JSON.stringify({ a: { updatedAt: 1, x: 1 }, 'b/c': { updatedAt: 2 }, ['k'.repeat(1000)]: { updatedAt: 3 }, '..': { n: 1 } }, null, 2);
    const { base, path } = await legacyIn(legacy);
    const progress: number[] = [];
    const result = await migrateSessionStoreToDirectory(path, { logger: quiet, onProgress: (done) => progress.push(done) });
    expect(result.migrated).toBe(true);
    expect(result.mode).toBe('fresh');
    expect(result.entries).toBe(4);
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(join(base, 'sessions.d.migrating'))).toBe(false);
    expect(readFileSync(result.backupPath as string, 'utf8')).toBe(legacy);
    const store = await openSessionStore(path, { logger: quiet });
    const all = await store.loadAll();
    expect(Object.keys(all).sort()).toEqual(['..', 'a', 'b/c', 'k'.repeat(1000)].sort());
    expect(all['k'.repeat(1000)]).toEqual({ updatedAt: 3 });
    await store.close();
    // idempotent: nothing left to migrate
    expect((await migrateSessionStoreToDirectory(path)).migrated).toBe(false);
  });

  it('merges case variants keeping the newest updatedAt, and reports null and invalid entries', async () => {
    const { path } = await legacyIn(JSON.stringify({ Key: { updatedAt: 5, v: 'new' }, key: { updatedAt: 1, v: 'old' }, KEY: { v: 'none' }, n: null, s: 'str', arr: [1], bad: { updatedAt: 'x' } }));
    const warnings: string[] = [];
    const result = await migrateSessionStoreToDirectory(path, { logger: { warn: (message) => warnings.push(message) } });
    expect(result.entries).toBe(1);
    const reasons = Object.fromEntries(result.skipped.map((skip) => [skip.key, skip.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['KEY', 'arr', 'bad', 'key', 'n', 's'].sort());
    expect(reasons['n']).toBe('null entry');
    expect(warnings.length).toBe(result.skipped.length);
    const store = await openSessionStore(path, { logger: quiet });
    expect(await store.get('key')).toEqual({ updatedAt: 5, v: 'new' });
    await store.close();
  });

  it('an all-null or empty legacy store is not migrated and is left untouched', async () => {
    for (const content of ['{"a":null,"b":null}', '{}']) {
      const { base, path } = await legacyIn(content);
      const result = await migrateSessionStoreToDirectory(path, { logger: quiet });
      expect(result.migrated).toBe(false);
      expect(result.reason).toMatch(/no valid entry/);
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(existsSync(join(base, 'sessions.d'))).toBe(false);
    }
  });

  it('unparseable legacy JSON is ECORRUPT and the file stays byte-identical', async () => {
    for (const content of ['{"a": {', '[1,2]', '"str"']) {
      const { base, path } = await legacyIn(content);
      const error = await caught(migrateSessionStoreToDirectory(path));
      expect(error.code).toBe('ECORRUPT');
      expect(error.path).toBe(path);
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(readdirSync(base)).toEqual(['sessions.json']);
      // and opening the store refuses too, rather than starting empty beside it
      expect((await caught(openSessionStore(path))).code).toBe('ECORRUPT');
    }
  });

  it('merging into an existing directory never overwrites a newer entry', async () => {
    const { path } = await legacyIn(JSON.stringify({ keep: { updatedAt: 1, v: 'legacy' }, take: { updatedAt: 9, v: 'legacy' }, fresh: { updatedAt: 1 } }));
    const store = await openSessionStore(path, { migrateOnOpen: false, fsync: false });
    await store.update('keep', () => ({ updatedAt: 5, v: 'dir' }));
    await store.update('take', () => ({ updatedAt: 2, v: 'dir' }));
    const result = await migrateSessionStoreToDirectory(path, { logger: quiet });
    expect(result.mode).toBe('merge');
    expect(result.entries).toBe(2);
    expect(await store.get('keep')).toEqual({ updatedAt: 5, v: 'dir' });
    expect(await store.get('take')).toEqual({ updatedAt: 9, v: 'legacy' });
    expect(await store.get('fresh')).toEqual({ updatedAt: 1 });
    expect(existsSync(path)).toBe(false);
    await store.close();
  });

  it('openSessionStore migrates automatically and discards a leftover staging directory', async () => {
    const { base, path } = await legacyIn(JSON.stringify({ a: { updatedAt: 1 } }));
    mkdirSync(join(base, 'sessions.d.migrating'));
    writeFileSync(join(base, 'sessions.d.migrating', 'half.json'), '{');
    const store = await openSessionStore(path, { logger: quiet });
    expect(Object.keys(await store.loadAll())).toEqual(['a']);
    expect(existsSync(join(base, 'sessions.d.migrating'))).toBe(false);
    expect(readdirSync(base).some((name) => name.startsWith('sessions.json.bak.'))).toBe(true);
    await store.close();
  });

  it('dryRun plans without writing', async () => {
    const { base, path } = await legacyIn(JSON.stringify({ a: { updatedAt: 1 }, b: null }));
    const result = await migrateSessionStoreToDirectory(path, { dryRun: true, logger: quiet });
    expect(result).toMatchObject({ migrated: false, entries: 1, reason: 'dry run', mode: 'fresh' });
    expect(readdirSync(base)).toEqual(['sessions.json']);
  });
});
