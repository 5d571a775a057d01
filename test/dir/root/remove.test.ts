// Removing through a root: unlink / unlinkSync / rmdir act on the name itself; removeTree never follows.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, type OpenDirOptions, type SafeDir } from '../../../src/index.js';
import { descriptorsInto, MODES, rejectsNative, rejectsNativeSync, rejectsWith, snapshot } from '../harness.js';
import { useTempDirs } from '../../support/tmp.js';

describe.each(MODES)('remove (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

  describe('unlink / unlinkSync / rmdir', () => {
    it('unlink removes a symlink itself, never its target; a directory is a native error', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      writeFileSync(join(outside, 'file'), 'F');
      mkdirSync(join(outside, 'dir'));
      writeFileSync(join(outside, 'dir', 'inner'), 'I');
      symlinkSync(join(outside, 'file'), join(base, 'to-file'));
      symlinkSync(join(outside, 'dir'), join(base, 'to-dir'));
      writeFileSync(join(base, 'plain'), 'x');
      mkdirSync(join(base, 'sub'));
      const outsideBefore = snapshot(outside);
      const dir = await open(base);
      await dir.unlink('to-file');
      dir.unlinkSync('to-dir');
      await dir.unlink('plain');
      expect(readdirSync(base)).toEqual(['sub']);
      expect(snapshot(outside)).toEqual(outsideBefore);
      await rejectsNative(dir.unlink('sub'), 'EISDIR');
      expect(rejectsNativeSync(() => { dir.unlinkSync('sub'); }).code).toBe('EISDIR');
      await rejectsNative(dir.unlink('missing'), 'ENOENT');
      expect(rejectsNativeSync(() => { dir.unlinkSync('missing'); }).code).toBe('ENOENT');
      await dir.close();
    });

    it('rmdir removes an empty directory only; native errors otherwise', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      mkdirSync(join(base, 'empty'));
      mkdirSync(join(base, 'full'));
      writeFileSync(join(base, 'full', 'x'), 'x');
      writeFileSync(join(base, 'file'), 'f');
      mkdirSync(join(outside, 'empty-outside'));
      symlinkSync(join(outside, 'empty-outside'), join(base, 'link'));
      const dir = await open(base);
      await dir.rmdir('empty');
      expect(existsSync(join(base, 'empty'))).toBe(false);
      await rejectsNative(dir.rmdir('full'), 'ENOTEMPTY');
      await rejectsNative(dir.rmdir('file'), 'ENOTDIR');
      await rejectsNative(dir.rmdir('link'), 'ENOTDIR'); // rmdir never follows the link
      await rejectsNative(dir.rmdir('missing'), 'ENOENT');
      expect(existsSync(join(outside, 'empty-outside'))).toBe(true);
      expect(lstatSync(join(base, 'link')).isSymbolicLink()).toBe(true);
      await dir.close();
    });
  });

  describe('removeTree', () => {
    it('removes a nested tree without following symlinks or touching hardlinked outside inodes', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      mkdirSync(join(outside, 'deep'));
      writeFileSync(join(outside, 'keep'), 'keep');
      writeFileSync(join(outside, 'deep', 'keep2'), 'keep2');
      writeFileSync(join(outside, 'hard'), 'hard');
      const tree = join(base, 'tree');
      mkdirSync(join(tree, 'a', 'b', 'c'), { recursive: true });
      writeFileSync(join(tree, 'top'), 't');
      writeFileSync(join(tree, 'a', 'b', 'c', 'leaf'), 'l');
      symlinkSync(outside, join(tree, 'out-dir'));
      symlinkSync(outside, join(tree, 'a', 'b', 'out-dir-deep'));
      symlinkSync(join(outside, 'keep'), join(tree, 'a', 'out-file'));
      symlinkSync(join(tree, 'nowhere'), join(tree, 'dangling'));
      linkSync(join(outside, 'hard'), join(tree, 'a', 'hardlink'));
      execFileSync('mkfifo', [join(tree, 'a', 'fifo')]);
      // directories removeTree has no business refusing: insecure modes, another owner
      chmodSync(join(tree, 'a', 'b'), 0o777);
      chownSync(join(tree, 'a', 'b', 'c'), 65534, 65534);
      expect(statSync(join(outside, 'hard')).nlink).toBe(2);
      const outsideBefore = snapshot(outside).hard;
      const dir = await open(base);
      await dir.removeTree('tree');
      expect(readdirSync(base)).toEqual([]);
      expect(statSync(join(outside, 'hard')).nlink).toBe(1);
      const after = snapshot(outside);
      expect(after.hard).toBe(outsideBefore?.replace('nlink=2', 'nlink=1'));
      expect(Object.keys(after).sort()).toEqual(['.', 'deep', 'deep/keep2', 'hard', 'keep']);
      expect(readFileSync(join(outside, 'keep'), 'utf8')).toBe('keep');
      expect(readFileSync(join(outside, 'deep', 'keep2'), 'utf8')).toBe('keep2');
      await dir.close();
    });

    it('refuses a symlink (ESYMLINK) and a file (ENOTDIR) at the name, touching nothing', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      writeFileSync(join(outside, 'keep'), 'keep');
      symlinkSync(outside, join(base, 'link'));
      writeFileSync(join(base, 'file'), 'f');
      const before = snapshot(base);
      const outsideBefore = snapshot(outside);
      const dir = await open(base);
      await rejectsWith(dir.removeTree('link'), 'ESYMLINK');
      await rejectsWith(dir.removeTree('file'), 'ENOTDIR');
      await rejectsNative(dir.removeTree('missing'), 'ENOENT');
      expect(snapshot(base)).toEqual(before);
      expect(snapshot(outside)).toEqual(outsideBefore);
      await dir.close();
    });
  });

  it('removeTree closes every directory handle it opened on the way down', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'tree', 'a', 'b'), { recursive: true });
    writeFileSync(join(base, 'tree', 'a', 'b', 'f'), 'x');
    writeFileSync(join(base, 'tree', 'g'), 'y');
    const dir = await openDir(base, { resolution });
    try {
      await dir.removeTree('tree');
      expect(readdirSync(base)).toEqual([]);
      // Only the handle on base itself is still open.
      expect(descriptorsInto(base)).toEqual([base]);
    } finally {
      await dir.close();
    }
    expect(descriptorsInto(base)).toEqual([]);
  });
});
