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
    const human = await runCli(['audit', root]);
    expect(human.status).toBe(0);
    expect(human.stdout).toContain('4 entries checked: no problems.');
    const { status, json } = await runCliJson<AuditJson>(['audit', root]);
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

    const { status, json, stderr } = await runCliJson<AuditJson>(['audit', root]);
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
    const { status, stdout } = await runCli(['audit', root]);
    expect(status).toBe(1);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Audit of ${root}`);
    const header = lines[1] ?? '';
    expect(header).toMatch(/^PATH +KIND +DETAIL$/);
    const kindColumn = header.indexOf('KIND');
    expect(lines[2]?.slice(kindColumn)).toMatch(/^symlink /);
    expect(lines[3]?.slice(kindColumn)).toMatch(/^wide-mode /);
    expect(lines.at(-1)).toBe('3 entries checked: 2 problems (1 fixable with --fix).');
  });

  it('fits its table in 80 columns: long paths cut in the middle, details wrapped', async () => {
    const root = await tempDir();
    let deep = root;
    for (const part of ['a-rather-long-directory-name', 'and-another-long-one', 'and-a-third']) deep = dir(join(deep, part));
    file(join(deep, 'a-file-with-a-long-name-too.json'), 'w', 0o644);
    symlinkSync('/etc/passwd', join(deep, 'link'));
    const { stdout } = await runCli(['audit', root]);
    const lines = stdout.trimEnd().split('\n').slice(1, -1);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(stdout).toContain('…');
    expect(stdout).toMatch(/a-rather-long-dir[^\n]*…[^\n]*long-name-too\.json/);
    // The JSON keeps every path whole.
    const { json } = await runCliJson<AuditJson>(['audit', root]);
    expect(json.findings.map((x) => x.relativePath)).toContain('a-rather-long-directory-name/and-another-long-one/and-a-third/a-file-with-a-long-name-too.json');
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

    const { status, json } = await runCliJson<AuditJson>(['audit', root, '--fix']);
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
    const fixed = await runCli(['audit', root, '--fix']);
    expect(fixed.status).toBe(0);
    expect(fixed.stdout).toMatch(/FIX/);
    expect(fixed.stdout).toContain('3 problems, 3 fixed, 0 remaining');
    expect((await runCli(['audit', root])).status).toBe(0);
  });

  it('--fix leaves hard-linked and foreign files alone and says why (exit 1)', async () => {
    const root = await tempDir();
    const outside = await tempDir();
    const shared = file(join(outside, 'shared'), 's', 0o644);
    linkSync(shared, join(root, 'hardlinked'));
    const foreign = file(join(root, 'foreign'), 'f', 0o644);
    chownSync(foreign, 65534, 65534);
    const { status, json } = await runCliJson<AuditJson>(['audit', root, '--fix']);
    expect(status).toBe(1);
    expect(modeOf(shared)).toBe(0o644);
    expect(modeOf(foreign)).toBe(0o644);
    const hardlinkMode = json.findings.find((x) => x.relativePath === 'hardlinked' && x.kind === 'wide-mode');
    // fixable means "--fix would fix it": it would not.
    expect(hardlinkMode).toMatchObject({ fixable: false, fixed: false });
    expect(hardlinkMode?.action).toMatch(/^not fixed: hard-linked/);
    const foreignMode = json.findings.find((x) => x.relativePath === 'foreign' && x.kind === 'wide-mode');
    expect(foreignMode?.action).toMatch(/^not fixed: owned by uid 65534/);
    expect(json.summary).toMatchObject({ fixed: 0 });
  });

  it('fixable says what --fix would fix, with or without --fix; --fix --dry-run says what it would do and changes nothing', async () => {
    const root = await tempDir();
    const wide = file(join(root, 'wide'), 'w', 0o644);
    chownSync(file(join(root, 'foreign'), 'f', 0o644), 65534, 65534);
    const stale = file(join(root, TEMP_NAME), 'half');
    age(stale, 3600);
    const plain = await runCliJson<AuditJson>(['audit', root]);
    const dry = await runCliJson<AuditJson>(['audit', root, '--fix', '--dry-run']);
    const byPath = (findings: JsonFinding[]) => Object.fromEntries(findings.filter((x) => x.severity === 'problem').map((x) => [x.relativePath, x]));
    for (const run of [plain.json, dry.json]) {
      const found = byPath(run.findings);
      expect(found['wide']).toMatchObject({ kind: 'wide-mode', fixable: true, fixed: false });
      expect(found['foreign']).toMatchObject({ kind: 'wide-mode', fixable: false, fixed: false });
      expect(found[TEMP_NAME]).toMatchObject({ kind: 'stale-temp', fixable: true, fixed: false });
    }
    expect(plain.json.findings.every((x) => x.action === null)).toBe(true);
    expect(byPath(dry.json.findings)['wide']?.action).toBe('would set mode 0644 -> 0600');
    expect(byPath(dry.json.findings)[TEMP_NAME]?.action).toBe('would remove it');
    expect(dry.status).toBe(1);
    expect(modeOf(wide)).toBe(0o644);
    expect(existsSync(stale)).toBe(true);
    const human = await runCli(['audit', root, '--fix', '--dry-run']);
    expect(human.stdout).toContain('(--fix --dry-run: nothing is changed)');
    expect(human.stdout).toContain('2 would be fixed');
    // The real run then fixes exactly what the dry run said.
    const fixed = await runCliJson<AuditJson>(['audit', root, '--fix']);
    expect(byPath(fixed.json.findings)['wide']).toMatchObject({ fixable: true, fixed: true, action: 'mode 0644 -> 0600' });
    expect(modeOf(wide)).toBe(0o600);
    expect(existsSync(stale)).toBe(false);
  });

  it('--exclude (repeatable) skips names anywhere or paths below the root, never descending; --fix leaves them alone', async () => {
    const root = await tempDir();
    const workspace = dir(join(root, 'agents'));
    dir(join(workspace, 'main'));
    const ws = dir(join(workspace, 'main', 'workspace'), 0o755);
    const inWs = file(join(ws, 'notes.md'), 'n', 0o644);
    const modules = dir(join(root, 'node_modules'), 0o755);
    file(join(modules, 'pkg.json'), '{}', 0o644);
    const log = file(join(root, 'debug.log'), 'l', 0o644);
    const kept = file(join(root, 'kept'), 'k', 0o644);
    const { status, json } = await runCliJson<AuditJson & { excluded: number; exclude: string[] }>([
      'audit', root, '--exclude', 'agents/*/workspace', '--exclude', 'node_modules', '--exclude=*.log', '--fix',
    ]);
    expect(status).toBe(0);
    expect(json.exclude).toEqual(['agents/*/workspace', 'node_modules', '*.log']);
    expect(json.excluded).toBe(3);
    expect(json.findings.map((x) => x.relativePath)).toEqual(['kept']);
    expect(modeOf(kept)).toBe(0o600);
    for (const path of [inWs, log]) expect(modeOf(path)).toBe(0o644);
    expect(modeOf(ws)).toBe(0o755);
    expect((await runCli(['audit', root, '--exclude', '**/workspace', '--exclude', 'node_modules', '--exclude', 'debug.*'])).stdout).toMatch(/; 3 excluded\.$/m);
  });

  it('--max-depth reports deeper directories as too-deep instead of descending', async () => {
    const root = await tempDir();
    const one = dir(join(root, 'one'));
    const two = dir(join(one, 'two'));
    file(join(two, 'wide'), 'w', 0o644);
    const { json } = await runCliJson<AuditJson>(['audit', root, '--max-depth', '2']);
    expect(json.findings.map((x) => [x.relativePath, x.kind])).toEqual([['one/two', 'too-deep']]);
    expect(json.findings[0]?.detail).toContain('deeper than 2 levels');
    const deeper = await runCliJson<AuditJson>(['audit', root, '--max-depth', '3']);
    expect(deeper.json.findings.map((x) => [x.relativePath, x.kind])).toEqual([['one/two/wide', 'wide-mode']]);
  });

  it('reports leftover migration locks and staging directories with what to do', async () => {
    const root = await tempDir();
    file(join(root, 'sessions.json'), '{}');
    dir(join(root, 'sessions.d.migrating'));
    const migrationLock = file(join(root, '.sessions.migrate.lock'), JSON.stringify({ v: 1, token: 'a'.repeat(32), pid: 4242, host: 'sk-SECRET-h', time: 0 }));
    age(migrationLock, 600);
    const writerLock = file(join(root, 'sessions.json.lock'), JSON.stringify({ pid: 4243, createdAt: new Date(0).toISOString() }));
    age(writerLock, 600);
    file(join(root, 'unrelated.json.lock'), 'x');
    const { json } = await runCliJson<AuditJson>(['audit', root]);
    const at = (path: string) => json.findings.find((x) => x.relativePath === path);
    expect(at('sessions.d.migrating')).toMatchObject({ kind: 'migration-leftover' });
    expect(at('sessions.d.migrating')?.detail).toContain("'hardfs sessions migrate sessions.json'");
    expect(at('.sessions.migrate.lock')).toMatchObject({ kind: 'stale-lock', severity: 'problem' });
    expect(at('.sessions.migrate.lock')?.detail).toMatch(/interrupted migration.*holder pid 4242 on another host.*takes it over/);
    // The host is file content: compared with ours, never shown.
    expect(JSON.stringify(json)).not.toContain('SECRET');
    expect(at('sessions.json.lock')).toMatchObject({ kind: 'stale-lock' });
    expect(at('sessions.json.lock')?.detail).toMatch(/legacy writer lock.*holder pid 4243.*remove it by hand only if nothing writes sessions\.json/);
    expect(at('unrelated.json.lock')).toBeUndefined();
  });

  it('reports an insecure root instead of refusing it', async () => {
    const root = await tempDir();
    chmodSync(root, 0o777);
    const { status, json } = await runCliJson<AuditJson>(['audit', root]);
    expect(status).toBe(1);
    expect(json.findings).toEqual([expect.objectContaining({ relativePath: '.', kind: 'insecure-dir', path: root })]);
    expect((await runCli(['audit', root, '--fix'])).status).toBe(0);
    expect(modeOf(root)).toBe(0o700);
  });

  it('a relative <dir> is relative to the working directory; an empty one is refused, not taken as the working directory', async () => {
    const root = await tempDir();
    dir(join(root, 'sub'));
    file(join(root, 'sub', 'a'), 'x');
    const { status, json } = await runCliJson<AuditJson>(['audit', 'sub'], { cwd: root });
    expect(status).toBe(0);
    expect(json).toMatchObject({ root: join(root, 'sub'), checked: 2 });
    const empty = await runCli(['audit', ''], { cwd: root });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('hardfs audit: cannot audit : EBADNAME');
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
      const human = await runCli(['audit', path]);
      expect(human.status).toBe(2);
      expect(human.stdout).toBe('');
      expect(human.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(human.stderr).toContain(`hardfs audit: cannot audit ${path}: ${code}`);
      expect(human.stderr).toContain(path);
      const { status, json } = await runCliJson<{ ok: boolean; error: { code: string; path: string } }>(['audit', path]);
      expect(status).toBe(2);
      expect(json.ok).toBe(false);
      expect(json.error.code).toBe(code);
    }
  });

  it('shows hostile names escaped, never raw', async () => {
    const root = await tempDir();
    file(join(root, 'evil\n\u001b[2Jname'), 'x', 0o644);
    const { stdout } = await runCli(['audit', root]);
    expect(stdout).not.toContain('\u001b');
    expect(stdout).toContain('evil\\u000a\\u001b[2Jname');
    const { json } = await runCliJson<AuditJson>(['audit', root]);
    expect(json.findings[0]?.relativePath).toBe('evil\n\u001b[2Jname');
  });

  it('reports a name that is not valid UTF-8 (it cannot be opened by name) instead of skipping it', async () => {
    const root = await tempDir();
    writeFileSync(Buffer.from(`${root}/bad\xffname`, 'latin1'), 'x', { mode: 0o600 });
    const { status, json } = await runCliJson<AuditJson>(['audit', root]);
    expect(status).toBe(1);
    expect(json.findings).toEqual([expect.objectContaining({ kind: 'unreadable', relativePath: 'bad\ufffdname' })]);
  });
});
