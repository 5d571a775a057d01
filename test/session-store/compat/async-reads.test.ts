// loadSessionStoreAsync / readSessionUpdatedAtAsync: the same results as the synchronous reads,
// for callers that can await (and for any store, opened before or not).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadSessionStoreAsync,
  readSessionUpdatedAtAsync,
  saveSessionStore,
  updateSessionStoreEntry,
} from '../../../src/session-store/compat/index.js';
import { configure, useCompatFixtures } from './support.js';

const { caseDir, storeFixture } = useCompatFixtures({ needsSyncReads: false });

describe('async reads', () => {
  it('a store that does not exist reads as empty and nothing is created', async () => {
    const dir = await caseDir('async');
    const storePath = join(dir, 'sessions.json');
    expect(await loadSessionStoreAsync(storePath)).toEqual({});
    expect(await readSessionUpdatedAtAsync({ storePath, sessionKey: 'k' })).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a store whose directory does not exist reads as empty and nothing is created', async () => {
    const dir = await caseDir('async');
    expect(await loadSessionStoreAsync(join(dir, 'agents', 'x', 'sessions', 'sessions.json'))).toEqual({});
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a legacy sessions.json is migrated on the first read and served as plain objects', async () => {
    configure({ transformOnLoad: (entry) => ({ ...entry, seen: true }) });
    const { storePath } = await storeFixture({ 'Agent:Main:A': { sessionId: 'a', updatedAt: 7 } });
    const store = await loadSessionStoreAsync(storePath);
    expect(store).toStrictEqual({ 'agent:main:a': { sessionId: 'a', updatedAt: 7, seen: true } });
    expect(await readSessionUpdatedAtAsync({ storePath, sessionKey: 'AGENT:MAIN:A' })).toBe(7);
  });

  it('sees every write of the compat functions', async () => {
    const storePath = join(await caseDir('async'), 'sessions.json');
    await saveSessionStore(storePath, { a: { sessionId: 'a', updatedAt: 1 } });
    await updateSessionStoreEntry({ storePath, sessionKey: 'a', update: () => ({ label: 'x', updatedAt: 5 }) });
    expect((await loadSessionStoreAsync(storePath))['a']).toMatchObject({ label: 'x' });
    expect(await readSessionUpdatedAtAsync({ storePath, sessionKey: 'a' })).toBeGreaterThanOrEqual(5);
    expect(await readSessionUpdatedAtAsync({ storePath, sessionKey: 'missing' })).toBeUndefined();
  });
});
