// The store directory removed and recreated behind an open store (issue 10 item 16): the next
// call says what happened (ECLOSED naming the store, never a /proc/self/fd path), a store opened
// again works, and the function API recovers on its next call by itself.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { closeSessionStores, loadSessionStore, updateSessionStoreEntry } from '../../src/session-store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();
afterEach(async () => {
  await closeSessionStores();
});

describe('rm -rf the store directory && mkdir it again', () => {
  it('writes and reads fail once with ECLOSED saying the directory was replaced; reopening works', async () => {
    const dir = join(await tempDir(), 'store');
    const store = await openStore(dir, { fsync: false });
    await store.update('a', () => ({ n: 1 }));
    rmSync(dir, { recursive: true });
    mkdirSync(dir, { mode: 0o700 });
    const error = await caught(store.update('b', () => ({ n: 2 })));
    expect(error.code).toBe('ECLOSED');
    expect(error.path).toBe(dir);
    expect(error.message).toContain('removed or replaced since it was opened');
    expect(error.message).not.toContain('/proc/self/fd');
    // Closed for good, with the same explanation.
    expect((await caught(store.loadAll())).message).toContain('removed or replaced');
    const again = await openStore(dir, { fsync: false });
    expect(await again.update('b', () => ({ n: 2 }))).toEqual({ n: 2 });
    expect({ ...(await again.loadAll()) }).toEqual({ b: { n: 2 } });
    await again.close();
  });

  it('an error that is not a missing file is the caller’s own, even once the directory was replaced', async () => {
    const dir = join(await tempDir(), 'store');
    const store = await openStore(dir, { fsync: false });
    const error = await caught(
      store.updateMany(() => {
        // updateMany's mutator runs before any lock file is taken: nothing of the store is held here.
        rmSync(dir, { recursive: true });
        mkdirSync(dir, { mode: 0o700 });
        throw new TypeError('the mutator’s own');
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('the mutator’s own');
    // The next call meets the replaced directory itself.
    expect((await caught(store.update('a', () => ({ n: 1 })))).code).toBe('ECLOSED');
  });

  it('the function API drops its cached store and carries on with the new directory', async () => {
    const base = await tempDir();
    const path = join(base, 'sessions.json');
    await updateSessionStoreEntry(path, 'a', () => ({ n: 1 }), { fsync: false });
    expect({ ...(await loadSessionStore(path)) }).toEqual({ a: { n: 1 } });
    rmSync(join(base, 'sessions.d'), { recursive: true });
    mkdirSync(join(base, 'sessions.d'), { mode: 0o700 });
    expect(await updateSessionStoreEntry(path, 'b', () => ({ n: 2 }), { fsync: false })).toEqual({ n: 2 });
    expect({ ...(await loadSessionStore(path)) }).toEqual({ b: { n: 2 } });
  });
});
