import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertRealDir, assertRealpathWithin, ensureRealDir } from '../../src/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

describe('assertRealDir', () => {
  const tempDir = useTempDirs();

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

  it('with a root: refuses a symlinked component (ESYMLINK) and a path outside (EESCAPE)', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    symlinkSync(outside, join(base, 'link'));
    const error = await caught(ensureRealDir(join(base, 'link', 'x'), { root: base }));
    expect(error.code).toBe('ESYMLINK');
    expect(readdirSync(outside)).toEqual([]);
    expect((await caught(ensureRealDir(join(outside, 'x'), { root: base }))).code).toBe('EESCAPE');
    expect(await ensureRealDir(join(base, 'x', 'y'), { root: base, mode: 0o750 })).toBe(join(base, 'x', 'y'));
    expect(statSync(join(base, 'x', 'y')).mode & 0o7777).toBe(0o750);
  });

  it('without a root, an existing symlink at the final path is refused', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    symlinkSync(outside, join(base, 'link'));
    expect((await caught(ensureRealDir(join(base, 'link')))).code).toBe('ESYMLINK');
  });
});

describe('assertRealpathWithin', () => {
  const tempDir = useTempDirs();

  it('compares real paths: a symlink inside pointing outside is EESCAPE', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    mkdirSync(join(base, 'in'));
    symlinkSync(outside, join(base, 'out'));
    expect(await assertRealpathWithin(base, join(base, 'in'))).toBe(join(base, 'in'));
    expect((await caught(assertRealpathWithin(base, join(base, 'out')))).code).toBe('EESCAPE');
    expect((await caught(assertRealpathWithin(base, join(base, 'missing')))).code).toBe('ENOENT');
  });
});
