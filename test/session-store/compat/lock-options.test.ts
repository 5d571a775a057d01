// Per-call lock options: the gateway passes { timeoutMs, staleMs } per call, and the function API
// must honour each call's own, never keep the options of the first call for a path.
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSessionStore, resolveSessionStoreDir, saveSessionStore, updateSessionStore } from '../../../src/session-store/compat/index.js';
import { entryFileName, openSessionStore } from '../../../src/session-store/index.js';
import { caught } from '../../support/tmp.js';
import { deferred, useCompatFixtures } from './support.js';

const { caseDir } = useCompatFixtures();
const KEY = 'agent:main:main';

async function seeded(): Promise<string> {
  const storePath = join(await caseDir('locks'), 'sessions.json');
  await saveSessionStore(storePath, { [KEY]: { sessionId: 's', updatedAt: 1, n: 0 } }, { skipMaintenance: true });
  return storePath;
}

/** Holds KEY's lock from a separate store handle until release() (its own in-process queue). */
async function holdKey(storePath: string): Promise<{ release: () => Promise<void> }> {
  const holder = await openSessionStore(storePath, { fsync: false });
  const held = deferred();
  const release = deferred();
  const done = holder.update(KEY, async (entry) => {
    held.resolve();
    await release.promise;
    return entry;
  });
  await held.promise;
  return {
    release: async () => {
      release.resolve();
      await done;
      await holder.close();
    },
  };
}

const bump = (store: Record<string, Record<string, unknown>>): void => {
  const entry = store[KEY];
  if (entry !== undefined) entry['n'] = (entry['n'] as number) + 1;
};

describe('per-call lock options', () => {
  it('timeoutMs is each call’s own: a short wait fails, a long wait on the same path succeeds', async () => {
    const storePath = await seeded();
    // A first call with a short timeout: the old function API kept the first call's options for the path.
    await updateSessionStore(storePath, bump, { timeoutMs: 150, skipMaintenance: true });
    const lock = await holdKey(storePath);
    const started = Date.now();
    const short = await caught(updateSessionStore(storePath, bump, { timeoutMs: 150, skipMaintenance: true }));
    expect(short.code).toBe('ELOCKED');
    expect(Date.now() - started).toBeLessThan(5_000);
    const long = updateSessionStore(storePath, bump, { timeoutMs: 20_000, skipMaintenance: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await lock.release();
    await long;
    expect(loadSessionStore(storePath)[KEY]?.['n']).toBe(2);
  });

  it('staleMs is each call’s own: a lock with an unreadable record is taken over after this call’s staleMs', async () => {
    const storePath = await seeded();
    const lockPath = join(resolveSessionStoreDir(storePath), '.locks', `${entryFileName(KEY)}.lock`);
    writeFileSync(lockPath, 'not an owner record', { mode: 0o600 });
    const now = new Date();
    utimesSync(lockPath, now, now);
    // Default staleMs (10 s): the planted lock still counts as held within a 300 ms wait.
    const refused = await caught(updateSessionStore(storePath, bump, { timeoutMs: 300, skipMaintenance: true }));
    expect(refused.code).toBe('ELOCKED');
    // This call's staleMs (200 ms): the same lock is judged stale and taken over.
    await updateSessionStore(storePath, bump, { staleMs: 200, timeoutMs: 10_000, skipMaintenance: true });
    expect(loadSessionStore(storePath)[KEY]?.['n']).toBe(1);
  });
});
