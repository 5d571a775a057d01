// The follow-within policy: links resolved by the walk itself, like Go's os.Root — relative
// targets followed while they stay inside the root, absolute targets and targets above it
// EESCAPE, at most 40 links (ELOOP); operations on a name itself never follow it.
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir } from '../../../src/index.js';
import { useTempDirs } from '../../support/tmp.js';
import { MODES, descriptorsInto, rejectsWith, snapshot } from '../harness.js';

describe.each(MODES)('symlinks: follow-within (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string) => openDir(path, { resolution, symlinks: 'follow-within' });

  it('follows relative links inside the root: at the end, in the middle, chained, through `..`', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'a', 'b'), { recursive: true });
    writeFileSync(join(base, 'a', 'b', 'f'), 'target');
    symlinkSync('a/b/f', join(base, 'to-file'));
    symlinkSync('a/b', join(base, 'to-dir'));
    symlinkSync('../b', join(base, 'a', 'b', 'self')); // a/b/self -> a/b
    symlinkSync('to-file', join(base, 'chain'));
    symlinkSync('.', join(base, 'dot'));
    const dir = await open(base);
    expect(dir.symlinks).toBe('follow-within');
    for (const path of ['to-file', 'to-dir/f', 'a/b/self/f', 'a/b/self/self/f', 'chain', 'dot/dot/a/b/f', 'to-dir/../b/f']) {
      expect(await dir.readFile(path, 'utf8')).toBe('target');
    }
    expect((await dir.stat('to-file')).isFile()).toBe(true);
    expect(await dir.readdir('to-dir')).toEqual(expect.arrayContaining(['f', 'self']));
    await dir.writeFile('to-file', 'through the link');
    // The link stays a link; the in-root file it names was replaced.
    expect(lstatSync(join(base, 'to-file')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(base, 'a', 'b', 'f'), 'utf8')).toBe('through the link');
    await dir.close();
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('absolute targets and targets above the root are EESCAPE; nothing outside is read or written', async () => {
    const base = await tempDir();
    const root = join(base, 'root');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(base, 'secret'), 'outside');
    symlinkSync(join(base, 'secret'), join(root, 'abs'));
    symlinkSync('../secret', join(root, 'up'));
    symlinkSync('../../secret', join(root, 'sub', 'up2'));
    symlinkSync('..', join(root, 'parent'));
    symlinkSync('/', join(root, 'slash'));
    const before = snapshot(base);
    const dir = await open(root);
    for (const path of ['abs', 'up', 'sub/up2', 'parent/secret', 'slash/etc/passwd']) {
      const error = await rejectsWith(dir.readFile(path), 'EESCAPE');
      expect(error.op).toBe('readFile');
      await rejectsWith(dir.writeFile(path, 'x'), 'EESCAPE');
      await rejectsWith(dir.stat(path), 'EESCAPE');
      await rejectsWith(dir.chmod(path, 0o777), 'EESCAPE');
    }
    expect(snapshot(base)).toEqual(before);
    await dir.close();
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('a loop, or more than 40 links in one resolution, is ELOOP', async () => {
    const base = await tempDir();
    symlinkSync('loop-b', join(base, 'loop-a'));
    symlinkSync('loop-a', join(base, 'loop-b'));
    writeFileSync(join(base, 'end'), 'end');
    symlinkSync('end', join(base, 'l0'));
    for (let i = 1; i <= 41; i += 1) symlinkSync(`l${i - 1}`, join(base, `l${i}`));
    const dir = await open(base);
    const loop = await rejectsWith(dir.readFile('loop-a'), 'ELOOP');
    expect(loop.message).toContain('more than 40 symlinks');
    await rejectsWith(dir.readFile('loop-a/x'), 'ELOOP');
    expect(await dir.readFile('l39', 'utf8')).toBe('end'); // 40 links
    await rejectsWith(dir.readFile('l40'), 'ELOOP'); // 41 links
    await dir.close();
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('operations on a name itself never follow it: lstat, readlink, unlink, rename, rm, lchown', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'f'), 'kept');
    symlinkSync('f', join(base, 'l1'));
    symlinkSync('f', join(base, 'l2'));
    symlinkSync('f', join(base, 'l3'));
    const dir = await open(base);
    expect((await dir.lstat('l1')).isSymbolicLink()).toBe(true);
    expect(await dir.readlink('l1')).toBe('f');
    await dir.lchown('l1', 0, 0);
    await dir.unlink('l1');
    await dir.rename('l2', 'moved');
    expect(readlinkSync(join(base, 'moved'))).toBe('f');
    await dir.rm('l3', { recursive: true });
    expect(readdirSync(base).sort()).toEqual(['f', 'moved']);
    expect(readFileSync(join(base, 'f'), 'utf8')).toBe('kept');
    await dir.close();
  });

  it('rmdir("link/") never removes the directory the link names: ENOTDIR with the caller\'s path, as node', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'empty'));
    mkdirSync(join(base, 'full'));
    writeFileSync(join(base, 'full', 'f'), 'x');
    symlinkSync('empty', join(base, 'to-empty'));
    symlinkSync('full', join(base, 'to-full'));
    symlinkSync('to-empty/', join(base, 'chain'));
    const dir = await open(base);
    for (const name of ['to-empty', 'to-full', 'chain']) {
      let native: unknown;
      try {
        rmdirSync(join(base, `${name}/`));
      } catch (error) {
        native = error;
      }
      expect((native as NodeJS.ErrnoException).code).toBe('ENOTDIR'); // what the kernel says
      const before = snapshot(base);
      let thrown: unknown;
      try {
        await dir.rmdir(`${name}/`);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, name).toMatchObject({ code: 'ENOTDIR', path: join(base, `${name}/`) });
      expect(String((thrown as Error).message)).toContain('not a directory');
      expect(snapshot(base), name).toEqual(before);
    }
    // Without a link in the way the slash changes nothing: the directory itself is removed.
    await dir.rmdir('empty/');
    expect(readdirSync(base).sort()).toEqual(['chain', 'full', 'to-empty', 'to-full']);
    await dir.close();
  });
});

describe.each(MODES)('symlinks: refuse (%s resolution, the default)', (resolution) => {
  const tempDir = useTempDirs();

  it('a symlink anywhere on the walk is ESYMLINK, at the end of a read and a stat too; lstat reports it as a link', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'real'));
    writeFileSync(join(base, 'real', 'f'), 'x');
    symlinkSync('real', join(base, 'dir-link'));
    symlinkSync('real/f', join(base, 'file-link'));
    const dir = await openDir(base, { resolution });
    expect(dir.symlinks).toBe('refuse');
    await rejectsWith(dir.readFile('dir-link/f'), 'ESYMLINK');
    await rejectsWith(dir.readFile('file-link'), 'ESYMLINK');
    await rejectsWith(dir.readdir('dir-link'), 'ESYMLINK');
    await rejectsWith(dir.chmod('file-link', 0o600), 'ESYMLINK');
    // Nothing is followed under refuse: stat of a final link is ESYMLINK; lstat reports the link.
    expect((await rejectsWith(dir.stat('file-link'), 'ESYMLINK')).path).toBe(join(base, 'file-link'));
    expect((await dir.lstat('file-link')).isSymbolicLink()).toBe(true);
    await dir.close();
  });
});
