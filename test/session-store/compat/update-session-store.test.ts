// updateSessionStore(storePath, mutator, opts): read-modify-write of the whole record. Ported
// from the gateway's sessions.test.ts, sessions/sessions.test.ts ("session store lock"),
// store.directory.test.ts and store.session-key-normalization.test.ts.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadSessionStore,
  resolveSessionStoreDir,
  saveSessionStore,
  updateSessionStore,
  type SessionEntry,
} from '../../../src/session-store/compat/index.js';
import { entryFileName } from '../../../src/session-store/index.js';
import { caught } from '../../support/tmp.js';
import { useCompatFixtures } from './support.js';

const { storeFixture, caseDir } = useCompatFixtures();

function entryStat(storePath: string, key: string): { ino: number; mtimeMs: number } {
  const stats = statSync(join(resolveSessionStoreDir(storePath), entryFileName(key)));
  return { ino: stats.ino, mtimeMs: stats.mtimeMs };
}

describe('updateSessionStore (gateway sessions.test.ts)', () => {
  it('updateSessionStore preserves concurrent additions', async () => {
    const { storePath } = await storeFixture({});
    await Promise.all([
      updateSessionStore(storePath, (store) => {
        store['agent:main:one'] = { sessionId: 'sess-1', updatedAt: Date.now() };
      }),
      updateSessionStore(storePath, (store) => {
        store['agent:main:two'] = { sessionId: 'sess-2', updatedAt: Date.now() };
      }),
    ]);
    const store = loadSessionStore(storePath);
    expect(store['agent:main:one']?.['sessionId']).toBe('sess-1');
    expect(store['agent:main:two']?.['sessionId']).toBe('sess-2');
  });

  it('updateSessionStore keeps deletions when concurrent writes happen', async () => {
    const { storePath } = await storeFixture({
      'agent:main:old': { sessionId: 'sess-old', updatedAt: Date.now() },
      'agent:main:keep': { sessionId: 'sess-keep', updatedAt: Date.now() },
    });
    await Promise.all([
      updateSessionStore(storePath, (store) => {
        delete store['agent:main:old'];
      }),
      updateSessionStore(storePath, (store) => {
        store['agent:main:new'] = { sessionId: 'sess-new', updatedAt: Date.now() };
      }),
    ]);
    const store = loadSessionStore(storePath);
    expect(store['agent:main:old']).toBeUndefined();
    expect(store['agent:main:keep']?.['sessionId']).toBe('sess-keep');
    expect(store['agent:main:new']?.['sessionId']).toBe('sess-new');
  });

  it('recovers from array-backed session stores', async () => {
    const { storePath } = await storeFixture('[]');
    await updateSessionStore(storePath, (store) => {
      store['agent:main:main'] = { sessionId: 'sess-1', updatedAt: Date.now() };
    });
    expect(loadSessionStore(storePath)['agent:main:main']?.['sessionId']).toBe('sess-1');
    // hardfs differs: the entries live in sessions.d/, so sessions.json is not rewritten as an object.
    expect(statSync(resolveSessionStoreDir(storePath)).isDirectory()).toBe(true);
  });
});

describe('updateSessionStore (gateway sessions/sessions.test.ts: session store lock)', () => {
  it('serializes concurrent updateSessionStore calls without data loss', async () => {
    const key = 'agent:main:test';
    const { storePath } = await storeFixture({ [key]: { sessionId: 's1', updatedAt: 100, counter: 0 } });
    const N = 4;
    await Promise.all(
      Array.from({ length: N }, (_, i) =>
        updateSessionStore(storePath, async (store) => {
          const entry = store[key] as Record<string, unknown>;
          await Promise.resolve();
          entry['counter'] = (entry['counter'] as number) + 1;
          entry['tag'] = `writer-${i}`;
        }),
      ),
    );
    expect(loadSessionStore(storePath)[key]?.['counter']).toBe(N);
  });

  it('skips session store disk writes when payload is unchanged', async () => {
    const key = 'agent:main:no-op-save';
    const { storePath } = await storeFixture({ [key]: { sessionId: 's-noop', updatedAt: Date.now() } });
    await updateSessionStore(storePath, () => undefined, { skipMaintenance: true }); // opens and migrates
    const before = entryStat(storePath, key);
    await updateSessionStore(
      storePath,
      async (store) => {
        // Read, and assign an equal copy: still no change to write.
        store[key] = { ...(store[key] as SessionEntry) };
      },
      { skipMaintenance: true },
    );
    expect(entryStat(storePath, key)).toEqual(before);
  });

  it('multiple consecutive errors do not permanently poison the queue', async () => {
    const key = 'agent:main:multi-err';
    const { storePath } = await storeFixture({ [key]: { sessionId: 's1', updatedAt: 100 } });
    const errors = Array.from({ length: 3 }, (_, i) =>
      updateSessionStore(storePath, async () => {
        throw new Error(`fail-${i}`);
      }),
    );
    const success = updateSessionStore(storePath, async (store) => {
      store[key] = { ...store[key], modelOverride: 'recovered' };
    });
    for (const [i, p] of errors.entries()) expect((await caught(p)).message).toBe(`fail-${i}`);
    await success;
    expect(loadSessionStore(storePath)[key]?.['modelOverride']).toBe('recovered');
  });
});

describe('updateSessionStore (gateway store.directory.test.ts: directory store operations)', () => {
  it('updateSessionStore with diff-based writes', async () => {
    const storePath = join(await caseDir('dirstore'), 'sessions.json');
    await saveSessionStore(storePath, { 'agent:main:a': { sessionId: 'a', updatedAt: 1 }, 'agent:main:b': { sessionId: 'b', updatedAt: 1 } });
    const untouched = entryStat(storePath, 'agent:main:b');
    await updateSessionStore(storePath, (s) => {
      s['agent:main:a'] = { ...s['agent:main:a'], modelOverride: 'changed' };
    });
    const loaded = loadSessionStore(storePath);
    expect(loaded['agent:main:a']?.['modelOverride']).toBe('changed');
    expect(loaded['agent:main:b']).toBeDefined();
    expect(entryStat(storePath, 'agent:main:b')).toEqual(untouched); // b's file was not rewritten
  });

  it('concurrent writes to different sessions complete without blocking', async () => {
    const storePath = join(await caseDir('concurrent'), 'sessions.json');
    await saveSessionStore(storePath, { 'agent:main:session-a': { updatedAt: 1 }, 'agent:main:session-b': { updatedAt: 1 } });
    const results = await Promise.all([
      updateSessionStore(storePath, (s) => {
        s['agent:main:session-a'] = { ...s['agent:main:session-a'], modelOverride: 'model-a' };
        return 'a-done';
      }),
      updateSessionStore(storePath, (s) => {
        s['agent:main:session-b'] = { ...s['agent:main:session-b'], modelOverride: 'model-b' };
        return 'b-done';
      }),
    ]);
    expect(results).toEqual(['a-done', 'b-done']);
    const loaded = loadSessionStore(storePath);
    expect(loaded['agent:main:session-a']?.['modelOverride']).toBe('model-a');
    expect(loaded['agent:main:session-b']?.['modelOverride']).toBe('model-b');
  });

  it('sequential writes to the same session accumulate correctly', async () => {
    const storePath = join(await caseDir('sequential'), 'sessions.json');
    const key = 'agent:main:counter';
    await saveSessionStore(storePath, { [key]: { sessionId: 's1', updatedAt: 1, counter: 0 } });
    for (let i = 0; i < 4; i++) {
      await updateSessionStore(storePath, (store) => {
        const entry = store[key] as Record<string, unknown>;
        entry['counter'] = (entry['counter'] as number) + 1;
      });
    }
    expect(loadSessionStore(storePath)[key]?.['counter']).toBe(4);
  });
});

describe('updateSessionStore keys (gateway store.session-key-normalization.test.ts)', () => {
  const CANONICAL_KEY = 'agent:main:webchat:dm:mixed-user';
  const MIXED_CASE_KEY = 'Agent:Main:WebChat:DM:MiXeD-User';

  it('records inbound metadata under a canonical lowercase key', async () => {
    const { storePath } = await storeFixture({});
    await updateSessionStore(storePath, (store) => {
      store[MIXED_CASE_KEY] = { sessionId: 's', updatedAt: 1, origin: { provider: 'webchat' } };
    });
    const store = loadSessionStore(storePath);
    expect(Object.keys(store)).toEqual([CANONICAL_KEY]);
    expect((store[CANONICAL_KEY]?.['origin'] as { provider?: string } | undefined)?.provider).toBe('webchat');
  });

  it('does not create a duplicate mixed-case key when last route is updated', async () => {
    const { storePath } = await storeFixture({});
    await updateSessionStore(storePath, (store) => {
      store[CANONICAL_KEY] = { sessionId: 's', updatedAt: 1 };
    });
    // The store reads and writes every key in its canonical form: a mixed-case caller reaches the same entry.
    await updateSessionStore(storePath, (store) => {
      store[MIXED_CASE_KEY] = { ...store[CANONICAL_KEY], lastChannel: 'webchat', lastTo: 'webchat:user-1' };
    });
    const store = loadSessionStore(storePath);
    expect(Object.keys(store)).toEqual([CANONICAL_KEY]);
    expect(store[CANONICAL_KEY]).toEqual(expect.objectContaining({ lastChannel: 'webchat', lastTo: 'webchat:user-1' }));
  });

  it('migrates legacy mixed-case entries to the canonical key on update', async () => {
    const { storePath } = await storeFixture({
      [MIXED_CASE_KEY]: { sessionId: 'legacy-session', updatedAt: 1, chatType: 'direct', channel: 'webchat' },
    });
    await updateSessionStore(storePath, (store) => {
      store[CANONICAL_KEY] = { ...store[CANONICAL_KEY], lastTo: 'webchat:user-2' };
    });
    const store = loadSessionStore(storePath);
    expect(store[CANONICAL_KEY]?.['sessionId']).toBe('legacy-session');
    expect(store[MIXED_CASE_KEY]).toBeUndefined();
  });

  it('preserves updatedAt when recording inbound metadata for an existing session', async () => {
    const { storePath } = await storeFixture({ [CANONICAL_KEY]: { sessionId: 'existing-session', updatedAt: 1111, channel: 'webchat' } });
    await updateSessionStore(storePath, (store) => {
      (store[CANONICAL_KEY] as Record<string, unknown>)['origin'] = { provider: 'webchat' };
    });
    const store = loadSessionStore(storePath);
    expect(store[CANONICAL_KEY]?.['sessionId']).toBe('existing-session');
    expect(store[CANONICAL_KEY]?.updatedAt).toBe(1111); // the store never bumps updatedAt by itself
  });
});
