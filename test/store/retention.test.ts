// prune() on a real store: removals through updateMany, archives written first, retention of
// archives, entries refreshed meanwhile spared. Ports the gateway's pruneStaleEntries and
// capEntryCount cases (store.pruning.test.ts) onto the store.
import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSessionStore, type SessionEntry, type SessionStore } from '../../src/session-store/index.js';
import { expireArchives, prune, type PrunableStore } from '../../src/store/retention.js';
import { openStore } from '../../src/store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const quiet = { warn: (): void => undefined };
const tempDir = useTempDirs();
const opened: SessionStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

async function storeWith(entries: Record<string, SessionEntry>): Promise<{ store: SessionStore; dir: string }> {
  const dir = await tempDir();
  const store = await openSessionStore(join(dir, 'sessions.json'), { fsync: false, logger: quiet });
  opened.push(store);
  await store.updateMany((record) => {
    Object.assign(record, entries);
  });
  return { store, dir };
}

function archiveFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('pruned-')).sort();
}

describe('prune by age (pruneStaleEntries: removes entries older than maxAgeDays)', () => {
  it('removes entries older than the window and keeps fresh ones and ones without a timestamp', async () => {
    const now = Date.now();
    const { store } = await storeWith({
      old: { sessionId: 'a', updatedAt: now - 31 * DAY_MS },
      fresh: { sessionId: 'b', updatedAt: now - DAY_MS },
      undated: { sessionId: 'c' },
    });
    const report = await prune(store, { olderThan: 30 * DAY_MS });
    expect(report.removed.map((r) => [r.key, r.reason])).toEqual([['old', 'age']]);
    expect(report).toMatchObject({ before: 3, after: 2, skipped: [] });
    expect(Object.keys(await store.loadAll()).sort()).toEqual(['fresh', 'undated']);
  });

  it('Store#prune is the same prune, refused ECLOSED once the store is closed', async () => {
    const now = Date.now();
    const dir = join(await tempDir(), 'store');
    const store = await openStore<{ updatedAt: number }>(dir, { fsync: false });
    await store.update('old', () => ({ updatedAt: now - 2 * DAY_MS }));
    await store.update('fresh', () => ({ updatedAt: now }));
    const report = await store.prune({ olderThan: DAY_MS });
    expect(report.removed.map((r) => r.key)).toEqual(['old']);
    expect(await store.keys()).toEqual(['fresh']);
    await store.close();
    expect((await caught(() => store.prune({ olderThan: DAY_MS }))).code).toBe('ECLOSED');
  });

  it('a removal is a commit: another handle on the store sees it at its next read', async () => {
    const now = Date.now();
    const { store, dir } = await storeWith({ old: { updatedAt: now - 2 * DAY_MS }, fresh: { updatedAt: now } });
    const other = await openSessionStore(join(dir, 'sessions.json'), { fsync: false, logger: quiet });
    opened.push(other);
    expect(Object.keys(await other.loadAll()).sort()).toEqual(['fresh', 'old']);
    await prune(store, { olderThan: DAY_MS });
    expect(Object.keys(await other.loadAll())).toEqual(['fresh']);
  });

  it('dryRun reports what would go and removes nothing', async () => {
    const now = Date.now();
    const { store } = await storeWith({ old: { updatedAt: now - 2 * DAY_MS }, fresh: { updatedAt: now } });
    const report = await prune(store, { olderThan: DAY_MS, dryRun: true });
    expect(report.removed.map((r) => r.key)).toEqual(['old']);
    expect(Object.keys(await store.loadAll()).sort()).toEqual(['fresh', 'old']);
  });
});

describe('prune by count (capEntryCount: over limit: keeps N most recent by updatedAt, deletes rest)', () => {
  it('keeps the N newest', async () => {
    const now = Date.now();
    const { store } = await storeWith({
      oldest: { updatedAt: now - 4 * DAY_MS },
      old: { updatedAt: now - 3 * DAY_MS },
      mid: { updatedAt: now - 2 * DAY_MS },
      recent: { updatedAt: now - DAY_MS },
      newest: { updatedAt: now },
    });
    const report = await prune(store, { maxEntries: 3 });
    expect(report.removed.map((r) => r.key).sort()).toEqual(['old', 'oldest']);
    expect(report.removed.every((r) => r.reason === 'count')).toBe(true);
    expect(Object.keys(await store.loadAll()).sort()).toEqual(['mid', 'newest', 'recent']);
  });

  it('a protected key (the active session) is never removed, and is reported as spared', async () => {
    const now = Date.now();
    const { store } = await storeWith({
      active: { updatedAt: now - 40 * DAY_MS },
      a: { updatedAt: now - 2 * DAY_MS },
      b: { updatedAt: now },
    });
    const report = await prune(store, { olderThan: 30 * DAY_MS, maxEntries: 1, protect: ['active'] });
    expect(report.spared.map((s) => [s.key, s.reason])).toEqual([['active', 'age']]);
    expect(Object.keys(await store.loadAll()).sort()).toEqual(['active']);
  });
});

describe('prune races', () => {
  it('an entry refreshed between the plan and the commit is not removed', async () => {
    const now = Date.now();
    const { store } = await storeWith({ stale: { updatedAt: now - 10 * DAY_MS }, other: { updatedAt: now - 10 * DAY_MS } });
    const racing: PrunableStore<SessionEntry> = {
      loadAll: async () => {
        const view = await store.loadAll();
        // Another writer touches `stale` after the plan's view was taken.
        await store.update('stale', (entry) => ({ ...entry, updatedAt: Date.now() }));
        return view;
      },
      updateMany: (mutator) => store.updateMany(mutator),
    };
    const report = await prune(racing, { olderThan: DAY_MS });
    expect(report.removed.map((r) => r.key)).toEqual(['other']);
    expect(report.skipped).toEqual(['stale']);
    expect(Object.keys(await store.loadAll())).toEqual(['stale']);
  });
});

describe('prune races with archives and the cap', () => {
  it('an archive holds exactly what left the store when a planned removal was skipped', async () => {
    const now = Date.now();
    const { store, dir } = await storeWith({ stale: { updatedAt: now - 10 * DAY_MS }, other: { updatedAt: now - 10 * DAY_MS } });
    const archiveDir = join(dir, 'archive');
    const racing: PrunableStore<SessionEntry> = {
      loadAll: async () => {
        const view = await store.loadAll();
        await store.update('stale', (entry) => ({ ...entry, updatedAt: Date.now() }));
        return view;
      },
      updateMany: (mutator) => store.updateMany(mutator),
    };
    const report = await prune(racing, { olderThan: DAY_MS, archive: { dir: archiveDir } });
    const files = archiveFiles(archiveDir);
    expect(files).toHaveLength(1);
    const archived = JSON.parse(readFileSync(join(archiveDir, files[0] ?? ''), 'utf8')) as { entries: { key: string }[] };
    expect(archived.entries.map((e) => e.key)).toEqual(['other']);
    expect(report.archivePath).toBe(join(archiveDir, files[0] ?? ''));
  });

  it('no archive file is left when every planned removal was skipped', async () => {
    const now = Date.now();
    const { store, dir } = await storeWith({ stale: { updatedAt: now - 10 * DAY_MS } });
    const racing: PrunableStore<SessionEntry> = {
      loadAll: async () => {
        const view = await store.loadAll();
        await store.updateMany((record) => {
          Reflect.deleteProperty(record, 'stale');
        });
        return view;
      },
      updateMany: (mutator) => store.updateMany(mutator),
    };
    const report = await prune(racing, { olderThan: DAY_MS, archive: { dir: join(dir, 'archive') } });
    expect(report.removed).toEqual([]);
    expect(report.skipped).toEqual(['stale']);
    expect(report.archivePath).toBeUndefined();
    expect(archiveFiles(join(dir, 'archive'))).toEqual([]);
  });

  it('a count removal is skipped once other writers brought the store under the cap', async () => {
    const now = Date.now();
    const { store } = await storeWith({ a: { updatedAt: now - 3 }, b: { updatedAt: now - 2 }, c: { updatedAt: now - 1 } });
    const racing: PrunableStore<SessionEntry> = {
      loadAll: async () => {
        const view = await store.loadAll();
        await store.updateMany((record) => {
          Reflect.deleteProperty(record, 'c');
        });
        return view;
      },
      updateMany: (mutator) => store.updateMany(mutator),
    };
    const report = await prune(racing, { maxEntries: 2 });
    expect(report.removed).toEqual([]);
    expect(report.skipped).toEqual(['a']);
    expect(Object.keys(await store.loadAll()).sort()).toEqual(['a', 'b']);
  });
});

describe('prune archives', () => {
  it('writes the removed entries to the archive directory and says where', async () => {
    const now = Date.now();
    const { store, dir } = await storeWith({ old: { sessionId: 'x', updatedAt: now - 2 * DAY_MS }, fresh: { updatedAt: now } });
    const archiveDir = join(dir, 'archive');
    const report = await prune(store, { olderThan: DAY_MS, archive: { dir: archiveDir } });
    const files = archiveFiles(archiveDir);
    expect(files).toHaveLength(1);
    expect(report.archivePath).toBe(join(archiveDir, files[0] ?? ''));
    const archived = JSON.parse(readFileSync(join(archiveDir, files[0] ?? ''), 'utf8')) as {
      entries: { key: string; reason: string; entry: SessionEntry }[];
    };
    expect(archived.entries).toEqual([{ key: 'old', reason: 'age', entry: { sessionId: 'x', updatedAt: now - 2 * DAY_MS } }]);
  });

  it('writes no archive (and creates no archive directory) when nothing is removed', async () => {
    const { store, dir } = await storeWith({ fresh: { updatedAt: Date.now() } });
    const report = await prune(store, { olderThan: DAY_MS, archive: { dir: join(dir, 'archive') } });
    expect(report.archivePath).toBeUndefined();
    expect(existsSync(join(dir, 'archive'))).toBe(false);
  });

  it('a commit that fails leaves no archive file and the store unchanged', async () => {
    const now = Date.now();
    const { store, dir } = await storeWith({ old: { updatedAt: now - 2 * DAY_MS } });
    const failing: PrunableStore<SessionEntry> = {
      loadAll: () => store.loadAll(),
      updateMany: () => Promise.reject(new Error('disk on fire')),
    };
    const error = await caught(prune(failing, { olderThan: DAY_MS, archive: { dir: join(dir, 'archive') } }));
    expect(error.message).toContain('disk on fire');
    expect(archiveFiles(join(dir, 'archive'))).toEqual([]);
    expect(Object.keys(await store.loadAll())).toEqual(['old']);
  });

  it('keeps at most maxArchives archive files (the newest) and drops ones older than retentionMs', async () => {
    const { store, dir } = await storeWith({});
    const archiveDir = join(dir, 'archive');
    for (let round = 0; round < 4; round += 1) {
      await store.update(`k${round}`, () => ({ updatedAt: 1 }));
      await prune(store, { olderThan: DAY_MS, archive: { dir: archiveDir, maxArchives: 2 } });
    }
    const files = archiveFiles(archiveDir);
    expect(files).toHaveLength(2);
    const kept = files.map((name) => (JSON.parse(readFileSync(join(archiveDir, name), 'utf8')) as { entries: { key: string }[] }).entries[0]?.key);
    expect(kept.sort()).toEqual(['k2', 'k3']);

    const old = join(archiveDir, files[0] ?? '');
    const longAgo = new Date(Date.now() - 10 * DAY_MS);
    utimesSync(old, longAgo, longAgo);
    writeFileSync(join(archiveDir, 'notes.txt'), 'not an archive');
    utimesSync(join(archiveDir, 'notes.txt'), longAgo, longAgo);
    expect(await expireArchives({ dir: archiveDir, retentionMs: DAY_MS })).toEqual([files[0]]);
    expect(archiveFiles(archiveDir)).toEqual([files[1]]);
    expect(readdirSync(archiveDir)).toContain('notes.txt'); // only archive files are ever removed
  });

  it('maxArchives keeps the newest names whatever order the directory lists them in', async () => {
    const dir = await tempDir();
    const names = ['20260105', '20260101', '20260104', '20260102', '20260103', '20260106'].map((stamp) => `pruned-${stamp}T000000Z-1-1-abcdef.json`);
    mkdirSync(join(dir, 'archive'));
    for (const name of names) writeFileSync(join(dir, 'archive', name), '{}');
    const expired = await expireArchives({ dir: join(dir, 'archive'), maxArchives: 2 });
    expect(expired).toEqual([...names].sort().reverse().slice(2));
    expect(readdirSync(join(dir, 'archive')).sort()).toEqual([...names].sort().slice(-2));
  });

  it('expiring archives of a directory that does not exist removes nothing and creates nothing', async () => {
    const dir = await tempDir();
    expect(await expireArchives({ dir: join(dir, 'none'), maxArchives: 1 })).toEqual([]);
    expect(existsSync(join(dir, 'none'))).toBe(false);
  });
});
