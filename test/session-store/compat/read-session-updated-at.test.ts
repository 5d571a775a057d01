// readSessionUpdatedAt({ storePath, sessionKey }): synchronous, one entry. Ported from the
// gateway's store.directory.test.ts ("readSessionUpdatedAt with directory store").
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSessionUpdatedAt, saveSessionStore, updateSessionStoreEntry } from '../../../src/session-store/compat/index.js';
import { useCompatFixtures } from './support.js';

const { caseDir } = useCompatFixtures();

async function newStorePath(): Promise<string> {
  return join(await caseDir('read-updated'), 'sessions.json');
}

describe('readSessionUpdatedAt (gateway store.directory.test.ts)', () => {
  it('reads single entry without loading entire store', async () => {
    const storePath = await newStorePath();
    const now = Date.now();
    await saveSessionStore(storePath, { 'agent:main:a': { sessionId: 'a', updatedAt: now - 1000 }, 'agent:main:b': { sessionId: 'b', updatedAt: now } });
    expect(readSessionUpdatedAt({ storePath, sessionKey: 'agent:main:b' })).toBe(now);
  });

  it('returns undefined for non-existent session', async () => {
    const storePath = await newStorePath();
    await saveSessionStore(storePath, {});
    expect(readSessionUpdatedAt({ storePath, sessionKey: 'agent:main:missing' })).toBeUndefined();
  });

  it('sees the newest updatedAt right after a patch, and finds a mixed-case key', async () => {
    const storePath = await newStorePath();
    await saveSessionStore(storePath, { 'agent:main:a': { sessionId: 'a', updatedAt: 5 } });
    await updateSessionStoreEntry({ storePath, sessionKey: 'agent:main:a', update: () => ({ updatedAt: 10 }) });
    const updatedAt = readSessionUpdatedAt({ storePath, sessionKey: 'Agent:Main:A' });
    expect(updatedAt).toBeGreaterThanOrEqual(10);
  });

});
