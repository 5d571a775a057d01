import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STAMP_FILE, closeSessionStores, openSessionStore } from '../../src/session-store/index.js';
import { useTempDirs } from '../support/tmp.js';
import { TEMP_NAME, age, kindsAt, requireBuiltCli, runCli, runCliJson, type JsonFinding } from './cli-support.js';

requireBuiltCli();
afterEach(() => closeSessionStores());

interface VerifyJson {
  command: string;
  storePath: string;
  directory: string;
  ok: boolean;
  checked: number;
  entries: number;
  summary: { problems: number; notes: number };
  findings: JsonFinding[];
}

const quiet = { warn: () => undefined };

async function makeStore(base: string, keys: readonly string[]): Promise<{ storePath: string; dir: string }> {
  const storePath = join(base, 'sessions.json');
  const store = await openSessionStore(storePath, { fsync: false, logger: quiet });
  for (const [index, key] of keys.entries()) await store.update(key, () => ({ updatedAt: 1_700_000_000_000 + index, n: index }));
  await store.loadAll(); // a full load also leaves a .snapshot, part of a healthy store
  await store.close();
  return { storePath, dir: join(base, 'sessions.d') };
}

/** Names, modes and contents of everything under a directory: to prove nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (path: string, relative: string): void => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      const stats = statSync(full, { throwIfNoEntry: false });
      const key = join(relative, name);
      if (stats?.isDirectory()) {
        result[key] = `dir ${(stats.mode & 0o7777).toString(8)}`;
        walk(full, key);
      } else {
        result[key] = `${((stats?.mode ?? 0) & 0o7777).toString(8)} ${stats?.isFile() ? readFileSync(full, 'base64') : 'other'}`;
      }
    }
  };
  walk(dir, '');
  return result;
}

describe('hardfs sessions verify', () => {
  const tempDir = useTempDirs();

  it('a store written by the library verifies clean (exit 0)', async () => {
    const { storePath, dir } = await makeStore(await tempDir(), ['agent:main:1', 'agent:main:2', 'k'.repeat(400)]);
    const { status, json } = await runCliJson<VerifyJson>(['sessions', 'verify', storePath]);
    expect(status).toBe(0);
    expect(json).toMatchObject({ command: 'sessions verify', storePath, directory: dir, ok: true, entries: 3, findings: [] });
    const human = await runCli(['sessions', 'verify', storePath]);
    expect(human.stdout).toContain('3 valid entries: no problems. Nothing was changed.');
  });

  it('a relative store path is relative to the working directory', async () => {
    const base = await tempDir();
    const { storePath, dir } = await makeStore(base, ['k']);
    const { status, json } = await runCliJson<VerifyJson>(['sessions', 'verify', 'sessions.json'], { cwd: base });
    expect(status).toBe(0);
    expect(json).toMatchObject({ storePath, directory: dir, ok: true, entries: 1 });
  });

  it('a corrupt file: exit 1, reported, and NOT moved (no quarantine, nothing changed)', async () => {
    const { storePath, dir } = await makeStore(await tempDir(), ['a', 'b']);
    writeFileSync(join(dir, 'a.json'), '{"v":1,"key":"a","rev":1,"entry":{', { mode: 0o600 });
    const before = snapshot(dir);
    const { status, json } = await runCliJson<VerifyJson>(['sessions', 'verify', storePath]);
    expect(status).toBe(1);
    expect(json.ok).toBe(false);
    expect(json.entries).toBe(1);
    expect(kindsAt(json.findings, 'sessions.d/a.json')).toEqual(['corrupt-entry']);
    expect(json.findings[0]?.detail).toMatch(/ECORRUPT/);
    expect(snapshot(dir)).toEqual(before);
    expect(existsSync(join(dir, '.quarantine'))).toBe(false);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('{"v":1,"key":"a","rev":1,"entry":{');
  });

  it('reports mismatched names, modes, stray temp files, symlinks, foreign entries, a missing stamp and leftovers', async () => {
    const base = await tempDir();
    const { storePath, dir } = await makeStore(base, ['good', 'renamed', 'loose']);
    writeFileSync(join(dir, 'renamed.json'), `${JSON.stringify({ entry: {}, key: 'someone-else', rev: 1, v: 1 })}\n`);
    chmodSync(join(dir, 'loose.json'), 0o644);
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, TEMP_NAME), 'half', { mode: 0o600 });
    age(join(dir, TEMP_NAME), 3600);
    const outside = await tempDir();
    writeFileSync(join(outside, 'x.json'), `${JSON.stringify({ entry: {}, key: 'x', rev: 1, v: 1 })}\n`);
    symlinkSync(join(outside, 'x.json'), join(dir, 'x.json'));
    writeFileSync(join(dir, 'notes.txt'), 'hello', { mode: 0o600 });
    mkdirSync(join(dir, '.quarantine'), { mode: 0o700 });
    writeFileSync(join(dir, '.quarantine', 'old.json.1.2'), 'junk', { mode: 0o600 });
    writeFileSync(join(dir, '.locks', 'good.json.lock'), '', { mode: 0o600 });
    age(join(dir, '.locks', 'good.json.lock'), 7200);
    rmSync(join(dir, STAMP_FILE));
    writeFileSync(storePath, '{}', { mode: 0o600 }); // a legacy file back beside the directory
    mkdirSync(join(base, 'sessions.d.migrating'), { mode: 0o700 });
    const before = snapshot(base);

    const { status, json } = await runCliJson<VerifyJson>(['sessions', 'verify', storePath]);
    expect(status).toBe(1);
    const f = json.findings;
    expect(kindsAt(f, 'sessions.d')).toEqual(['wrong-mode']);
    expect(kindsAt(f, 'sessions.d/good.json')).toEqual([]);
    expect(kindsAt(f, 'sessions.d/renamed.json')).toEqual(['name-mismatch']);
    expect(kindsAt(f, 'sessions.d/loose.json')).toEqual(['wrong-mode']);
    expect(f.find((x) => x.relativePath === 'sessions.d/loose.json')?.detail).toBe('mode 0644, expected 0600');
    expect(kindsAt(f, `sessions.d/${TEMP_NAME}`)).toEqual(['stale-temp']);
    expect(kindsAt(f, 'sessions.d/x.json')).toEqual(['symlink']);
    expect(kindsAt(f, 'sessions.d/notes.txt')).toEqual(['unexpected-entry']);
    expect(kindsAt(f, 'sessions.d/.quarantine/old.json.1.2')).toEqual(['quarantined']);
    expect(kindsAt(f, 'sessions.d/.locks/good.json.lock')).toEqual(['stale-lock']);
    expect(kindsAt(f, `sessions.d/${STAMP_FILE}`)).toEqual(['missing-stamp']);
    expect(kindsAt(f, 'sessions.json')).toEqual(['legacy-present']);
    expect(kindsAt(f, 'sessions.d.migrating')).toEqual(['migration-leftover']);
    expect(json.entries).toBe(2);
    // Read-only: the temp file, the symlink, the bad entries, the leftovers are all still there.
    expect(snapshot(base)).toEqual(before);
    expect(readFileSync(join(outside, 'x.json'), 'utf8')).toContain('"x"');
  });

  it('a symlinked store directory is reported, not followed', async () => {
    const base = await tempDir();
    const elsewhere = await tempDir();
    await makeStore(elsewhere, ['a']);
    symlinkSync(join(elsewhere, 'sessions.d'), join(base, 'sessions.d'));
    const { status, json } = await runCliJson<VerifyJson>(['sessions', 'verify', join(base, 'sessions.json')]);
    expect(status).toBe(1);
    expect(json.findings.map((x) => x.kind)).toEqual(['symlink']);
    expect(json.checked).toBe(0);
  });

  it('a store that was never migrated is reported as such; no store at all exits 2', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'sessions.json'), '{"a":{}}', { mode: 0o600 });
    const legacyOnly = await runCliJson<VerifyJson>(['sessions', 'verify', join(base, 'sessions.json')]);
    expect(legacyOnly.status).toBe(1);
    expect(legacyOnly.json.findings.map((x) => x.kind)).toEqual(['not-migrated']);
    expect(existsSync(join(base, 'sessions.d'))).toBe(false);
    const empty = await tempDir();
    const none = await runCli(['sessions', 'verify', join(empty, 'sessions.json')]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/ENOENT: no session store/);
    expect(readdirSync(empty)).toEqual([]);
  });

  it('says when the legacy file is corrupt (not only "not migrated"), and notes an empty one, changing nothing', async () => {
    const base = await tempDir();
    const legacy = join(base, 'sessions.json');
    writeFileSync(legacy, '{"token":"sk-SECRET", oops', { mode: 0o600 });
    const { status, json } = await runCliJson<VerifyJson>(['sessions', 'verify', legacy]);
    expect(status).toBe(1);
    expect(kindsAt(json.findings, 'sessions.json')).toEqual(['corrupt-legacy', 'not-migrated']);
    const corrupt = json.findings.find((x) => x.kind === 'corrupt-legacy');
    expect(corrupt?.detail).toMatch(/^ECORRUPT: /);
    expect(corrupt?.detail).toMatch(/not valid JSON .*at byte \d+ \(line 1, column \d+\)/); // where, never what
    expect(corrupt?.detail).toContain('every open of the store fails');
    expect(corrupt?.detail).not.toContain('SECRET');
    expect(readFileSync(legacy, 'utf8')).toBe('{"token":"sk-SECRET", oops');
    expect(existsSync(join(base, 'sessions.d'))).toBe(false);

    // Beside a migrated directory too; and an empty file is only a note.
    const { storePath } = await makeStore(await tempDir(), ['a']);
    writeFileSync(storePath, '', { mode: 0o600 });
    const empty = await runCliJson<VerifyJson>(['sessions', 'verify', storePath]);
    const note = empty.json.findings.find((x) => x.kind === 'corrupt-legacy');
    expect(note).toMatchObject({ severity: 'note' });
    expect(note?.detail).toContain('the store opens without it');
  });

  it('compares .snapshot with the entry files: an entry edited by hand outside any commit is reported', async () => {
    const { storePath, dir } = await makeStore(await tempDir(), ['a', 'b']);
    const clean = await runCliJson<VerifyJson & { snapshotChecked: boolean }>(['sessions', 'verify', storePath]);
    expect(clean.status).toBe(0);
    expect(clean.json.snapshotChecked).toBe(true);
    // Same rev, other value: a new process starting from .snapshot would disagree with get().
    const file = join(dir, 'a.json');
    const record = JSON.parse(readFileSync(file, 'utf8')) as { entry: Record<string, unknown> };
    writeFileSync(file, `${JSON.stringify({ ...record, entry: { ...record.entry, n: 999 } })}\n`, { mode: 0o600 });
    const before = snapshot(dir);
    const { status, json } = await runCliJson<VerifyJson & { snapshotChecked: boolean }>(['sessions', 'verify', storePath]);
    expect(status).toBe(1);
    expect(kindsAt(json.findings, 'sessions.d/a.json')).toEqual(['snapshot-differs']);
    expect(json.findings[0]?.detail).toMatch(/^snapshot-differs: .*delete \.snapshot/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a tombstone left by an interrupted multi-key delete is a note, not a corrupt entry', async () => {
    const { storePath, dir } = await makeStore(await tempDir(), ['a', 'b']);
    writeFileSync(join(dir, 'b.json'), `${JSON.stringify({ deleted: true, key: 'b', rev: 2, txn: 'ab'.repeat(12), v: 1, with: ['a.json', 'b.json'] })}\n`, { mode: 0o600 });
    const { json } = await runCliJson<VerifyJson>(['sessions', 'verify', storePath]);
    expect(json.findings.find((x) => x.relativePath === 'sessions.d/b.json')).toMatchObject({ kind: 'tombstone', severity: 'note' });
    expect(json.entries).toBe(1);
  });
});
