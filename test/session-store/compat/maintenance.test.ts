// Maintenance on write: warn vs enforce, pruning by age, capping the count, the active session,
// archives, onWarn / onMaintenanceApplied / skipMaintenance. Ported from the gateway's
// store.pruning.integration.test.ts (its storage scenarios; transcript archiving and the disk
// budget are about transcripts, not the store), with the config passed as the gateway's own
// `maintenanceOverride` instead of a mocked openclaw.json.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadSessionStore,
  saveSessionStore,
  updateSessionStore,
  updateSessionStoreEntry,
  type SessionMaintenanceApplyReport,
  type SessionMaintenanceConfig,
  type SessionMaintenanceWarning,
} from '../../../src/session-store/compat/index.js';
import { caught } from '../../support/tmp.js';
import { configure, DAY_MS, useCompatFixtures } from './support.js';

const { caseDir } = useCompatFixtures();

const enforced: Partial<SessionMaintenanceConfig> = { mode: 'enforce', pruneAfterMs: 7 * DAY_MS, maxEntries: 500, rotateBytes: 10_485_760 };
const capped: Partial<SessionMaintenanceConfig> = { mode: 'enforce', pruneAfterMs: 365 * DAY_MS, maxEntries: 1, rotateBytes: 10_485_760 };

function staleAndFresh(now = Date.now()): Record<string, { sessionId: string; updatedAt: number }> {
  return { stale: { sessionId: 'stale', updatedAt: now - 30 * DAY_MS }, fresh: { sessionId: 'fresh', updatedAt: now } };
}

async function newStorePath(): Promise<string> {
  return join(await caseDir('pruning-integ'), 'sessions.json');
}

describe('maintenance on write (gateway store.pruning.integration.test.ts)', () => {
  it('saveSessionStore prunes stale entries on write', async () => {
    const storePath = await newStorePath();
    await saveSessionStore(storePath, staleAndFresh(), { maintenanceOverride: enforced });
    const loaded = loadSessionStore(storePath);
    expect(loaded['stale']).toBeUndefined();
    expect(loaded['fresh']).toBeDefined();
  });

  it('saveSessionStore skips enforcement when maintenance mode is warn', async () => {
    const storePath = await newStorePath();
    await saveSessionStore(storePath, staleAndFresh(), { maintenanceOverride: { mode: 'warn', pruneAfterMs: 7 * DAY_MS, maxEntries: 1 } });
    const loaded = loadSessionStore(storePath);
    expect(Object.keys(loaded).sort()).toEqual(['fresh', 'stale']);
  });

  it('entries evicted by maxEntries capping (from: archives transcript files for entries evicted by maxEntries capping)', async () => {
    const storePath = await newStorePath();
    const now = Date.now();
    await saveSessionStore(
      storePath,
      { oldest: { sessionId: 'oldest-session', updatedAt: now - DAY_MS }, newest: { sessionId: 'newest-session', updatedAt: now } },
      { maintenanceOverride: capped },
    );
    const loaded = loadSessionStore(storePath);
    expect(loaded['oldest']).toBeUndefined();
    expect(loaded['newest']).toBeDefined();
  });

  it('the configured default (the gateway resolves it per write, as from openclaw.json) applies without an override', async () => {
    let calls = 0;
    configure({
      maintenance: () => {
        calls += 1;
        return enforced;
      },
    });
    const storePath = await newStorePath();
    await saveSessionStore(storePath, staleAndFresh());
    await updateSessionStore(storePath, () => undefined);
    expect(calls).toBe(2);
    expect(Object.keys(loadSessionStore(storePath))).toEqual(['fresh']);
  });

  it('without any config the gateway default (warn) removes nothing', async () => {
    const storePath = await newStorePath();
    const now = Date.now();
    await saveSessionStore(storePath, { ancient: { updatedAt: now - 400 * DAY_MS }, fresh: { updatedAt: now } });
    expect(Object.keys(loadSessionStore(storePath)).sort()).toEqual(['ancient', 'fresh']);
  });
});

describe('maintenance reports', () => {
  it('warn mode: onWarn hears that the active session would be pruned and capped; nothing is removed', async () => {
    const storePath = await newStorePath();
    const now = Date.now();
    const warningsSeen: SessionMaintenanceWarning[] = [];
    const reports: SessionMaintenanceApplyReport[] = [];
    await saveSessionStore(
      storePath,
      { 'agent:main:active': { updatedAt: now - 10 * DAY_MS }, other: { updatedAt: now } },
      {
        activeSessionKey: ' Agent:Main:Active ',
        maintenanceOverride: { mode: 'warn', pruneAfterMs: 7 * DAY_MS, maxEntries: 1 },
        onWarn: (warning) => void warningsSeen.push(warning),
        onMaintenanceApplied: (report) => void reports.push(report),
      },
    );
    expect(warningsSeen).toEqual([
      {
        activeSessionKey: 'agent:main:active',
        activeUpdatedAt: now - 10 * DAY_MS,
        totalEntries: 2,
        pruneAfterMs: 7 * DAY_MS,
        maxEntries: 1,
        wouldPrune: true,
        wouldCap: true,
      },
    ]);
    expect(reports).toEqual([{ mode: 'warn', beforeCount: 2, afterCount: 2, pruned: 0, capped: 0, diskBudget: null, removedKeys: [] }]);
    expect(Object.keys(loadSessionStore(storePath))).toHaveLength(2);
  });

  it('warn mode: no warning when the active session is safe', async () => {
    const storePath = await newStorePath();
    const warned: SessionMaintenanceWarning[] = [];
    await saveSessionStore(storePath, staleAndFresh(), {
      activeSessionKey: 'fresh',
      maintenanceOverride: { mode: 'warn', pruneAfterMs: 7 * DAY_MS, maxEntries: 5 },
      onWarn: (warning) => void warned.push(warning),
    });
    expect(warned).toEqual([]);
  });

  it('enforce mode: onMaintenanceApplied counts what was pruned and what was capped', async () => {
    const storePath = await newStorePath();
    const now = Date.now();
    const reports: SessionMaintenanceApplyReport[] = [];
    await saveSessionStore(
      storePath,
      { stale: { updatedAt: now - 30 * DAY_MS }, a: { updatedAt: now - 2 }, b: { updatedAt: now - 1 }, c: { updatedAt: now } },
      { maintenanceOverride: { mode: 'enforce', pruneAfterMs: 7 * DAY_MS, maxEntries: 2 }, onMaintenanceApplied: (r) => void reports.push(r) },
    );
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ mode: 'enforce', beforeCount: 4, afterCount: 2, pruned: 1, capped: 1, diskBudget: null });
    expect(reports[0]?.removedKeys.sort()).toEqual(['a', 'stale']);
    expect(Object.keys(loadSessionStore(storePath)).sort()).toEqual(['b', 'c']);
  });

  it('skipMaintenance: nothing is removed and no callback runs', async () => {
    const storePath = await newStorePath();
    let called = false;
    await saveSessionStore(storePath, staleAndFresh(), {
      skipMaintenance: true,
      maintenanceOverride: enforced,
      onMaintenanceApplied: () => {
        called = true;
      },
      onWarn: () => {
        called = true;
      },
    });
    expect(called).toBe(false);
    expect(Object.keys(loadSessionStore(storePath)).sort()).toEqual(['fresh', 'stale']);
  });

  it('a bad mode is refused before anything is removed', async () => {
    const storePath = await newStorePath();
    await saveSessionStore(storePath, staleAndFresh(), { skipMaintenance: true });
    const error = await caught(
      updateSessionStore(storePath, () => undefined, { maintenanceOverride: { mode: 'prune-everything' as 'enforce' } }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("'warn' or 'enforce'");
    expect(Object.keys(loadSessionStore(storePath))).toHaveLength(2);
  });
});

describe('maintenance and the active session', () => {
  it('enforce mode never removes the active session (hardfs differs: the gateway caps it too)', async () => {
    const storePath = await newStorePath();
    const now = Date.now();
    await saveSessionStore(
      storePath,
      { active: { updatedAt: now - 40 * DAY_MS }, other: { updatedAt: now } },
      { activeSessionKey: 'active', maintenanceOverride: { mode: 'enforce', pruneAfterMs: 7 * DAY_MS, maxEntries: 1 } },
    );
    expect(Object.keys(loadSessionStore(storePath))).toEqual(['active']);
  });

  it('updateSessionStoreEntry writes its own key as the active session', async () => {
    const storePath = await newStorePath();
    const now = Date.now();
    await saveSessionStore(storePath, { old: { updatedAt: now - DAY_MS }, newer: { updatedAt: now } }, { skipMaintenance: true });
    await updateSessionStoreEntry({
      storePath,
      sessionKey: 'old',
      update: () => ({ updatedAt: now - DAY_MS, label: 'patched' }),
      maintenanceOverride: { mode: 'enforce', pruneAfterMs: 365 * DAY_MS, maxEntries: 1 },
    });
    // The patch bumps `old` to now; with a cap of 1, `newer` is the one evicted, never the patched key.
    expect(Object.keys(loadSessionStore(storePath))).toEqual(['old']);
  });
});

describe('maintenance archives (hardfs: pruned entries archived, not just deleted)', () => {
  it('archives the removed entries and applies the archive retention', async () => {
    const dir = await caseDir('archive');
    const storePath = join(dir, 'sessions.json');
    const archiveDir = join(dir, 'sessions.archive');
    const reports: SessionMaintenanceApplyReport[] = [];
    const maintenanceOverride: Partial<SessionMaintenanceConfig> = { ...enforced, archive: { dir: archiveDir, maxArchives: 1 } };
    const now = Date.now();
    await saveSessionStore(storePath, staleAndFresh(now), { maintenanceOverride, onMaintenanceApplied: (r) => void reports.push(r) });
    const first = reports[0]?.archivePath;
    expect(first).toBeDefined();
    const archived = JSON.parse(readFileSync(first ?? '', 'utf8')) as { entries: { key: string; entry: unknown }[] };
    expect(archived.entries).toEqual([{ key: 'stale', reason: 'age', entry: { sessionId: 'stale', updatedAt: now - 30 * DAY_MS } }]);

    await updateSessionStore(
      storePath,
      (store) => {
        store['stale-again'] = { updatedAt: now - 20 * DAY_MS };
      },
      { maintenanceOverride, onMaintenanceApplied: (r) => void reports.push(r) },
    );
    expect(readdirSync(archiveDir)).toEqual([(reports[1]?.archivePath ?? '').split('/').pop()]);
  });
});
