// loadSessionStore(storePath): synchronous, plain mutable copies, coherent with every writer.
// Ported from the gateway's sessions.cache.test.ts, sessions.test.ts and store.directory.test.ts.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadSessionStore,
  resolveSessionStoreDir,
  saveSessionStore,
  type SessionEntry,
} from '../../../src/session-store/compat/index.js';
import { openSessionStore } from '../../../src/session-store/index.js';
import { caught } from '../../support/tmp.js';
import { configure, useCompatFixtures } from './support.js';

const { caseDir, storeFixture } = useCompatFixtures();

function sessionEntry(overrides: Partial<SessionEntry> = {}): SessionEntry {
  return { sessionId: 'id-1', updatedAt: Date.now(), displayName: 'Test Session 1', ...overrides };
}

async function newStorePath(): Promise<string> {
  return join(await caseDir('cache'), 'sessions.json');
}

/** A writer other than the compat functions: a separate store handle with its own cache. */
async function externalCommit(storePath: string, mutate: (record: Record<string, SessionEntry>) => void): Promise<void> {
  const store = await openSessionStore(storePath, { fsync: false });
  try {
    await store.updateMany(mutate);
  } finally {
    await store.close();
  }
}

describe('loadSessionStore (gateway sessions.cache.test.ts: Session Store Cache)', () => {
  it('should load session store from disk on first call', async () => {
    const storePath = await newStorePath();
    const testStore = { 'session:1': sessionEntry() };
    await saveSessionStore(storePath, testStore);
    expect(loadSessionStore(storePath)).toEqual(testStore);
  });

  it('should serve freshly saved session stores from cache without disk reads', async () => {
    const storePath = await newStorePath();
    const testStore = { 'session:1': sessionEntry() };
    await saveSessionStore(storePath, testStore);
    // hardfs differs: each load checks the change log (one small read) instead of trusting a TTL;
    // what the gateway's test protects — repeated loads equal to what was saved — holds.
    expect(loadSessionStore(storePath)).toEqual(testStore);
    expect(loadSessionStore(storePath)).toEqual(testStore);
  });

  it('should not allow cached session mutations to leak across loads', async () => {
    const storePath = await newStorePath();
    await saveSessionStore(storePath, {
      'session:1': sessionEntry({ cliSessionIds: { openai: 'sess-1' }, skillsSnapshot: { prompt: 'skills', skills: [{ name: 'alpha' }] } }),
    });
    const loaded1 = loadSessionStore(storePath) as Record<string, { cliSessionIds: { openai: string }; skillsSnapshot: { skills: { name: string }[] } }>;
    const first = loaded1['session:1'];
    if (first === undefined) throw new Error('entry missing');
    first.cliSessionIds = { openai: 'mutated' };
    (first.skillsSnapshot.skills[0] ?? { name: '' }).name = 'mutated';
    const loaded2 = loadSessionStore(storePath) as typeof loaded1;
    expect(loaded2['session:1']?.cliSessionIds.openai).toBe('sess-1');
    expect(loaded2['session:1']?.skillsSnapshot.skills[0]?.name).toBe('alpha');
  });

  it('should refresh cache when store file changes on disk', async () => {
    const storePath = await newStorePath();
    await saveSessionStore(storePath, { 'session:1': sessionEntry() });
    expect(Object.keys(loadSessionStore(storePath))).toEqual(['session:1']);
    // hardfs: the store is sessions.d/, changed by another writer through the store.
    const modified = { 'session:99': { sessionId: 'id-99', updatedAt: Date.now() } };
    await externalCommit(storePath, (record) => {
      delete record['session:1'];
      Object.assign(record, modified);
    });
    expect(loadSessionStore(storePath)).toEqual(modified);
  });

  it('should invalidate cache on write', async () => {
    const storePath = await newStorePath();
    const testStore = { 'session:1': sessionEntry() };
    await saveSessionStore(storePath, testStore);
    expect(loadSessionStore(storePath)).toEqual(testStore);
    await saveSessionStore(storePath, { 'session:1': { ...testStore['session:1'], displayName: 'Updated Session 1' } });
    expect(loadSessionStore(storePath)['session:1']?.['displayName']).toBe('Updated Session 1');
  });

  it('should respect OPENCLAW_SESSION_CACHE_TTL_MS=0 to disable cache', async () => {
    // hardfs has no TTL to disable: every load is already coherent, so the same assertion holds without it.
    const storePath = await newStorePath();
    await saveSessionStore(storePath, { 'session:1': sessionEntry() });
    expect(Object.keys(loadSessionStore(storePath))).toEqual(['session:1']);
    const modified = { 'session:2': sessionEntry({ sessionId: 'id-2', displayName: 'Test Session 2' }) };
    await externalCommit(storePath, (record) => {
      delete record['session:1'];
      Object.assign(record, modified);
    });
    expect(loadSessionStore(storePath)).toEqual(modified);
  });

  it('should handle non-existent store gracefully', async () => {
    const dir = await caseDir('missing');
    const nonExistentPath = join(dir, 'non-existent.json');
    expect(loadSessionStore(nonExistentPath)).toEqual({});
    expect(readdirSync(dir)).toEqual([]); // and creates nothing
  });

  it('should handle invalid JSON gracefully', async () => {
    const { storePath } = await storeFixture('not valid json {');
    // hardfs differs: invalid JSON is refused (ECORRUPT), never read as {} and then overwritten.
    const error = await caught(() => loadSessionStore(storePath));
    expect(error.code).toBe('ECORRUPT');
    expect(readFileSync(storePath, 'utf8')).toBe('not valid json {');
  });

  it('should refresh cache when file is rewritten within the same mtime tick', async () => {
    const storePath = await newStorePath();
    await saveSessionStore(storePath, { 'session:1': sessionEntry({ displayName: 'Original' }) });
    expect(loadSessionStore(storePath)['session:1']?.['displayName']).toBe('Original');
    // Two commits by another writer within one millisecond: both visible (no mtime involved).
    await externalCommit(storePath, (record) => {
      record['session:2'] = sessionEntry({ sessionId: 'id-2', displayName: 'Added' });
    });
    await externalCommit(storePath, (record) => {
      record['session:3'] = sessionEntry({ sessionId: 'id-3', displayName: 'Added too' });
    });
    const loaded = loadSessionStore(storePath);
    expect(loaded['session:2']?.['displayName']).toBe('Added');
    expect(loaded['session:3']?.['displayName']).toBe('Added too');
  });
});

describe('loadSessionStore (gateway store.directory.test.ts: directory store operations, fresh install)', () => {
  it('loads empty store from empty directory', async () => {
    const dir = await caseDir('dirstore');
    const storePath = join(dir, 'sessions.json');
    await saveSessionStore(storePath, {});
    expect(Object.keys(loadSessionStore(storePath))).toHaveLength(0);
  });

  it('loadSessionStore returns empty for non-existent store', async () => {
    const dir = await caseDir('fresh');
    expect(Object.keys(loadSessionStore(join(dir, 'sessions.json')))).toHaveLength(0);
    expect(existsSync(resolveSessionStoreDir(join(dir, 'sessions.json')))).toBe(false);
  });

  it('returns plain objects: deepStrictEqual against a plain object holds, and load → mutate → save works', async () => {
    const storePath = await newStorePath();
    await saveSessionStore(storePath, { 'session:1': { sessionId: 'a', updatedAt: 1 } });
    const store = loadSessionStore(storePath);
    expect(Object.getPrototypeOf(store['session:1'])).toBe(Object.prototype);
    expect(Object.isFrozen(store['session:1'])).toBe(false);
    (store['session:1'] as SessionEntry)['label'] = 'mutated';
    store['session:2'] = { sessionId: 'b', updatedAt: 2 };
    await saveSessionStore(storePath, store);
    expect(loadSessionStore(storePath)).toStrictEqual({
      'session:1': { sessionId: 'a', updatedAt: 1, label: 'mutated' },
      'session:2': { sessionId: 'b', updatedAt: 2 },
    });
  });
});

describe('loadSessionStore transform on load (gateway sessions.test.ts)', () => {
  it('loadSessionStore auto-migrates legacy provider keys to channel keys', async () => {
    // The gateway's applySessionStoreMigrations, passed in as the load hook.
    configure({
      transformOnLoad: (entry) => {
        const next = { ...entry };
        if (typeof next['channel'] !== 'string' && typeof next['provider'] === 'string') {
          next['channel'] = next['provider'];
          delete next['provider'];
        }
        if (typeof next['lastChannel'] !== 'string' && typeof next['lastProvider'] === 'string') {
          next['lastChannel'] = next['lastProvider'];
          delete next['lastProvider'];
        }
        return next;
      },
    });
    const { storePath } = await storeFixture({
      'agent:main:main': { sessionId: 'sess-legacy', updatedAt: 123, provider: 'slack', lastProvider: 'telegram', lastTo: 'user:U123' },
    });
    const entry = loadSessionStore(storePath)['agent:main:main'] ?? {};
    expect(entry['channel']).toBe('slack');
    expect(entry['provider']).toBeUndefined();
    expect(entry['lastChannel']).toBe('telegram');
    expect(entry['lastProvider']).toBeUndefined();
  });
});
