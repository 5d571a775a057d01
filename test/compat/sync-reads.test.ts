// The synchronous reads the gateway relies on (64 loadSessionStore and 16 readSessionUpdatedAt
// call sites, none awaited): available, or a typed refusal naming what is missing.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  clearSessionStoreCacheForTest,
  loadSessionStore,
  readSessionUpdatedAt,
  saveSessionStore,
  SyncReadUnavailableError,
} from '../../src/session-store/compat/index.js';
import { caught } from '../support/tmp.js';
import { SYNC_OPEN, useCompatFixtures } from './support.js';

const { caseDir } = useCompatFixtures({ needsSyncReads: false });

describe('synchronous reads', () => {
  it.runIf(SYNC_OPEN)('read a store that does not exist as empty, creating nothing', async () => {
    const dir = await caseDir('sync');
    expect(loadSessionStore(join(dir, 'sessions.json'))).toEqual({});
    expect(readSessionUpdatedAt({ storePath: join(dir, 'sessions.json'), sessionKey: 'k' })).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.runIf(!SYNC_OPEN)('until the store opens synchronously, a sync read of a store not yet opened is a typed refusal', async () => {
    const dir = await caseDir('sync');
    const error = await caught(() => loadSessionStore(join(dir, 'sessions.json')));
    expect(error).toBeInstanceOf(SyncReadUnavailableError);
    expect(error.code).toBe('ERR_HARDFS_SYNC_READ_UNAVAILABLE');
    expect(error.message).toContain('openSessionStoreSync');
    expect(readdirSync(dir)).toEqual([]);
  });

  it.runIf(!SYNC_OPEN)('clearSessionStoreCacheForTest forgets every store at once: the next synchronous read needs the store opened again', async () => {
    const storePath = join(await caseDir('sync'), 'sessions.json');
    await saveSessionStore(storePath, { a: { updatedAt: 1 } }, { skipMaintenance: true });
    expect(Object.keys(loadSessionStore(storePath))).toEqual(['a']);
    clearSessionStoreCacheForTest();
    expect((await caught(() => loadSessionStore(storePath))).code).toBe('ERR_HARDFS_SYNC_READ_UNAVAILABLE');
    await saveSessionStore(storePath, { b: { updatedAt: 2 } }, { skipMaintenance: true });
    expect(Object.keys(loadSessionStore(storePath))).toEqual(['b']);
  });
});
