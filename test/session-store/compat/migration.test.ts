// The gateway's startup migration through the compat entry point: migrateSessionStoreToDirectory
// (resolving to whether it migrated) and listAgentSessionDirs (the sessions directories).
// Ported from the directory-store pull request's store.directory.test.ts ("migration: JSON to
// directory", "fresh install behavior", "multi-agent migration via listAgentSessionDirs").
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  listAgentSessionDirs,
  loadSessionStore,
  migrateSessionStoreToDirectory,
  resolveSessionStoreDir,
  saveSessionStore,
  updateSessionStore,
  type SessionEntry,
} from '../../../src/session-store/compat/index.js';
import { useCompatFixtures } from './support.js';

const { caseDir } = useCompatFixtures();
const quiet = { logger: { warn: (): void => undefined } };

let sequence = 0;
function makeEntry(updatedAt: number, extra: Partial<SessionEntry> = {}): SessionEntry {
  sequence += 1;
  return { sessionId: `session-${sequence}`, updatedAt, ...extra };
}

async function legacyStore(entries: Record<string, unknown> | string): Promise<{ dir: string; storePath: string }> {
  const dir = await caseDir('migration');
  const storePath = join(dir, 'sessions.json');
  writeFileSync(storePath, typeof entries === 'string' ? entries : JSON.stringify(entries, null, 2), 'utf8');
  return { dir, storePath };
}

describe('resolveSessionStoreDir (gateway store.directory.test.ts)', () => {
  it('returns sessions.d in the same directory as storePath', () => {
    const storePath = join('/tmp', 'openclaw', 'agents', 'main', 'sessions', 'sessions.json');
    expect(resolveSessionStoreDir(storePath)).toBe(join('/tmp', 'openclaw', 'agents', 'main', 'sessions', 'sessions.d'));
  });
});

describe('migration: JSON to directory (gateway store.directory.test.ts)', () => {
  it('migrates legacy sessions.json via migrateSessionStoreToDirectory', async () => {
    const now = Date.now();
    const { dir, storePath } = await legacyStore({
      'agent:main:test': makeEntry(now, { modelOverride: 'test-model' }),
      'agent:main:other': makeEntry(now - 1000),
    });
    expect(await migrateSessionStoreToDirectory(storePath, quiet)).toBe(true);
    expect(statSync(resolveSessionStoreDir(storePath)).isDirectory()).toBe(true);
    expect(readdirSync(dir).filter((name) => name.includes('.bak.'))).toHaveLength(1);
    const loaded = loadSessionStore(storePath);
    expect(loaded['agent:main:test']?.['modelOverride']).toBe('test-model');
    expect(Object.keys(loaded)).toHaveLength(2);
  });

  it('migration is idempotent', async () => {
    const { storePath } = await legacyStore({ 'agent:main:test': makeEntry(Date.now()) });
    expect(await migrateSessionStoreToDirectory(storePath, quiet)).toBe(true);
    expect(await migrateSessionStoreToDirectory(storePath, quiet)).toBe(false);
  });

  it('preserves data integrity during migration', async () => {
    const now = Date.now();
    const initial: Record<string, SessionEntry> = {};
    for (let i = 0; i < 50; i++) initial[`agent:main:session-${i}`] = makeEntry(now - i * 100);
    const { storePath } = await legacyStore(initial);
    await migrateSessionStoreToDirectory(storePath, quiet);
    const loaded = loadSessionStore(storePath);
    expect(Object.keys(loaded)).toHaveLength(50);
    for (const [key, entry] of Object.entries(initial)) expect(loaded[key]?.['sessionId']).toBe(entry['sessionId']);
  });

  it('returns false for empty JSON file', async () => {
    const { storePath } = await legacyStore('');
    expect(await migrateSessionStoreToDirectory(storePath, quiet)).toBe(false);
  });

  it('returns false when no JSON file exists', async () => {
    const storePath = join(await caseDir('migration'), 'sessions.json');
    expect(await migrateSessionStoreToDirectory(storePath, quiet)).toBe(false);
  });

  it('merges legacy JSON entries into existing directory without clobbering', async () => {
    const now = Date.now();
    const dir = await caseDir('migration');
    const storePath = join(dir, 'sessions.json');
    // hardfs: the directory entry is written through the store (its files are records, not bare entries).
    await saveSessionStore(storePath, { 'agent:main:existing': makeEntry(now, { modelOverride: 'dir-model' }) }, { skipMaintenance: true });
    writeFileSync(
      storePath,
      JSON.stringify({
        'agent:main:existing': makeEntry(now - 5000, { modelOverride: 'old-json-model' }),
        'agent:main:new-entry': makeEntry(now - 1000),
      }),
    );
    expect(await migrateSessionStoreToDirectory(storePath, quiet)).toBe(true);
    const loaded = loadSessionStore(storePath);
    expect(loaded['agent:main:existing']?.['modelOverride']).toBe('dir-model');
    expect(loaded['agent:main:new-entry']).toBeDefined();
  });

  it('deduplicates case-variant keys during migration, keeping newest', async () => {
    const now = Date.now();
    const { storePath } = await legacyStore({
      'Agent:Main:Test': makeEntry(now - 5000, { modelOverride: 'older' }),
      'agent:main:test': makeEntry(now, { modelOverride: 'newer' }),
    });
    expect(await migrateSessionStoreToDirectory(storePath, quiet)).toBe(true);
    const loaded = loadSessionStore(storePath);
    expect(Object.keys(loaded)).toHaveLength(1);
    expect(loaded['agent:main:test']?.['modelOverride']).toBe('newer');
  });

  it('deduplicates case-variant keys keeping stale-wins prevention', async () => {
    const now = Date.now();
    const { storePath } = await legacyStore({
      'agent:main:test': makeEntry(now, { modelOverride: 'newer' }),
      'AGENT:MAIN:TEST': makeEntry(now - 10000, { modelOverride: 'older' }),
    });
    await migrateSessionStoreToDirectory(storePath, quiet);
    const loaded = loadSessionStore(storePath);
    expect(Object.keys(loaded)).toHaveLength(1);
    expect(loaded['agent:main:test']?.['modelOverride']).toBe('newer');
  });

  it('cleans up stale staging directory from previous failed migration', async () => {
    const { storePath } = await legacyStore({ 'agent:main:test': makeEntry(Date.now(), { modelOverride: 'fresh' }) });
    const staging = `${resolveSessionStoreDir(storePath)}.migrating`;
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'stale.json'), '{}', 'utf8');
    expect(await migrateSessionStoreToDirectory(storePath, quiet)).toBe(true);
    expect(loadSessionStore(storePath)['agent:main:test']?.['modelOverride']).toBe('fresh');
    expect(readdirSync(resolveSessionStoreDir(storePath))).not.toContain('stale.json');
    expect(existsSync(staging)).toBe(false);
  });
});

describe('fresh install behavior (gateway store.directory.test.ts)', () => {
  it('fresh install uses JSON mode by default', async () => {
    const storePath = join(await caseDir('fresh'), 'sessions.json');
    await updateSessionStore(storePath, (store) => {
      store['agent:main:new'] = makeEntry(Date.now());
    });
    // hardfs differs: a fresh install writes the directory store; no sessions.json is created.
    expect(statSync(resolveSessionStoreDir(storePath)).isDirectory()).toBe(true);
    expect(existsSync(storePath)).toBe(false);
    expect(loadSessionStore(storePath)['agent:main:new']).toBeDefined();
  });

  it('fresh install can be migrated to directory mode', async () => {
    const storePath = join(await caseDir('fresh'), 'sessions.json');
    await saveSessionStore(storePath, { 'agent:main:new': makeEntry(Date.now()) });
    // hardfs differs: it is in directory mode from the first write, so there is nothing to migrate.
    expect(await migrateSessionStoreToDirectory(storePath, quiet)).toBe(false);
    expect(statSync(resolveSessionStoreDir(storePath)).isDirectory()).toBe(true);
    expect(loadSessionStore(storePath)['agent:main:new']).toBeDefined();
  });

  it('migrateSessionStoreToDirectory then updateSessionStore works', async () => {
    const { storePath } = await legacyStore({ 'agent:main:existing': makeEntry(Date.now()) });
    await migrateSessionStoreToDirectory(storePath, quiet);
    await updateSessionStore(storePath, (store) => {
      store['agent:main:existing'] = { ...store['agent:main:existing'], modelOverride: 'updated' };
    });
    expect(loadSessionStore(storePath)['agent:main:existing']?.['modelOverride']).toBe('updated');
  });

  it('updateSessionStore after migration', async () => {
    const { storePath } = await legacyStore({ 'agent:main:test': makeEntry(Date.now()) });
    await migrateSessionStoreToDirectory(storePath, quiet);
    await updateSessionStore(storePath, (s) => {
      s['agent:main:test'] = { ...s['agent:main:test'], modelOverride: 'updated' };
    });
    expect(loadSessionStore(storePath)['agent:main:test']?.['modelOverride']).toBe('updated');
  });
});

describe('multi-agent migration via listAgentSessionDirs (gateway store.directory.test.ts)', () => {
  it('migrates all agent session directories found on disk', async () => {
    const stateDir = await caseDir('state');
    const agentIds = ['main', 'dev', 'doctor'];
    for (const id of agentIds) {
      const sessionsDir = join(stateDir, 'agents', id, 'sessions');
      mkdirSync(sessionsDir, { recursive: true, mode: 0o700 });
      writeFileSync(join(sessionsDir, 'sessions.json'), JSON.stringify({ [`agent:${id}:test`]: makeEntry(Date.now()) }));
    }
    const sessionDirs = await listAgentSessionDirs(stateDir);
    expect(sessionDirs).toHaveLength(3);
    for (const sessionsDir of sessionDirs) {
      expect(await migrateSessionStoreToDirectory(join(sessionsDir, 'sessions.json'), quiet)).toBe(true);
    }
    for (const id of agentIds) {
      const sessionsDir = join(stateDir, 'agents', id, 'sessions');
      expect(statSync(join(sessionsDir, 'sessions.d')).isDirectory()).toBe(true);
      expect(existsSync(join(sessionsDir, 'sessions.json'))).toBe(false);
      expect(loadSessionStore(join(sessionsDir, 'sessions.json'))[`agent:${id}:test`]).toBeDefined();
    }
  });

  it('skips already-migrated agents and handles missing sessions gracefully', async () => {
    const stateDir = await caseDir('state');
    const mainDir = join(stateDir, 'agents', 'main', 'sessions');
    mkdirSync(join(mainDir, 'sessions.d'), { recursive: true, mode: 0o700 });
    const devDir = join(stateDir, 'agents', 'dev', 'sessions');
    mkdirSync(devDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(devDir, 'sessions.json'), JSON.stringify({ 'agent:dev:test': makeEntry(Date.now()) }));
    mkdirSync(join(stateDir, 'agents', 'research'), { recursive: true, mode: 0o700 });
    const sessionDirs = await listAgentSessionDirs(stateDir);
    // hardfs differs: an agent without a sessions directory (research) is not listed; there is nothing to migrate.
    expect(sessionDirs).toEqual([devDir, mainDir]);
    const results: boolean[] = [];
    for (const sessionsDir of sessionDirs) results.push(await migrateSessionStoreToDirectory(join(sessionsDir, 'sessions.json'), quiet));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(loadSessionStore(join(devDir, 'sessions.json'))['agent:dev:test']).toBeDefined();
  });
});
