// updateSessionStoreEntry({ storePath, sessionKey, update }): the gateway's patch semantics.
// Ported from the gateway's sessions.test.ts, cache-fields.test.ts and store.directory.test.ts.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadSessionStore,
  resolveSessionStoreDir,
  saveSessionStore,
  updateSessionStore,
  updateSessionStoreEntry,
} from '../../../src/session-store/compat/index.js';
import { deferred, useCompatFixtures } from './support.js';

const { storeFixture, caseDir } = useCompatFixtures();
const KEY = 'agent:main:main';

describe('updateSessionStoreEntry (gateway sessions.test.ts)', () => {
  it('updateSessionStoreEntry preserves existing fields when patching', async () => {
    const { storePath } = await storeFixture({ [KEY]: { sessionId: 'sess-1', updatedAt: 100, reasoningLevel: 'on' } });
    await updateSessionStoreEntry({ storePath, sessionKey: KEY, update: async () => ({ updatedAt: 200 }) });
    const store = loadSessionStore(storePath);
    expect(store[KEY]?.updatedAt).toBeGreaterThanOrEqual(200);
    expect(store[KEY]?.['reasoningLevel']).toBe('on');
  });

  it('updateSessionStoreEntry returns null when session key does not exist', async () => {
    const { storePath } = await storeFixture({});
    const result = await updateSessionStoreEntry({
      storePath,
      sessionKey: 'agent:main:missing',
      update: async () => ({ thinkingLevel: 'high' }),
    });
    expect(result).toBeNull();
    // Never creates the missing key.
    expect(loadSessionStore(storePath)).toEqual({});
  });

  it('updateSessionStoreEntry keeps existing entry when patch callback returns null', async () => {
    const { storePath } = await storeFixture({ [KEY]: { sessionId: 'sess-1', updatedAt: 123, thinkingLevel: 'low' } });
    const result = await updateSessionStoreEntry({ storePath, sessionKey: KEY, update: async () => null });
    expect(result).toEqual(expect.objectContaining({ sessionId: 'sess-1', thinkingLevel: 'low' }));
    const store = loadSessionStore(storePath);
    expect(store[KEY]?.['thinkingLevel']).toBe('low');
    expect(store[KEY]?.updatedAt).toBe(123); // no patch: not touched, not bumped
  });

  it('updateSessionStoreEntry merges concurrent patches', async () => {
    const { storePath } = await storeFixture({ [KEY]: { sessionId: 'sess-1', updatedAt: 123, thinkingLevel: 'low' } });
    const firstStarted = deferred();
    const releaseFirst = deferred();
    const p1 = updateSessionStoreEntry({
      storePath,
      sessionKey: KEY,
      update: async () => {
        firstStarted.resolve();
        await releaseFirst.promise;
        return { modelOverride: 'anthropic/claude-opus-4-5' };
      },
    });
    const p2 = updateSessionStoreEntry({
      storePath,
      sessionKey: KEY,
      update: async () => {
        await firstStarted.promise;
        return { thinkingLevel: 'high' };
      },
    });
    await firstStarted.promise;
    releaseFirst.resolve();
    await Promise.all([p1, p2]);
    const store = loadSessionStore(storePath);
    expect(store[KEY]?.['modelOverride']).toBe('anthropic/claude-opus-4-5');
    expect(store[KEY]?.['thinkingLevel']).toBe('high');
    // No lock left behind: the legacy writer's lock is not used, the store's lock files are released.
    expect(existsSync(`${storePath}.lock`)).toBe(false);
    expect(readdirSync(join(resolveSessionStoreDir(storePath), '.locks'))).toEqual([]);
  });

  it('updateSessionStoreEntry re-reads disk inside lock instead of using stale cache', async () => {
    const { storePath } = await storeFixture({ [KEY]: { sessionId: 'sess-1', updatedAt: 123, thinkingLevel: 'low' } });
    expect(loadSessionStore(storePath)[KEY]?.['thinkingLevel']).toBe('low'); // prime the cache
    // hardfs: an external writer changes the directory store through the store (a separate
    // handle with its own cache), not by rewriting sessions.json, which after migration is a backup.
    const { openSessionStore } = await import('../../../src/session-store/index.js');
    const external = await openSessionStore(storePath, { fsync: false });
    try {
      await external.update(KEY, (entry) => ({ ...entry, providerOverride: 'anthropic', updatedAt: 124 }));
    } finally {
      await external.close();
    }
    await updateSessionStoreEntry({ storePath, sessionKey: KEY, update: async () => ({ thinkingLevel: 'high' }) });
    const store = loadSessionStore(storePath);
    expect(store[KEY]?.['providerOverride']).toBe('anthropic');
    expect(store[KEY]?.['thinkingLevel']).toBe('high');
  });
});

describe('updateSessionStoreEntry patch merge (gateway cache-fields.test.ts)', () => {
  it('merges cache fields properly', async () => {
    const { storePath } = await storeFixture({
      [KEY]: { sessionId: 'test-session', updatedAt: Date.now(), cacheRead: 1000, cacheWrite: 200, totalTokens: 5000 },
    });
    const merged = await updateSessionStoreEntry({ storePath, sessionKey: KEY, update: () => ({ cacheRead: 1500, cacheWrite: 300 }) });
    expect(merged).toMatchObject({ cacheRead: 1500, cacheWrite: 300, totalTokens: 5000 });
    expect(loadSessionStore(storePath)[KEY]).toMatchObject({ cacheRead: 1500, cacheWrite: 300, totalTokens: 5000 });
  });

  it('allows cache fields to be cleared with undefined', async () => {
    const { storePath } = await storeFixture({ [KEY]: { sessionId: 'test-session', updatedAt: Date.now(), cacheRead: 1000, cacheWrite: 200 } });
    await updateSessionStoreEntry({ storePath, sessionKey: KEY, update: () => ({ cacheRead: undefined, cacheWrite: undefined }) });
    const entry = loadSessionStore(storePath)[KEY] ?? {};
    expect('cacheRead' in entry).toBe(false);
    expect('cacheWrite' in entry).toBe(false);
  });
});

describe('updateSessionStoreEntry vs updateSessionStore (gateway store.directory.test.ts: lock namespace)', () => {
  it("updateSessionStoreEntry and updateSessionStore do not lose each other's writes", async () => {
    const storePath = join(await caseDir('lock-namespace'), 'sessions.json');
    const key = 'agent:main:race-session';
    await saveSessionStore(storePath, { [key]: { sessionId: 's', updatedAt: Date.now(), modelOverride: 'initial' } });
    await updateSessionStore(storePath, (store) => {
      (store[key] as Record<string, unknown>)['modelOverride'] = 'from-updateSessionStore';
    });
    const result = await updateSessionStoreEntry({
      storePath,
      sessionKey: key,
      update: async (entry) => ({ ...entry, modelOverride: 'from-updateSessionStoreEntry' }),
    });
    expect(result?.['modelOverride']).toBe('from-updateSessionStoreEntry');
    expect(loadSessionStore(storePath)[key]?.['modelOverride']).toBe('from-updateSessionStoreEntry');
  });

  it('a mixed-case session key patches the canonical (lower-cased) entry', async () => {
    const { storePath } = await storeFixture({ [KEY]: { sessionId: 'sess-1', updatedAt: 1 } });
    const result = await updateSessionStoreEntry({ storePath, sessionKey: '  Agent:Main:MAIN ', update: () => ({ label: 'x' }) });
    expect(result?.['label']).toBe('x');
    expect(Object.keys(loadSessionStore(storePath))).toEqual([KEY]);
  });
});
