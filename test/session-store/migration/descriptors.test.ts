// Descriptors: a migration, fresh or merging, closes everything it opens; so does
// closeSessionStores for the stores the function API opened (migrating on first use).
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeSessionStores, loadSessionStore } from '../../../src/session-store/index.js';
import { legacyStores, migrate, quiet } from './support.js';

const { legacyIn, tempDir } = legacyStores();

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

describe.skipIf(process.platform !== 'linux')('descriptors', () => {
  it('a migration closes every descriptor it opens, fresh or merging', async () => {
    const fresh = await legacyIn(JSON.stringify({ a: { updatedAt: 1 }, b: { updatedAt: 2 } }));
    const before = openDescriptors();
    expect(await migrate(fresh.path)).toMatchObject({ migrated: true, mode: 'fresh' });
    expect(openDescriptors()).toBe(before);

    const merging = await legacyIn(JSON.stringify({ a: { updatedAt: 1 } }));
    mkdirSync(merging.dir, { mode: 0o700 });
    const beforeMerge = openDescriptors();
    expect(await migrate(merging.path)).toMatchObject({ migrated: true, mode: 'merge' });
    expect(openDescriptors()).toBe(beforeMerge);
  });

  it('closeSessionStores closes the stores the function API opened', async () => {
    const base = await tempDir();
    const before = openDescriptors();
    expect(await loadSessionStore(join(base, 'sessions.json'), { logger: quiet, fsync: false })).toEqual({});
    expect(openDescriptors()).toBeGreaterThan(before);
    await closeSessionStores();
    expect(openDescriptors()).toBe(before);
  });

  it('closeSessionStores settles while an open that is still in flight fails', async () => {
    const { path } = await legacyIn('{"a": {');
    const load = loadSessionStore(path, { logger: quiet }).catch((error: unknown) => error as { code?: string });
    await closeSessionStores();
    expect((await load).code).toBe('ECORRUPT');
  });
});
