import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAsSecondUser, secondUser, secondUserSkipReason } from '../support/second-user.js';
import { useTempDirs } from '../support/tmp.js';
import { interruptedMessage } from '../../src/cli/sessions-migrate.js';
import { CLI, PROCESS_ONLY, requireBuiltCli, runCli, runCliJson } from './cli-support.js';

requireBuiltCli();

interface StoreJson {
  storePath: string;
  agentId: string | null;
  status: 'migrated' | 'dry-run' | 'nothing-to-migrate' | 'not-migrated' | 'left-alone' | 'failed';
  entries: number;
  skipped: { key: string; reason: string }[];
  backupPath: string | null;
  mode: 'fresh' | 'merge' | null;
  reason: string | null;
  error: { code: string | null; message: string; path: string | null } | null;
  leftAlone: { path: string; reason: string; ownerUid: number | null }[];
  prunedBackups: string[];
  hint: string | null;
  warnings: string[];
}

interface MigrateJson {
  command: string;
  target: string;
  dryRun: boolean;
  ok: boolean;
  stores: StoreJson[];
  refused: { path: string; reason: string; hint: string }[];
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

    const { status, json } = await runCliJson<MigrateJson>(['sessions', 'migrate', state]);
    expect(status).toBe(1); // a refused path needs an operator's attention
    expect(json).toMatchObject({ command: 'sessions migrate', target: state, dryRun: false, ok: false });
    expect(json.refused).toEqual([
      { path: join(state, 'agents', 'evil'), reason: expect.stringMatching(/symlink/) as unknown, hint: expect.stringContaining('real directory') as unknown },
    ]);
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
    const files = readdirSync(join(state, 'agents', 'alpha', 'sessions', 'sessions.d'));
    expect(files.filter((name) => !name.startsWith('.')).sort()).toEqual(['agent%3Aalpha%3A1.json', 'agent%3Aalpha%3A2.json']);
    expect(files).toContain('.locks');
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
    const { status, stdout } = await runCli(['sessions', 'migrate', state]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^AGENT +STATUS +ENTRIES +SKIPPED +DETAIL$/m);
    expect(stdout).toMatch(/^idle +nothing to do +0 +0 +no legacy store file$/m);
    expect(stdout).toMatch(/^main +migrated +2 +1 +fresh; legacy file kept as\s+sessions\.json\.bak\./m);
    expect(stdout).toMatch(/^main +"bad" +entry is not a JSON object$/m);
    expect(stdout).toContain('2 stores: 1 nothing to do, 1 migrated.');
    for (const line of stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('--dry-run writes nothing', async () => {
    const state = await tempDir();
    const store = agentStore(state, 'main', { k1: { updatedAt: 1 } });
    const before = readFileSync(store);
    const { status, json } = await runCliJson<MigrateJson>(['sessions', 'migrate', state, '--dry-run']);
    expect(status).toBe(0);
    expect(json.dryRun).toBe(true);
    expect(json.stores).toEqual([expect.objectContaining({ status: 'dry-run', entries: 1, mode: 'fresh', backupPath: null })]);
    expect(readFileSync(store)).toEqual(before);
    expect(readdirSync(join(state, 'agents', 'main', 'sessions'))).toEqual(['sessions.json']);
    expect((await runCli(['sessions', 'migrate', state, '--dry-run'])).stdout).toContain('(dry run: nothing was written)');
  });

  it('migrates one store named by its .json path (or its .d directory)', async () => {
    const base = await tempDir();
    const store = join(base, 'sessions.json');
    const legacy = JSON.stringify({ A: { updatedAt: 2 }, a: { updatedAt: 1 } });
    writeFileSync(store, legacy, { mode: 0o600 });
    const { status, json } = await runCliJson<MigrateJson>(['sessions', 'migrate', store]);
    expect(status).toBe(0);
    expect(json.stores).toHaveLength(1);
    const result = json.stores[0] as StoreJson;
    expect(result).toMatchObject({ storePath: store, agentId: null, status: 'migrated', entries: 1 });
    expect(result.skipped).toEqual([{ key: 'a', reason: 'older case variant of "a"' }]);
    expect(readFileSync(result.backupPath as string, 'utf8')).toBe(legacy);
    // Idempotent, and the directory name works too.
    const again = await runCliJson<MigrateJson>(['sessions', 'migrate', join(base, 'sessions.d')]);
    expect(again.status).toBe(0);
    expect(again.json.stores[0]).toMatchObject({ storePath: store, status: 'nothing-to-migrate' });
  });

  it('a relative state directory, store path or store directory is relative to the working directory', async () => {
    const state = await tempDir();
    chmodSync(state, 0o700);
    const store = agentStore(state, 'a1', { s: { updatedAt: 1 } });
    const sessions = join(state, 'agents', 'a1', 'sessions');
    const walked = await runCliJson<MigrateJson>(['sessions', 'migrate', '.', '--dry-run'], { cwd: state });
    expect(walked.json).toMatchObject({ target: state, ok: true });
    expect(walked.json.stores).toMatchObject([{ storePath: store, agentId: 'a1', status: 'dry-run' }]);
    const one = await runCliJson<MigrateJson>(['sessions', 'migrate', 'sessions.json'], { cwd: sessions });
    expect(one.json).toMatchObject({ target: store, ok: true });
    expect(one.json.stores).toMatchObject([{ storePath: store, agentId: null, status: 'migrated' }]);
    // '.' inside sessions.d names that store (by the working directory's own name), not a state directory.
    const again = await runCliJson<MigrateJson>(['sessions', 'migrate', '.'], { cwd: join(sessions, 'sessions.d') });
    expect(again.json.stores).toMatchObject([{ storePath: store, status: 'nothing-to-migrate' }]);
  });

  it('a corrupt legacy store fails (exit 1) and is left untouched; an all-null one is left untouched', async () => {
    const state = await tempDir();
    const corrupt = agentStore(state, 'corrupt', '{"k": {"updatedAt": 1},');
    agentStore(state, 'empty', { a: null, b: null });
    const { status, json } = await runCliJson<MigrateJson>(['sessions', 'migrate', state]);
    expect(status).toBe(1);
    const [first, second] = json.stores;
    expect(first).toMatchObject({ agentId: 'corrupt', status: 'failed', error: { code: 'ECORRUPT', path: corrupt } });
    expect(second).toMatchObject({ agentId: 'empty', status: 'not-migrated', reason: expect.stringMatching(/no valid entry/) as unknown });
    expect(readFileSync(corrupt, 'utf8')).toBe('{"k": {"updatedAt": 1},');
    const human = await runCli(['sessions', 'migrate', state]);
    expect(human.stdout).toMatch(/^corrupt +FAILED +0 +0 +ECORRUPT: legacy store is not valid/m);
    // Wrapped to 80 columns: compare with the line breaks folded.
    expect(human.stdout.replace(/\s+/g, ' ')).toContain('(hint: the file is left untouched: inspect it, repair or move it away');
    expect(human.stdout).not.toMatch(/ECORRUPT: ECORRUPT:/);
    expect(first?.hint).toContain('repair or move it away');
  });

  it('an agent directory the store would refuse is reported once, with one code prefix and a hint', async () => {
    const state = await tempDir();
    const store = agentStore(state, 'loose', { k: { updatedAt: 1 } });
    chmodSync(join(state, 'agents', 'loose'), 0o777);
    const { status, json } = await runCliJson<MigrateJson>(['sessions', 'migrate', state]);
    expect(status).toBe(1);
    expect(json.refused).toHaveLength(1);
    expect(json.refused[0]?.reason).toMatch(/^EINSECURE: directory is (group|world)-writable/);
    expect(json.refused[0]?.reason).not.toMatch(/EINSECURE: EINSECURE/);
    expect(json.refused[0]?.hint).toContain('write access');
    expect(existsSync(store)).toBe(true);
    const human = (await runCli(['sessions', 'migrate', state])).stdout;
    expect(human).toMatch(/^agents\/loose\/sessions +EINSECURE: directory is (group|world)-/m);
    expect(human.replace(/\s+/g, ' ')).toContain('(hint: remove group/other write access');
  });

  it('one store through a symlinked agent directory is refused, as in state-directory mode', async () => {
    const state = await tempDir();
    const elsewhere = await tempDir();
    const real = agentStore(elsewhere, 'evil', { k: { updatedAt: 1 } });
    mkdirSync(join(state, 'agents'), { mode: 0o700 });
    symlinkSync(join(elsewhere, 'agents', 'evil'), join(state, 'agents', 'evil'));
    const viaLink = join(state, 'agents', 'evil', 'sessions', 'sessions.json');
    const { status, stderr } = await runCli(['sessions', 'migrate', viaLink]);
    expect(status).toBe(2);
    expect(stderr).toMatch(/ESYMLINK: refusing a symlinked directory on the way to the store/);
    expect(stderr).toContain(join(state, 'agents', 'evil'));
    expect(stderr).toContain('hint: give the real path');
    expect(existsSync(real)).toBe(true);
    expect(existsSync(join(elsewhere, 'agents', 'evil', 'sessions', 'sessions.d'))).toBe(false);
  });

  it('--keep-backups prunes older backups of the store after each migration', async () => {
    const base = await tempDir();
    const store = join(base, 'sessions.json');
    const pruned: string[][] = [];
    for (let run = 0; run < 3; run += 1) {
      writeFileSync(store, JSON.stringify({ [`k${run}`]: { updatedAt: run } }), { mode: 0o600 });
      const { json } = await runCliJson<MigrateJson>(['sessions', 'migrate', store, '--keep-backups', '1']);
      pruned.push(json.stores[0]?.prunedBackups ?? []);
    }
    expect(pruned.map((list) => list.length)).toEqual([0, 1, 1]);
    expect(readdirSync(base).filter((name) => name.startsWith('sessions.json.bak.'))).toHaveLength(1);
  });

  it.skipIf(secondUserSkipReason() !== undefined)('a legacy file planted by another user is reported NOT TRUSTED, never "migrated" (exit 1)', async () => {
    const base = await tempDir();
    chmodSync(base, 0o755);
    const shared = join(base, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const store = join(shared, 'sessions.json');
    await runAsSecondUser(`import { writeFileSync } from 'node:fs'; writeFileSync(process.argv[1], '{"victim":{"updatedAt":9e15}}');`, [store]);
    const { status, json } = await runCliJson<MigrateJson>(['sessions', 'migrate', store]);
    expect(status).toBe(1);
    expect(json.stores[0]).toMatchObject({ status: 'left-alone', entries: 0, backupPath: null });
    expect(json.stores[0]?.leftAlone).toEqual([{ path: store, reason: expect.stringContaining('not owned') as unknown, ownerUid: secondUser()?.uid }]);
    expect(json.stores[0]?.hint).toContain('another user');
    expect(statSync(store).uid).toBe(secondUser()?.uid);
    const human = (await runCli(['sessions', 'migrate', store])).stdout;
    expect(human).toContain('NOT TRUSTED');
    expect(human).not.toMatch(/\bmigrated\b(?!.*NOT)/);
  });

  // Process-only: a real signal to a process of its own, whose exit handlers remove the locks.
  it.skipIf(PROCESS_ONLY)('Ctrl-C (a real SIGINT) during a migration says what state it left, removes its locks, exits 130; the next run finishes', async () => {
    const base = await tempDir();
    const store = join(base, 'sessions.json');
    const legacy = JSON.stringify(Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`s${i}`, { updatedAt: i, pad: 'x'.repeat(50) }])));
    writeFileSync(store, legacy, { mode: 0o600 });
    const child = spawn(process.execPath, [CLI, 'sessions', 'migrate', store], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const staging = join(base, 'sessions.d.migrating');
    const deadline = Date.now() + 20_000;
    while (!existsSync(staging) || readdirSync(staging).length < 20) {
      if (Date.now() > deadline) throw new Error(`staging never appeared: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    // The wording is the contract here: the operator is told the legacy file is safe and what to run.
    expect(stderr).toMatch(/interrupted while migrating .*sessions\.json/);
    expect(stderr).toContain('the legacy file is untouched');
    expect(stderr).toContain("Run 'hardfs sessions migrate");
    expect(existsSync(join(base, '.sessions.migrate.lock'))).toBe(false);
    expect(existsSync(`${store}.lock`)).toBe(false);
    expect(readFileSync(store, 'utf8')).toBe(legacy);
    const again = await runCliJson<MigrateJson>(['sessions', 'migrate', store]);
    expect(again.json.stores[0]).toMatchObject({ status: 'migrated', entries: 3_000, mode: 'fresh' });
  }, 60_000);

  // What the SIGINT handler prints, phase by phase (the signal itself is the test above).
  it.each([
    ['starting', 'the legacy file is untouched'],
    ['reading', 'the legacy file is untouched'],
    ['staging', '(sessions.d.migrating) may remain: the next run discards it'],
    ['published', 'sessions.d is complete'],
    ['merging', 'the next run merges the rest'],
    ['merged', 'every entry is in sessions.d'],
    ['backed-up', 'the store was migrated'],
  ] as const)('an interrupt while %s says what that phase leaves behind', (phase, state) => {
    const message = interruptedMessage('/state', '/state/agents/a/sessions/sessions.json', phase, 2);
    expect(message).toMatch(/^hardfs sessions migrate: interrupted while migrating \/state\/agents\/a\/sessions\/sessions\.json: /);
    expect(message).toContain(state);
    expect(message).toContain('. 2 stores migrated before it.');
    expect(message).toContain("Run 'hardfs sessions migrate /state' again");
  });

  it('an interrupt before the first store says nothing was written, and escapes what it echoes', () => {
    const message = interruptedMessage('/st\u001bate', undefined, 'starting', 1);
    expect(message).toContain('interrupted: nothing was written. 1 store migrated before it.');
    expect(message).not.toContain('\u001b');
    expect(message).toContain("Run 'hardfs sessions migrate /st\\u001bate' again");
    expect(interruptedMessage('/s', '/s/\u202esessions.json', 'reading', 0)).toContain('while migrating /s/\\u202esessions.json: ');
  });

  it('exits 2 when the state directory cannot be opened', async () => {
    const base = await tempDir();
    const missing = await runCli(['sessions', 'migrate', join(base, 'nope')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^hardfs sessions migrate: cannot migrate .*nope: ENOENT/);
    const link = join(base, 'link');
    symlinkSync(await tempDir(), link);
    const symlinked = await runCliJson<{ error: { code: string } }>(['sessions', 'migrate', link]);
    expect(symlinked.status).toBe(2);
    expect(symlinked.json.error.code).toBe('ESYMLINK');
  });

  it('an empty state dir: no stores, exit 0', async () => {
    const state = await tempDir();
    chmodSync(state, 0o700);
    const { status, stdout } = await runCli(['sessions', 'migrate', state]);
    expect(status).toBe(0);
    expect(stdout).toContain('No agent session stores found');
  });
});
