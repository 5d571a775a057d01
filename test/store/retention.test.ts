// prune() on a real store: removals through updateMany, archives written first, retention of
// archives, entries refreshed meanwhile spared. Ports the gateway's pruneStaleEntries and
// capEntryCount cases (store.pruning.test.ts) onto the store.
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { openSessionStore, type SessionEntry, type SessionStore } from '../../src/session-store/index.js';
import { expireArchives, prune, type PrunableStore } from '../../src/store/retention.js';
import { openStore } from '../../src/store/index.js';
import { fcParams } from '../support/fc.js';
import { mountSmallDisk, smallDiskSkipReason } from '../support/full-disk.js';
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

/** The descriptors this process holds open on `dir` (Linux: /proc/self/fd). */
function descriptorsOn(dir: string): string[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === dir;
    } catch {
      return false; // the listing's own descriptor, closed by now
    }
  });
}

describe('prune reports', () => {
  it('when nothing is due, the report says so exactly and nothing is written', async () => {
    const { store } = await storeWith({ fresh: { updatedAt: Date.now() } });
    const report = await prune(store, { olderThan: DAY_MS });
    expect(report).toStrictEqual({ before: 1, after: 1, removed: [], spared: [], skipped: [], expiredArchives: [] });
  });

  it('when nothing is due, the archive directory still gets its retention', async () => {
    const { store, dir } = await storeWith({ fresh: { updatedAt: Date.now() } });
    const archiveDir = join(dir, 'archive');
    mkdirSync(archiveDir);
    const names = ['pruned-2026-01-01T00-00-00.000Z-1-1-aaaaaa.json', 'pruned-2026-01-02T00-00-00.000Z-1-1-aaaaaa.json'];
    for (const name of names) writeFileSync(join(archiveDir, name), '{}');
    const report = await prune(store, { olderThan: DAY_MS, archive: { dir: archiveDir, maxArchives: 1 } });
    expect(report.expiredArchives).toEqual([names[0]]);
    expect(archiveFiles(archiveDir)).toEqual([names[1]]);
  });

  it('dryRun counts what would be left', async () => {
    const now = Date.now();
    const { store } = await storeWith({ a: { updatedAt: now - 3 * DAY_MS }, b: { updatedAt: now - 2 * DAY_MS }, c: { updatedAt: now } });
    const report = await prune(store, { olderThan: DAY_MS, dryRun: true });
    expect(report).toMatchObject({ before: 3, after: 1, skipped: [], expiredArchives: [] });
  });

  it('age removals are not held back by a cap the store is under', async () => {
    const now = Date.now();
    const { store } = await storeWith({ old: { updatedAt: now - 2 * DAY_MS }, fresh: { updatedAt: now } });
    const report = await prune(store, { olderThan: DAY_MS, maxEntries: 5 });
    expect(report.removed.map((r) => [r.key, r.reason])).toEqual([['old', 'age']]);
    expect(Object.keys(await store.loadAll())).toEqual(['fresh']);
  });

  it('the lock options reach the removal commit', async () => {
    const now = Date.now();
    const { store } = await storeWith({ old: { updatedAt: now - 2 * DAY_MS } });
    const calls: unknown[] = [];
    const recording: PrunableStore<SessionEntry> = {
      loadAll: () => store.loadAll(),
      updateMany: (mutator, call) => {
        calls.push(call);
        return store.updateMany(mutator, call);
      },
    };
    const lock = { timeoutMs: 5_000 };
    await prune(recording, { olderThan: DAY_MS, lock });
    expect(calls).toEqual([lock]);
    expect(calls[0]).toBe(lock);
  });

  it('a custom timestamp is never asked about an entry another writer removed meanwhile', async () => {
    const { store } = await storeWith({ gone: { sessionId: 'g', updatedAt: 1 }, stays: { sessionId: 's', updatedAt: 1 } });
    const racing: PrunableStore<SessionEntry> = {
      loadAll: async () => {
        const view = await store.loadAll();
        await store.updateMany((record) => {
          Reflect.deleteProperty(record, 'gone');
        });
        return view;
      },
      updateMany: (mutator) => store.updateMany(mutator),
    };
    // Throws on undefined, as a timestamp of the caller's entry type may.
    const timestamp = (entry: SessionEntry): number => (entry.sessionId === 's' ? 1 : 2);
    const report = await prune(racing, { maxEntries: 0, timestamp });
    expect(report.skipped).toEqual(['gone']);
    expect(report.removed.map((r) => r.key)).toEqual(['stays']);
  });

  it('the cap is re-counted after each removal: once under it, the remaining count removals are skipped', async () => {
    const { store } = await storeWith({ a: { updatedAt: 1 }, b: { updatedAt: 2 }, c: { updatedAt: 3 }, d: { updatedAt: 4 } });
    const racing: PrunableStore<SessionEntry> = {
      loadAll: async () => {
        const view = await store.loadAll();
        await store.updateMany((record) => {
          Reflect.deleteProperty(record, 'd');
        });
        return view;
      },
      updateMany: (mutator) => store.updateMany(mutator),
    };
    // Planned: b then a (4 entries, cap 2). At the commit there are 3: removing b reaches the cap.
    const report = await prune(racing, { maxEntries: 2 });
    expect(report.removed.map((r) => r.key)).toEqual(['b']);
    expect(report.skipped).toEqual(['a']);
    expect(Object.keys(await store.loadAll()).sort()).toEqual(['a', 'c']);
  });

  it('a failing commit without an archive rethrows the commit error itself', async () => {
    const { store } = await storeWith({ old: { updatedAt: 1 } });
    const failing: PrunableStore<SessionEntry> = {
      loadAll: () => store.loadAll(),
      updateMany: () => Promise.reject(Object.assign(new Error('commit refused'), { code: 'ELOCKED' })),
    };
    const error = await caught(prune(failing, { olderThan: DAY_MS }));
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain('commit refused');
  });
});

describe('prune archive files', () => {
  it('archive names sort by time and are portable: pruned-<ISO time without colons>-<pid>-<sequence>-<random>.json', async () => {
    const { store, dir } = await storeWith({});
    const archiveDir = join(dir, 'archive');
    for (let round = 0; round < 2; round += 1) {
      await store.update(`k${round}`, () => ({ updatedAt: 1 }));
      await prune(store, { olderThan: DAY_MS, archive: { dir: archiveDir } });
    }
    const files = archiveFiles(archiveDir);
    expect(files).toHaveLength(2);
    const shape = new RegExp(`^pruned-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{3}Z-${process.pid}-(\\d+)-[0-9a-f]{6}\\.json$`);
    const sequences = files.map((name) => {
      const match = shape.exec(name);
      expect(match, name).not.toBeNull();
      return Number(match?.[1]);
    });
    expect(sequences[0]).toBeGreaterThan(0);
    expect(sequences[1]).toBeGreaterThan(sequences[0] ?? Infinity);
  });

  it('creates the archive directory private (0o700)', async () => {
    const now = Date.now();
    const { store, dir } = await storeWith({ old: { updatedAt: now - 2 * DAY_MS } });
    const archiveDir = join(dir, 'nested', 'archive');
    await prune(store, { olderThan: DAY_MS, archive: { dir: archiveDir } });
    expect(statSync(archiveDir).mode & 0o777).toBe(0o700);
  });

  it('the archive written before the commit is the one kept when the commit removed all of it (not rewritten)', async () => {
    const now = Date.now();
    const { store, dir } = await storeWith({ a: { updatedAt: now - 2 * DAY_MS }, b: { updatedAt: now - 2 * DAY_MS } });
    const archiveDir = join(dir, 'archive');
    let inodeAtCommit: number | undefined;
    const watching: PrunableStore<SessionEntry> = {
      loadAll: () => store.loadAll(),
      updateMany: (mutator, call) => {
        const [name] = archiveFiles(archiveDir);
        inodeAtCommit = statSync(join(archiveDir, name ?? '')).ino;
        return store.updateMany(mutator, call);
      },
    };
    const report = await prune(watching, { olderThan: DAY_MS, archive: { dir: archiveDir } });
    expect(report.removed).toHaveLength(2);
    expect(inodeAtCommit).toBeDefined();
    expect(statSync(report.archivePath ?? '').ino).toBe(inodeAtCommit);
  });

  it('prune and expireArchives leave no descriptor open on the archive directory', async (context) => {
    if (process.platform !== 'linux') context.skip();
    const now = Date.now();
    const { store, dir } = await storeWith({ old: { updatedAt: now - 2 * DAY_MS } });
    const archiveDir = join(dir, 'archive');
    await prune(store, { olderThan: DAY_MS, archive: { dir: archiveDir } });
    expect(descriptorsOn(archiveDir)).toEqual([]);
    await expireArchives({ dir: archiveDir, maxArchives: 0 });
    expect(descriptorsOn(archiveDir)).toEqual([]);
    expect(archiveFiles(archiveDir)).toEqual([]);
  });

  it('a failing commit whose archive file is already gone rethrows the commit error, not ENOENT', async () => {
    const { store, dir } = await storeWith({ old: { updatedAt: 1 } });
    const archiveDir = join(dir, 'archive');
    const failing: PrunableStore<SessionEntry> = {
      loadAll: () => store.loadAll(),
      updateMany: () => {
        // Another process expired the archive meanwhile.
        for (const name of archiveFiles(archiveDir)) rmSync(join(archiveDir, name));
        return Promise.reject(Object.assign(new Error('commit refused'), { code: 'ELOCKED' }));
      },
    };
    const error = await caught(prune(failing, { olderThan: DAY_MS, archive: { dir: archiveDir } }));
    expect(error.code).toBe('ELOCKED');
  });

  it('a failing commit whose archive cannot be removed reports that failure (the archive would lie)', async () => {
    const { store, dir } = await storeWith({ old: { updatedAt: 1 } });
    const archiveDir = join(dir, 'archive');
    const failing: PrunableStore<SessionEntry> = {
      loadAll: () => store.loadAll(),
      updateMany: () => {
        // Something replaced the archive file by a directory of the same name.
        for (const name of archiveFiles(archiveDir)) {
          rmSync(join(archiveDir, name));
          mkdirSync(join(archiveDir, name));
        }
        return Promise.reject(Object.assign(new Error('commit refused'), { code: 'ELOCKED' }));
      },
    };
    const error = await caught(prune(failing, { olderThan: DAY_MS, archive: { dir: archiveDir } }));
    expect(error.code).toBe('EISDIR');
    expect(error.path).toContain(archiveDir);
  });

  it.skipIf(smallDiskSkipReason() !== undefined)('an archive rewrite that fails after the commit keeps the first archive (a superset of what left)', async () => {
    const now = Date.now();
    const { store } = await storeWith({ stale: { updatedAt: now - 10 * DAY_MS }, other: { updatedAt: now - 10 * DAY_MS } });
    const disk = mountSmallDisk(1024 * 1024);
    try {
      const archiveDir = join(disk.path, 'archive');
      const racing: PrunableStore<SessionEntry> = {
        loadAll: async () => {
          const view = await store.loadAll();
          await store.update('stale', (entry) => ({ ...entry, updatedAt: Date.now() }));
          return view;
        },
        updateMany: (mutator, call) => {
          disk.fill(); // the archive of both planned entries is written; the rewrite will not fit
          return store.updateMany(mutator, call);
        },
      };
      const error = await caught(prune(racing, { olderThan: DAY_MS, archive: { dir: archiveDir } }));
      expect(error.code).toBe('ENOSPC');
      expect(Object.keys(await store.loadAll())).toEqual(['stale']);
      const files = archiveFiles(archiveDir);
      expect(files).toHaveLength(1);
      const archived = JSON.parse(readFileSync(join(archiveDir, files[0] ?? ''), 'utf8')) as { entries: { key: string }[] };
      expect(archived.entries.map((e) => e.key).sort()).toEqual(['other', 'stale']);
    } finally {
      disk.unmount();
    }
  });
});

describe('expireArchives', () => {
  const DAY_AGO = (): Date => new Date(Date.now() - 10 * DAY_MS);

  it('removes only regular files named pruned-….json', async () => {
    const dir = join(await tempDir(), 'archive');
    mkdirSync(dir);
    const archive = 'pruned-2026-01-01T00-00-00.000Z-1-1-aaaaaa.json';
    const others = ['other.json', 'pruned-notes.txt', 'pruned-dir.json', 'pruned-link.json'];
    writeFileSync(join(dir, archive), '{}');
    writeFileSync(join(dir, 'other.json'), '{}');
    writeFileSync(join(dir, 'pruned-notes.txt'), 'x');
    mkdirSync(join(dir, 'pruned-dir.json'));
    symlinkSync(archive, join(dir, 'pruned-link.json'));
    for (const name of [archive, 'other.json', 'pruned-notes.txt', 'pruned-dir.json']) utimesSync(join(dir, name), DAY_AGO(), DAY_AGO());
    expect(await expireArchives({ dir, retentionMs: DAY_MS, maxArchives: 0 })).toEqual([archive]);
    expect(readdirSync(dir).sort()).toEqual([...others].sort());
  });

  it('without a retention rule it opens nothing: resolves [] even for a path that is not a directory', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'x');
    symlinkSync(base, join(base, 'link'));
    expect(await expireArchives({ dir: join(base, 'file') })).toEqual([]);
    expect(await expireArchives({ dir: join(base, 'link') })).toEqual([]);
  });

  it('refuses an archive directory that is a symlink or a file (only a missing one is empty)', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'real'));
    writeFileSync(join(base, 'real', 'pruned-x.json'), '{}');
    symlinkSync(join(base, 'real'), join(base, 'link'));
    writeFileSync(join(base, 'file'), 'x');
    const viaLink = await caught(expireArchives({ dir: join(base, 'link'), maxArchives: 0 }));
    expect(viaLink.code).toBe('ESYMLINK');
    expect(viaLink.path).toBe(join(base, 'link'));
    expect(readdirSync(join(base, 'real'))).toEqual(['pruned-x.json']);
    const onFile = await caught(expireArchives({ dir: join(base, 'file'), maxArchives: 0 }));
    expect(onFile.code).toBe('ENOTDIR');
    expect(onFile.path).toBe(join(base, 'file'));
  });

  it('a fresh archive stays under retentionMs; maxArchives 0 removes every archive', async () => {
    const dir = join(await tempDir(), 'archive');
    mkdirSync(dir);
    const fresh = 'pruned-2026-01-02T00-00-00.000Z-1-1-aaaaaa.json';
    writeFileSync(join(dir, fresh), '{}');
    expect(await expireArchives({ dir, retentionMs: DAY_MS })).toEqual([]);
    expect(await expireArchives({ dir, maxArchives: 1 })).toEqual([]);
    expect(await expireArchives({ dir, maxArchives: 0 })).toEqual([fresh]);
  });

  it('keeps the maxArchives newest names, whatever order they were created in (property)', async () => {
    const base = await tempDir();
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 99 }), { minLength: 0, maxLength: 8 }),
        fc.integer({ min: 0, max: 9 }),
        async (stamps, maxArchives) => {
          round += 1;
          const dir = join(base, `r${round}`);
          mkdirSync(dir);
          const names = stamps.map((stamp) => `pruned-2026-01-01T00-00-${String(stamp).padStart(2, '0')}.000Z-1-1-aaaaaa.json`);
          for (const name of names) writeFileSync(join(dir, name), '{}');
          const newestFirst = [...names].sort().reverse();
          expect(await expireArchives({ dir, maxArchives })).toEqual(newestFirst.slice(maxArchives));
          expect(readdirSync(dir).sort()).toEqual(newestFirst.slice(0, maxArchives).sort());
        },
      ),
      fcParams(),
    );
  });

  it.skipIf(smallDiskSkipReason() !== undefined)('an archive that cannot be unlinked (read-only filesystem) is an error, not a silent keep', async () => {
    const disk = mountSmallDisk(1024 * 1024);
    try {
      const dir = join(disk.path, 'archive');
      mkdirSync(dir);
      writeFileSync(join(dir, 'pruned-2026-01-01T00-00-00.000Z-1-1-aaaaaa.json'), '{}');
      execFileSync('mount', ['-o', 'remount,ro', disk.path]);
      const error = await caught(expireArchives({ dir, maxArchives: 0 }));
      expect(error.code).toBe('EROFS');
      expect(error.path).toContain(dir);
      expect(readdirSync(dir)).toHaveLength(1);
    } finally {
      disk.unmount();
    }
  });

  it('two expirers racing on one directory both succeed and together leave the newest', async () => {
    const dir = join(await tempDir(), 'archive');
    mkdirSync(dir);
    const names = Array.from({ length: 40 }, (_, i) => `pruned-2026-01-01T00-00-${String(i).padStart(2, '0')}.000Z-1-1-aaaaaa.json`);
    for (const name of names) writeFileSync(join(dir, name), '{}');
    const results = await Promise.all([expireArchives({ dir, maxArchives: 3 }), expireArchives({ dir, maxArchives: 3 }), expireArchives({ dir, maxArchives: 3 })]);
    expect(new Set(results.flat())).toEqual(new Set([...names].sort().slice(0, -3)));
    expect(readdirSync(dir).sort()).toEqual([...names].sort().slice(-3));
  });
});
