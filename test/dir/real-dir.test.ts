// assertRealDir and ensureRealDir: every error code, every policy relaxation, exact modes.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertRealDir, type DirPolicy, ensureRealDir, writeFileAtomic } from '../../src/index.js';
import { descriptorsInto, modeOf, outcome, rejectsNative, rejectsWith, snapshot } from './harness.js';
import { caught, useTempDirs } from '../support/tmp.js';

describe('assertRealDir', () => {
  const tempDir = useTempDirs();

  it('ESYMLINK for a symlink to a directory, a dangling one, and with a trailing slash or /.', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'link'));
    symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
    for (const spelled of ['link', 'dangling', 'link/', 'link//', 'link/.']) {
      const error = await rejectsWith(assertRealDir(join(base, spelled)), 'ESYMLINK');
      expect(error.path).toBe(join(base, spelled.split('/')[0] ?? ''));
    }
  });

  it('ENOTDIR for a regular file and a FIFO', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'x');
    execFileSync('mkfifo', [join(base, 'fifo')]);
    for (const name of ['file', 'fifo']) {
      expect((await rejectsWith(assertRealDir(join(base, name)), 'ENOTDIR')).path).toBe(join(base, name));
    }
  });

  it('EINSECURE for group-writable, world-writable without sticky, and another owner; the sticky bit makes shared modes acceptable', async () => {
    const base = await tempDir();
    const dir = join(base, 'd');
    mkdirSync(dir);
    const check = async (mode: number, policy: DirPolicy = {}): Promise<string> => {
      chmodSync(dir, mode);
      try {
        await assertRealDir(dir, policy);
        return 'ok';
      } catch (error) {
        expect((error as { path?: string }).path).toBe(dir);
        return (error as { code: string }).code;
      }
    };
    const table: Array<[number, DirPolicy, string]> = [
      [0o700, {}, 'ok'],
      [0o755, {}, 'ok'],
      [0o750, {}, 'ok'],
      [0o770, {}, 'EINSECURE'],
      [0o720, {}, 'EINSECURE'],
      [0o707, {}, 'EINSECURE'],
      [0o702, {}, 'EINSECURE'],
      [0o777, {}, 'EINSECURE'],
      [0o1777, {}, 'ok'], // like /tmp
      [0o1770, {}, 'ok'],
      [0o1702, {}, 'ok'],
      [0o2770, {}, 'EINSECURE'], // setgid is not sticky
      // each relaxation relaxes exactly one thing
      [0o770, { allowGroupWritable: true }, 'ok'],
      [0o777, { allowGroupWritable: true }, 'EINSECURE'],
      [0o707, { allowGroupWritable: true }, 'EINSECURE'],
      [0o707, { allowWorldWritable: true }, 'ok'],
      [0o777, { allowWorldWritable: true }, 'EINSECURE'],
      [0o770, { allowWorldWritable: true }, 'EINSECURE'],
      [0o777, { allowGroupWritable: true, allowWorldWritable: true }, 'ok'],
      [0o770, { allowOtherOwner: true }, 'EINSECURE'],
      [0o770, { allowGroupWritable: false }, 'EINSECURE'],
    ];
    for (const [mode, policy, expected] of table) {
      expect([mode.toString(8), policy, await check(mode, policy)]).toEqual([mode.toString(8), policy, expected]);
    }
    chmodSync(dir, 0o700);
    chownSync(dir, 65534, 65534);
    const foreign = await rejectsWith(assertRealDir(dir), 'EINSECURE');
    expect(foreign.path).toBe(dir);
    expect(foreign.message).toContain('65534');
    await assertRealDir(dir, { allowOtherOwner: true });
    chmodSync(dir, 0o770);
    await rejectsWith(assertRealDir(dir, { allowOtherOwner: true }), 'EINSECURE');
    await assertRealDir(dir, { allowOtherOwner: true, allowGroupWritable: true });
    await rejectsWith(assertRealDir(dir, { allowGroupWritable: true }), 'EINSECURE');
  });

  it('native errors pass through: ENOENT for a missing path, ENOTDIR for a file in the middle', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'x');
    await rejectsNative(assertRealDir(join(base, 'missing')), 'ENOENT');
    await rejectsNative(assertRealDir(join(base, 'file', 'below')), 'ENOTDIR');
  });

  it('resolves relative paths against the working directory', async () => {
    const base = await tempDir();
    await assertRealDir(relative(process.cwd(), base));
    symlinkSync(base, join(base, 'self'));
    const error = await rejectsWith(assertRealDir(relative(process.cwd(), join(base, 'self'))), 'ESYMLINK');
    expect(error.path).toBe(join(base, 'self'));
  });

  it('accepts a private or sticky directory and refuses the rest with typed errors', async () => {
    const base = await tempDir();
    await assertRealDir(base);
    const dir = join(base, 'd');
    mkdirSync(dir, { mode: 0o700 });
    symlinkSync(dir, join(base, 'link'));
    writeFileSync(join(base, 'file'), 'x');
    const symlink = await caught(assertRealDir(join(base, 'link')));
    expect(symlink.code).toBe('ESYMLINK');
    expect(symlink.path).toBe(join(base, 'link'));
    expect((await caught(assertRealDir(join(base, 'file')))).code).toBe('ENOTDIR');
    chmodSync(dir, 0o770);
    expect((await caught(assertRealDir(dir))).code).toBe('EINSECURE');
    await assertRealDir(dir, { allowGroupWritable: true });
    chmodSync(dir, 0o703);
    expect((await caught(assertRealDir(dir))).code).toBe('EINSECURE');
    await assertRealDir(dir, { allowWorldWritable: true });
    chmodSync(dir, 0o1777);
    await assertRealDir(dir);
    chmodSync(dir, 0o700);
    chownSync(dir, 65534, 65534);
    expect((await caught(assertRealDir(dir))).code).toBe('EINSECURE');
    await assertRealDir(dir, { allowOtherOwner: true });
  });
});

describe('ensureRealDir', () => {
  const tempDir = useTempDirs();

  it('returns the absolute path; an existing real directory is checked and left as it is', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'kept'));
    chmodSync(join(base, 'kept'), 0o755);
    const previous = process.cwd();
    expect(await ensureRealDir(join(base, 'kept'))).toBe(join(base, 'kept'));
    expect(await ensureRealDir(join(base, 'kept'), { root: base, mode: 0o700 })).toBe(join(base, 'kept'));
    expect(modeOf(join(base, 'kept'))).toBe(0o755);
    expect(await ensureRealDir(base, { root: base })).toBe(base);
    expect(await ensureRealDir(`${join(base, 'trailing')}/`, { root: base })).toBe(join(base, 'trailing'));
    expect(await ensureRealDir(relative(previous, join(base, 'rel', 'x')))).toBe(join(base, 'rel', 'x'));
    expect(statSync(join(base, 'rel', 'x')).isDirectory()).toBe(true);
  });

  it('creates each missing component with mode 0o700, also under umask 0', async () => {
    const base = await tempDir();
    const target = join(base, 'a', 'b', 'c');
    const script = `import('${new URL('../../dist/index.js', import.meta.url).href}').then(async (h) => { process.umask(0); await h.ensureRealDir(${JSON.stringify(target)}); })`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    for (const path of [join(base, 'a'), join(base, 'a', 'b'), target]) {
      expect(statSync(path).mode & 0o7777).toBe(0o700);
    }
    expect(await ensureRealDir(target)).toBe(target); // existing: checked, not recreated
  });

  it('ensureRealDir creates below the deepest existing ancestor in-process', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'a'));
    const target = join(base, 'a', 'b', 'c');
    expect(await ensureRealDir(target)).toBe(target);
    expect(statSync(target).isDirectory()).toBe(true);
  });

  it('with a root: a symlinked component at any depth below it is ESYMLINK and nothing is created through it', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    mkdirSync(join(base, 'a', 'b'), { recursive: true });
    symlinkSync(outside, join(base, 'a', 'link'));
    symlinkSync(outside, join(base, 'a', 'b', 'deep-link'));
    symlinkSync(join(outside, 'created-through-dangling'), join(base, 'dangling'));
    const before = snapshot(base);
    for (const target of [
      join(base, 'a', 'link'),
      join(base, 'a', 'link', 'x', 'y'),
      join(base, 'a', 'b', 'deep-link', 'x'),
      join(base, 'dangling'),
      join(base, 'dangling', 'x'),
    ]) {
      const error = await rejectsWith(ensureRealDir(target, { root: base }), 'ESYMLINK');
      expect(target.startsWith(error.path ?? '<none>')).toBe(true);
    }
    expect(readdirSync(outside)).toEqual([]);
    expect(snapshot(base)).toEqual(before);
  });

  it('with a root: EESCAPE for anything that is not within it, before creating anything', async () => {
    const base = await tempDir();
    const root = join(base, 'root');
    mkdirSync(root, { mode: 0o700 });
    const before = snapshot(base);
    for (const target of [
      join(base, 'root-sibling'),
      `${root}c`,
      `${root}-`,
      join(root, '..', 'x'),
      join(root, 'a', '..', '..', 'rootc'),
      base,
      '/',
      join(base, 'elsewhere', 'deep'),
    ]) {
      const error = await rejectsWith(ensureRealDir(target, { root }), 'EESCAPE');
      expect(error.path).toBe(join(target));
    }
    // a relative path is resolved against the working directory, not against the root
    await rejectsWith(ensureRealDir('relative-child', { root }), 'EESCAPE');
    expect(snapshot(base)).toEqual(before);
  });

  it('with a root: an insecure or foreign component is EINSECURE unless the policy relaxes it; a file is ENOTDIR', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'shared'));
    chmodSync(join(base, 'shared'), 0o770);
    mkdirSync(join(base, 'foreign'));
    chownSync(join(base, 'foreign'), 65534, 65534);
    writeFileSync(join(base, 'file'), 'x');
    await rejectsWith(ensureRealDir(join(base, 'shared', 'x'), { root: base }), 'EINSECURE');
    expect(existsSync(join(base, 'shared', 'x'))).toBe(false);
    expect(await ensureRealDir(join(base, 'shared', 'x'), { root: base, allowGroupWritable: true })).toBe(join(base, 'shared', 'x'));
    await rejectsWith(ensureRealDir(join(base, 'foreign', 'x'), { root: base }), 'EINSECURE');
    await ensureRealDir(join(base, 'foreign', 'x'), { root: base, allowOtherOwner: true });
    expect((await rejectsWith(ensureRealDir(join(base, 'file', 'x'), { root: base }), 'ENOTDIR')).path).toBe(join(base, 'file'));
  });

  it('with a root: the root itself must be a real, secure, existing directory', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'link'));
    mkdirSync(join(base, 'open'));
    chmodSync(join(base, 'open'), 0o777);
    await rejectsWith(ensureRealDir(join(base, 'link', 'x'), { root: join(base, 'link') }), 'ESYMLINK');
    await rejectsWith(ensureRealDir(join(base, 'open', 'x'), { root: join(base, 'open') }), 'EINSECURE');
    await rejectsNative(ensureRealDir(join(base, 'missing', 'x'), { root: join(base, 'missing') }), 'ENOENT');
    expect(readdirSync(join(base, 'real'))).toEqual([]);
    expect(existsSync(join(base, 'missing'))).toBe(false);
  });

  it('without a root: an existing final path must pass assertRealDir (ESYMLINK, ENOTDIR, EINSECURE)', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    symlinkSync(outside, join(base, 'link'));
    writeFileSync(join(base, 'file'), 'x');
    mkdirSync(join(base, 'open'));
    chmodSync(join(base, 'open'), 0o707);
    await rejectsWith(ensureRealDir(join(base, 'link')), 'ESYMLINK');
    await rejectsWith(ensureRealDir(join(base, 'file')), 'ENOTDIR');
    await rejectsWith(ensureRealDir(join(base, 'open')), 'EINSECURE');
    await ensureRealDir(join(base, 'open'), { allowWorldWritable: true });
    // a new component below an insecure existing one is refused when the anchor is opened
    await rejectsWith(ensureRealDir(join(base, 'open', 'x')), 'EINSECURE');
    expect(readdirSync(join(base, 'open'))).toEqual([]);
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe('ensureRealDir({ mode }) and the directory policy', () => {
  const tempDir = useTempDirs();

  // The same defect, reached through ensureRealDir (which creates through openSubdir).
  it('a mode its policy refuses: the same outcome whatever the umask', async () => {
    const results: string[] = [];
    for (const umask of [0, 0o022]) {
      const base = await tempDir();
      const previous = process.umask(umask);
      try {
        results.push(await outcome(() => ensureRealDir(join(base, 'x', 'y'), { root: base, mode: 0o770 })));
      } finally {
        process.umask(previous);
      }
      if (results.at(-1) === 'ok') {
        expect(modeOf(join(base, 'x', 'y'))).toBe(0o770);
        // a second call with the same options must agree with the first
        expect(await outcome(() => ensureRealDir(join(base, 'x', 'y'), { root: base, mode: 0o770 }))).toBe('ok');
      } else {
        expect(readdirSync(base)).toEqual([]);
      }
    }
    expect(results[0]).toBe(results[1]);
  });
});

describe('ensureRealDir', () => {
  const tempDir = useTempDirs();

  it('a path outside the root is refused naming the root', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    const error = await rejectsWith(ensureRealDir(join(outside, 'x'), { root: base }), 'EESCAPE');
    expect(error.message).toContain(`root ${base}`);
    expect(error.path).toBe(join(outside, 'x'));
  });

  it('leaves no descriptor open on the directories it created, with and without a root', async () => {
    const base = await tempDir();
    expect(await ensureRealDir(join(base, 'a', 'b'))).toBe(join(base, 'a', 'b'));
    expect(descriptorsInto(base)).toEqual([]);
    expect(await ensureRealDir(join(base, 'r', 's'), { root: base })).toBe(join(base, 'r', 's'));
    expect(descriptorsInto(base)).toEqual([]);
    expect(await ensureRealDir(join(base, 'one'))).toBe(join(base, 'one'));
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('a lookup error other than ENOENT is thrown as is, nothing is created', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'x');
    const error = await rejectsNative(ensureRealDir(join(base, 'file', 'sub')), 'ENOTDIR');
    expect(error.syscall).toBe('lstat');
    expect(readdirSync(base)).toEqual(['file']);
  });
});

describe('ensureRealDir without a root', () => {
  const tempDir = useTempDirs();

  it('refuses a symlink planted at the deepest existing ancestor and creates nothing through it', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    symlinkSync(outside, join(base, 'planted'));
    await rejectsWith(ensureRealDir(join(base, 'planted', 'a', 'b')), 'ESYMLINK');
    expect(readdirSync(outside)).toEqual([]);
    // A real ancestor still works, and the components it creates are real directories.
    expect(await ensureRealDir(join(base, 'real', 'a'))).toBe(join(base, 'real', 'a'));
    await writeFileAtomic(join(base, 'made', 'deep', 'f'), 'x', { mkdirs: true });
    expect(readdirSync(join(base, 'made', 'deep'))).toEqual(['f']);
    writeFileSync(join(base, 'file'), 'x');
    // A file on the way is the kernel's ENOTDIR (from the lstat that looks for the anchor).
    expect((await caught(ensureRealDir(join(base, 'file', 'sub')))).code).toBe('ENOTDIR');
  });
});
