// hardfs sessions export / rollback, as operators run them (the built CLI).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSessionStore } from '../../src/session-store/index.js';
import { useTempDirs } from '../support/tmp.js';
import { requireBuiltCli, runCli, runCliJson } from './cli-support.js';

requireBuiltCli();
const quiet = { warn: (): void => undefined };

describe('hardfs sessions export and rollback', () => {
  const tempDir = useTempDirs();

  async function store(entries: Record<string, Record<string, unknown>>): Promise<string> {
    const path = join(await tempDir(), 'sessions.json');
    const opened = await openSessionStore(path, { logger: quiet, fsync: false });
    for (const [key, entry] of Object.entries(entries)) await opened.update(key, () => entry);
    await opened.close();
    return path;
  }

  it('export writes the entries to --output (or sessions.export.json) and says where', async () => {
    const path = await store({ a: { updatedAt: 1 } });
    const out = join(await tempDir(), 'out.json');
    const { status, json } = await runCliJson<{ ok: boolean; path: string; entries: number }>(['sessions', 'export', path, '--output', out]);
    expect(status).toBe(0);
    expect(json).toMatchObject({ ok: true, path: out, entries: 1 });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ a: { updatedAt: 1 } });
    const human = await runCli(['sessions', 'export', path]);
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(`Exported 1 entries to ${join(path, '..', 'sessions.export.json')}`);
  });

  it('a relative store path and --output are relative to the working directory', async () => {
    const path = await store({ a: { updatedAt: 1 } });
    const base = join(path, '..');
    const exported = await runCliJson<{ path: string; entries: number }>(['sessions', 'export', 'sessions.json', '--output', 'out.json'], { cwd: base });
    expect(exported.status).toBe(0);
    expect(exported.json).toMatchObject({ path: join(base, 'out.json'), entries: 1 });
    expect(JSON.parse(readFileSync(join(base, 'out.json'), 'utf8'))).toEqual({ a: { updatedAt: 1 } });
    const rolledBack = await runCliJson<{ storePath: string; entries: number }>(['sessions', 'rollback', 'sessions.d'], { cwd: base });
    expect(rolledBack.status).toBe(0);
    expect(rolledBack.json).toMatchObject({ storePath: path, entries: 1 });
  });

  it('export of a store never migrated exits 2 with the path and a hint', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const { status, stderr } = await runCli(['sessions', 'export', path]);
    expect(status).toBe(2);
    expect(stderr).toMatch(/^hardfs sessions export: cannot export .*: ENOENT: no store directory/);
    expect(stderr).toContain('(hint: ');
  });

  it('rollback restores sessions.json (newest wins), keeps the directory, and says both', async () => {
    const path = await store({ a: { updatedAt: 5, v: 'dir' } });
    writeFileSync(path, JSON.stringify({ a: { updatedAt: 9, v: 'legacy' }, only: { v: 1 } }), { mode: 0o600 });
    const { status, json } = await runCliJson<{ ok: boolean; entries: number; fromLegacy: number; previousLegacyBackup: string | null; directoryKept: string }>([
      'sessions', 'rollback', path,
    ]);
    expect(status).toBe(0);
    expect(json).toMatchObject({ ok: true, entries: 2, fromLegacy: 2, directoryKept: join(path, '..', 'sessions.d') });
    expect(existsSync(json.previousLegacyBackup as string)).toBe(true);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ a: { updatedAt: 9, v: 'legacy' }, only: { v: 1 } });
    const human = (await runCli(['sessions', 'rollback', path])).stdout;
    expect(human).toContain('is kept as a backup: remove it yourself');
    expect((await runCli(['sessions', 'rollback', '--help'])).stdout).toMatch(/Newest data wins/);
  });
});
