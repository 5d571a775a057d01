import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../support/tmp.js';
import { TEMP_NAME, TEMP_NAME_2, age, kindsAt, requireBuiltCli, runCli, runCliJson, type JsonFinding } from './cli-support.js';

requireBuiltCli();

interface AuditJson {
  command: string;
  root: string;
  fix: boolean;
  ok: boolean;
  checked: number;
  summary: { problems: number; notes: number; fixed: number; remaining: number };
  findings: JsonFinding[];
}

const modeOf = (path: string): number => statSync(path).mode & 0o7777;

function file(path: string, content: string, mode = 0o600): string {
  writeFileSync(path, content);
  chmodSync(path, mode); // exact, whatever the umask
  return path;
}

function dir(path: string, mode = 0o700): string {
  mkdirSync(path);
  chmodSync(path, mode);
  return path;
}

const record = (key: string, entry: Record<string, unknown> = { updatedAt: 1 }): string =>
  `${JSON.stringify({ entry, key, rev: 1, v: 1 })}\n`;

describe('hardfs audit', () => {
  const tempDir = useTempDirs();

  it('a clean tree: exit 0, an empty findings list', async () => {
    const root = await tempDir();
    file(join(root, 'a'), 'x');
    dir(join(root, 'sub'));
    file(join(root, 'sub', 'b'), 'y');
    const human = runCli(['audit', root]);
    expect(human.status).toBe(0);
    expect(human.stdout).toContain('4 entries checked: no problems.');
    const { status, json } = runCliJson<AuditJson>(['audit', root]);
    expect(status).toBe(0);
    expect(json).toMatchObject({ command: 'audit', root, fix: false, ok: true, checked: 4, findings: [] });
    expect(json.summary).toEqual({ problems: 0, notes: 0, fixed: 0, remaining: 0 });
  });

  it('reports every finding kind with path, kind and detail, and follows no symlink', async () => {
    const root = await tempDir();
    const outside = await tempDir();
    const outsideFile = file(join(outside, 'target'), 'outside', 0o644);
    file(join(outside, 'loose'), 'outside', 0o666);
    symlinkSync(outsideFile, join(root, 'link-to-file'));
    symlinkSync(outside, join(root, 'link-to-dir'));
    dir(join(root, 'open'), 0o777);
    dir(join(root, 'readable'), 0o755);
    dir(join(root, 'shared'), 0o1777);
    file(join(root, 'wide'), 'w', 0o644);
    chownSync(file(join(root, 'foreign'), 'f'), 65534, 65534);
    linkSync(file(join(root, 'linked'), 'l'), join(root, 'linked-too'));
    age(file(join(root, TEMP_NAME), 'half-written'), 3600);
    file(join(root, TEMP_NAME_2), 'in progress');
    spawnSync('mkfifo', ['-m', '600', join(root, 'fifo')]);
    // A store directory beside its legacy name, with locks, quarantine and bad entries.
    file(join(root, 'sessions.json'), '{}');
    const store = dir(join(root, 'sessions.d'));
    file(join(store, 'good.json'), record('good'));
    file(join(store, 'renamed.json'), record('other'));
    file(join(store, 'broken.json'), '{"v":1,"key":');
    const locks = dir(join(store, '.locks'));
    age(file(join(locks, 'good.json.lock'), JSON.stringify({ v: 1, token: 'a'.repeat(32), pid: 4242, host: 'h', time: 0 })), 600);
    file(join(locks, 'renamed.json.lock'), '');
    const quarantine = dir(join(store, '.quarantine'));
    file(join(quarantine, 'x.json.1.2'), 'junk');
    dir(join(root, 'sessions.d.migrating'));
    // Outside any store directory only record-shaped JSON is judged.
    const misc = dir(join(root, 'misc'));
    file(join(misc, 'copied.json'), record('original'));
    file(join(misc, 'config.json'), '{"not":"a record"}');

    const { status, json, stderr } = runCliJson<AuditJson>(['audit', root]);
    expect(stderr).toBe('');
    expect(status).toBe(1);
    expect(json.ok).toBe(false);
    const f = json.findings;
    expect(kindsAt(f, 'link-to-file')).toEqual(['symlink']);
    expect(kindsAt(f, 'link-to-dir')).toEqual(['symlink']);
    expect(f.find((x) => x.relativePath === 'link-to-dir')?.detail).toContain(outside);
    expect(f.some((x) => x.path.startsWith(outside))).toBe(false); // never descended
    expect(kindsAt(f, 'open')).toEqual(['insecure-dir']);
    expect(kindsAt(f, 'readable')).toEqual(['wide-mode']);
    expect(kindsAt(f, 'shared')).toEqual(['wide-mode']);
    expect(kindsAt(f, 'wide')).toEqual(['wide-mode']);
    expect(kindsAt(f, 'foreign')).toEqual(['not-owned']);
    expect(f.find((x) => x.relativePath === 'foreign')?.detail).toMatch(/uid 65534/);
    expect(kindsAt(f, 'linked')).toEqual(['hardlink']);
    expect(kindsAt(f, 'linked-too')).toEqual(['hardlink']);
    expect(kindsAt(f, TEMP_NAME)).toEqual(['stale-temp']);
    expect(f.find((x) => x.relativePath === TEMP_NAME_2)).toMatchObject({ kind: 'temp-file', severity: 'note' });
    expect(kindsAt(f, 'fifo')).toEqual(['special-file']);
    expect(kindsAt(f, 'sessions.d/good.json')).toEqual([]);
    expect(kindsAt(f, 'sessions.d/renamed.json')).toEqual(['name-mismatch']);
    expect(f.find((x) => x.relativePath === 'sessions.d/renamed.json')?.detail).toContain('"other"');
    expect(kindsAt(f, 'sessions.d/broken.json')).toEqual(['corrupt-entry']);
    const staleLock = f.find((x) => x.relativePath === 'sessions.d/.locks/good.json.lock');
    expect(staleLock).toMatchObject({ kind: 'stale-lock', severity: 'problem' });
    expect(staleLock?.detail).toMatch(/10m 0s|10m 1s/);
    expect(staleLock?.detail).toContain('pid 4242');
    expect(f.find((x) => x.relativePath === 'sessions.d/.locks/renamed.json.lock')).toMatchObject({ kind: 'lock', severity: 'note' });
    expect(kindsAt(f, 'sessions.d/.quarantine/x.json.1.2')).toEqual(['quarantined']);
    expect(kindsAt(f, 'sessions.d.migrating')).toEqual(['migration-leftover']);
    expect(kindsAt(f, 'misc/copied.json')).toEqual(['name-mismatch']);
    expect(kindsAt(f, 'misc/config.json')).toEqual([]);
    // Schema: every finding has every field, typed; absolute paths under the root.
    for (const finding of f) {
      expect(Object.keys(finding).sort()).toEqual(['action', 'detail', 'fixable', 'fixed', 'kind', 'path', 'relativePath', 'severity']);
      expect(finding.path).toBe(join(root, finding.relativePath));
      expect(typeof finding.detail).toBe('string');
      expect(finding.fixed).toBe(false);
      expect(finding.action).toBeNull();
    }
    expect(json.summary.notes).toBe(2);
    expect(json.summary.problems).toBe(f.length - 2);
    expect(json.summary.remaining).toBe(json.summary.problems);
  });

  it('prints an aligned table', async () => {
    const root = await tempDir();
    file(join(root, 'wide'), 'w', 0o644);
    symlinkSync('/etc/passwd', join(root, 'a-much-longer-link-name'));
    const { status, stdout } = runCli(['audit', root]);
    expect(status).toBe(1);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Audit of ${root}`);
    const header = lines[1] ?? '';
    expect(header).toMatch(/^PATH +KIND +DETAIL$/);
    const kindColumn = header.indexOf('KIND');
    expect(lines[2]?.slice(kindColumn)).toMatch(/^symlink /);
    expect(lines[3]?.slice(kindColumn)).toMatch(/^wide-mode /);
    expect(lines.at(-1)).toBe('3 entries checked: 2 problems.');
  });

  it('--fix tightens modes by descriptor, removes stale temp files, never touches a symlink target', async () => {
    const root = await tempDir();
    const outside = await tempDir();
    const target = file(join(outside, 'target'), 'precious', 0o644);
    const targetDir = dir(join(outside, 'dir'), 0o777);
    symlinkSync(target, join(root, 'link'));
    symlinkSync(targetDir, join(root, 'link-dir'));
    const wide = file(join(root, 'wide'), 'w', 0o664);
    const open = dir(join(root, 'open'), 0o777);
    const nested = file(join(open, 'nested'), 'n', 0o640);
    const readable = dir(join(root, 'readable'), 0o755);
    const setuid = file(join(root, 'special-bits'), 's', 0o4755);
    age(file(join(root, TEMP_NAME), 'junk'), 3600);
    file(join(root, TEMP_NAME_2), 'in progress');

    const { status, json } = runCliJson<AuditJson>(['audit', root, '--fix']);
    expect(modeOf(wide)).toBe(0o600);
    expect(modeOf(open)).toBe(0o700);
    expect(modeOf(nested)).toBe(0o600);
    expect(modeOf(readable)).toBe(0o700);
    expect(modeOf(setuid)).toBe(0o4700);
    expect(existsSync(join(root, TEMP_NAME))).toBe(false);
    expect(existsSync(join(root, TEMP_NAME_2))).toBe(true); // young: a write in progress
    // The symlinks are reported and left alone, and so are their targets.
    expect(modeOf(target)).toBe(0o644);
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(modeOf(targetDir)).toBe(0o777);
    expect(kindsAt(json.findings, 'link')).toEqual(['symlink']);
    const wideFinding = json.findings.find((x) => x.relativePath === 'wide');
    expect(wideFinding).toMatchObject({ fixable: true, fixed: true, action: 'mode 0664 -> 0600' });
    expect(json.findings.find((x) => x.relativePath === TEMP_NAME)).toMatchObject({ fixed: true, action: 'removed' });
    // Symlinks cannot be fixed: exit 1, and they are what remains.
    expect(status).toBe(1);
    expect(json.summary.remaining).toBe(2);
    expect(json.findings.filter((x) => x.severity === 'problem' && !x.fixed).map((x) => x.kind)).toEqual(['symlink', 'symlink']);
  });

  it('--fix exits 0 when everything found was fixed, and the next audit is clean', async () => {
    const root = await tempDir();
    file(join(root, 'wide'), 'w', 0o644);
    dir(join(root, 'open'), 0o777);
    age(file(join(root, TEMP_NAME), 'junk'), 120);
    const fixed = runCli(['audit', root, '--fix']);
    expect(fixed.status).toBe(0);
    expect(fixed.stdout).toMatch(/FIX/);
    expect(fixed.stdout).toContain('3 problems, 3 fixed, 0 remaining');
    expect(runCli(['audit', root]).status).toBe(0);
  });

  it('--fix leaves hard-linked and foreign files alone and says why (exit 1)', async () => {
    const root = await tempDir();
    const outside = await tempDir();
    const shared = file(join(outside, 'shared'), 's', 0o644);
    linkSync(shared, join(root, 'hardlinked'));
    const foreign = file(join(root, 'foreign'), 'f', 0o644);
    chownSync(foreign, 65534, 65534);
    const { status, json } = runCliJson<AuditJson>(['audit', root, '--fix']);
    expect(status).toBe(1);
    expect(modeOf(shared)).toBe(0o644);
    expect(modeOf(foreign)).toBe(0o644);
    const hardlinkMode = json.findings.find((x) => x.relativePath === 'hardlinked' && x.kind === 'wide-mode');
    expect(hardlinkMode).toMatchObject({ fixable: true, fixed: false });
    expect(hardlinkMode?.action).toMatch(/^not fixed: hard-linked/);
    const foreignMode = json.findings.find((x) => x.relativePath === 'foreign' && x.kind === 'wide-mode');
    expect(foreignMode?.action).toMatch(/^not fixed: owned by uid 65534/);
    expect(json.summary).toMatchObject({ fixed: 0 });
  });

  it('reports an insecure root instead of refusing it', async () => {
    const root = await tempDir();
    chmodSync(root, 0o777);
    const { status, json } = runCliJson<AuditJson>(['audit', root]);
    expect(status).toBe(1);
    expect(json.findings).toEqual([expect.objectContaining({ relativePath: '.', kind: 'insecure-dir', path: root })]);
    expect(runCli(['audit', root, '--fix']).status).toBe(0);
    expect(modeOf(root)).toBe(0o700);
  });

  it('exits 2 with a one-line reason (code and path) when the path cannot be audited', async () => {
    const base = await tempDir();
    const regular = file(join(base, 'file'), 'x');
    symlinkSync(await tempDir(), join(base, 'link'));
    const cases: [string, string][] = [
      [join(base, 'missing'), 'ENOENT'],
      [regular, 'ENOTDIR'],
      [join(base, 'link'), 'ESYMLINK'],
    ];
    for (const [path, code] of cases) {
      const human = runCli(['audit', path]);
      expect(human.status).toBe(2);
      expect(human.stdout).toBe('');
      expect(human.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(human.stderr).toContain(`hardfs audit: cannot audit ${path}: ${code}`);
      expect(human.stderr).toContain(path);
      const { status, json } = runCliJson<{ ok: boolean; error: { code: string; path: string } }>(['audit', path]);
      expect(status).toBe(2);
      expect(json.ok).toBe(false);
      expect(json.error.code).toBe(code);
    }
  });

  it('shows hostile names escaped, never raw', async () => {
    const root = await tempDir();
    file(join(root, 'evil\n\u001b[2Jname'), 'x', 0o644);
    const { stdout } = runCli(['audit', root]);
    expect(stdout).not.toContain('\u001b');
    expect(stdout).toContain('evil\\u000a\\u001b[2Jname');
    const { json } = runCliJson<AuditJson>(['audit', root]);
    expect(json.findings[0]?.relativePath).toBe('evil\n\u001b[2Jname');
  });

  it('reports a name that is not valid UTF-8 (it cannot be opened by name) instead of skipping it', async () => {
    const root = await tempDir();
    writeFileSync(Buffer.from(`${root}/bad\xffname`, 'latin1'), 'x', { mode: 0o600 });
    const { status, json } = runCliJson<AuditJson>(['audit', root]);
    expect(status).toBe(1);
    expect(json.findings).toEqual([expect.objectContaining({ kind: 'unreadable', relativePath: 'bad\ufffdname' })]);
  });
});
