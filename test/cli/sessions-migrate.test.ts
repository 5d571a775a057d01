import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../support/tmp.js';
import { requireBuiltCli, runCli, runCliJson } from './cli-support.js';

requireBuiltCli();

interface StoreJson {
  storePath: string;
  agentId: string | null;
  status: 'migrated' | 'dry-run' | 'nothing-to-migrate' | 'not-migrated' | 'failed';
  entries: number;
  skipped: { key: string; reason: string }[];
  backupPath: string | null;
  mode: 'fresh' | 'merge' | null;
  reason: string | null;
  error: { code: string | null; message: string; path: string | null } | null;
  warnings: string[];
}

interface MigrateJson {
  command: string;
  target: string;
  dryRun: boolean;
  ok: boolean;
  stores: StoreJson[];
  refused: { path: string; reason: string }[];
}

function agentStore(stateDir: string, agentId: string, legacy?: unknown): string {
  const sessions = join(stateDir, 'agents', agentId, 'sessions');
  mkdirSync(sessions, { recursive: true, mode: 0o700 });
  const storePath = join(sessions, 'sessions.json');
  if (legacy !== undefined) writeFileSync(storePath, typeof legacy === 'string' ? legacy : JSON.stringify(legacy), { mode: 0o600 });
  return storePath;
}

describe('hardfs sessions migrate', () => {
  const tempDir = useTempDirs();

  it('migrates every agent of a state dir, refuses a symlinked agent dir, and reports each store', async () => {
    const state = await tempDir();
    const a = agentStore(state, 'alpha', { 'agent:alpha:1': { updatedAt: 1, m: 'x' }, 'agent:alpha:2': { updatedAt: 2 }, gone: null });
    const b = agentStore(state, 'beta', { 'agent:beta:1': { updatedAt: 3 } });
    const c = agentStore(state, 'gamma'); // a sessions dir, no legacy file
    const elsewhere = await tempDir();
    const hostile = agentStore(elsewhere, 'evil', { 'agent:evil:1': { updatedAt: 4 } });
    const hostileBytes = readFileSync(hostile);
    symlinkSync(join(elsewhere, 'agents', 'evil'), join(state, 'agents', 'evil'));

    const { status, json } = runCliJson<MigrateJson>(['sessions', 'migrate', state]);
    expect(status).toBe(1); // a refused path needs an operator's attention
    expect(json).toMatchObject({ command: 'sessions migrate', target: state, dryRun: false, ok: false });
    expect(json.refused).toEqual([{ path: join(state, 'agents', 'evil'), reason: expect.stringMatching(/symlink/) as unknown }]);
    expect(json.stores.map((store) => [store.agentId, store.status])).toEqual([
      ['alpha', 'migrated'],
      ['beta', 'migrated'],
      ['gamma', 'nothing-to-migrate'],
    ]);
    const alpha = json.stores[0] as StoreJson;
    expect(alpha).toMatchObject({ storePath: a, entries: 2, mode: 'fresh', error: null, skipped: [{ key: 'gone', reason: 'null entry' }] });
    expect(alpha.backupPath).toMatch(/sessions\.json\.bak\./);
    expect(existsSync(alpha.backupPath as string)).toBe(true);
    expect(existsSync(a)).toBe(false);
    expect(readdirSync(join(state, 'agents', 'alpha', 'sessions', 'sessions.d')).sort()).toEqual(
      ['.locks', '.stamp', 'agent%3Aalpha%3A1.json', 'agent%3Aalpha%3A2.json'],
    );
    expect(existsSync(b)).toBe(false);
    expect(json.stores[2]?.storePath).toBe(c);
    // The symlinked agent's store was never touched.
    expect(readFileSync(hostile)).toEqual(hostileBytes);
    expect(existsSync(join(elsewhere, 'agents', 'evil', 'sessions', 'sessions.d'))).toBe(false);
  });

  it('prints a summary table per store; exit 0 when every store migrated or had nothing to do', async () => {
    const state = await tempDir();
    agentStore(state, 'main', { k1: { updatedAt: 1 }, k2: { updatedAt: 2 }, bad: 'str' });
    agentStore(state, 'idle');
    const { status, stdout } = runCli(['sessions', 'migrate', state]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^STORE +STATUS +ENTRIES +SKIPPED +DETAIL$/m);
    expect(stdout).toMatch(/^agents\/idle\/sessions\/sessions\.json +nothing to do +0 +0 +no legacy store file$/m);
    expect(stdout).toMatch(/^agents\/main\/sessions\/sessions\.json +migrated +2 +1 +fresh; legacy file kept as sessions\.json\.bak\./m);
    expect(stdout).toMatch(/"bad" +entry is not a JSON object/);
    expect(stdout).toContain('2 stores: 1 nothing to do, 1 migrated.');
  });

  it('--dry-run writes nothing', async () => {
    const state = await tempDir();
    const store = agentStore(state, 'main', { k1: { updatedAt: 1 } });
    const before = readFileSync(store);
    const { status, json } = runCliJson<MigrateJson>(['sessions', 'migrate', state, '--dry-run']);
    expect(status).toBe(0);
    expect(json.dryRun).toBe(true);
    expect(json.stores).toEqual([expect.objectContaining({ status: 'dry-run', entries: 1, mode: 'fresh', backupPath: null })]);
    expect(readFileSync(store)).toEqual(before);
    expect(readdirSync(join(state, 'agents', 'main', 'sessions'))).toEqual(['sessions.json']);
    expect(runCli(['sessions', 'migrate', state, '--dry-run']).stdout).toContain('(dry run: nothing was written)');
  });

  it('migrates one store named by its .json path (or its .d directory)', async () => {
    const base = await tempDir();
    const store = join(base, 'sessions.json');
    const legacy = JSON.stringify({ A: { updatedAt: 2 }, a: { updatedAt: 1 } });
    writeFileSync(store, legacy, { mode: 0o600 });
    const { status, json } = runCliJson<MigrateJson>(['sessions', 'migrate', store]);
    expect(status).toBe(0);
    expect(json.stores).toHaveLength(1);
    const result = json.stores[0] as StoreJson;
    expect(result).toMatchObject({ storePath: store, agentId: null, status: 'migrated', entries: 1 });
    expect(result.skipped).toEqual([{ key: 'a', reason: 'older case variant of "a"' }]);
    expect(readFileSync(result.backupPath as string, 'utf8')).toBe(legacy);
    // Idempotent, and the directory name works too.
    const again = runCliJson<MigrateJson>(['sessions', 'migrate', join(base, 'sessions.d')]);
    expect(again.status).toBe(0);
    expect(again.json.stores[0]).toMatchObject({ storePath: store, status: 'nothing-to-migrate' });
  });

  it('a corrupt legacy store fails (exit 1) and is left untouched; an all-null one is left untouched', async () => {
    const state = await tempDir();
    const corrupt = agentStore(state, 'corrupt', '{"k": {"updatedAt": 1},');
    agentStore(state, 'empty', { a: null, b: null });
    const { status, json } = runCliJson<MigrateJson>(['sessions', 'migrate', state]);
    expect(status).toBe(1);
    const [first, second] = json.stores;
    expect(first).toMatchObject({ agentId: 'corrupt', status: 'failed', error: { code: 'ECORRUPT', path: corrupt } });
    expect(second).toMatchObject({ agentId: 'empty', status: 'not-migrated', reason: expect.stringMatching(/no valid entry/) as unknown });
    expect(readFileSync(corrupt, 'utf8')).toBe('{"k": {"updatedAt": 1},');
    const human = runCli(['sessions', 'migrate', state]);
    expect(human.stdout).toMatch(/agents\/corrupt\/sessions\/sessions\.json +FAILED .*ECORRUPT/);
  });

  it('exits 2 when the state directory cannot be opened', async () => {
    const base = await tempDir();
    const missing = runCli(['sessions', 'migrate', join(base, 'nope')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^hardfs sessions migrate: cannot migrate .*nope: ENOENT/);
    const link = join(base, 'link');
    symlinkSync(await tempDir(), link);
    const symlinked = runCliJson<{ error: { code: string } }>(['sessions', 'migrate', link]);
    expect(symlinked.status).toBe(2);
    expect(symlinked.json.error.code).toBe('ESYMLINK');
  });

  it('an empty state dir: no stores, exit 0', async () => {
    const state = await tempDir();
    chmodSync(state, 0o700);
    const { status, stdout } = runCli(['sessions', 'migrate', state]);
    expect(status).toBe(0);
    expect(stdout).toContain('No agent session stores found');
  });
});
