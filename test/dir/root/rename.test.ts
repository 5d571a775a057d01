// rename and renameNoReplace: within a root and into another pinned directory; verify mode checks
// the target directory too.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, type OpenDirOptions, type SafeDir } from '../../../src/index.js';
import { MODES, rejectsNative, rejectsWith } from '../harness.js';
import { useTempDirs } from '../../support/tmp.js';

describe.each(MODES)('rename (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

  describe('rename / renameNoReplace', () => {
    it('rename replaces the target within the directory and moves symlinks as links', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      writeFileSync(join(base, 'a'), 'A');
      writeFileSync(join(base, 'b'), 'B');
      writeFileSync(join(outside, 'target'), 'T');
      symlinkSync(join(outside, 'target'), join(base, 'link'));
      mkdirSync(join(base, 'dir'));
      writeFileSync(join(base, 'dir', 'inside'), 'I');
      const dir = await open(base);
      await dir.rename('a', 'b');
      expect(existsSync(join(base, 'a'))).toBe(false);
      expect(readFileSync(join(base, 'b'), 'utf8')).toBe('A');
      await dir.rename('link', 'moved-link');
      expect(lstatSync(join(base, 'moved-link')).isSymbolicLink()).toBe(true);
      expect(readdirSync(outside)).toEqual(['target']);
      await dir.rename('dir', 'dir2');
      expect(readFileSync(join(base, 'dir2', 'inside'), 'utf8')).toBe('I');
      await rejectsNative(dir.rename('missing', 'x'), 'ENOENT');
      await dir.close();
    });

    it('rename and renameNoReplace into another pinned directory', async () => {
      const base = await tempDir();
      const other = await tempDir();
      writeFileSync(join(base, 'a'), 'A');
      writeFileSync(join(base, 'b'), 'B');
      writeFileSync(join(other, 'taken'), 'taken');
      const dir = await open(base);
      const target = await open(other);
      await dir.rename('a', 'taken', { targetDir: target });
      expect(readFileSync(join(other, 'taken'), 'utf8')).toBe('A');
      const ino = statSync(join(base, 'b')).ino;
      await dir.renameNoReplace('b', 'fresh', { targetDir: target });
      expect(readFileSync(join(other, 'fresh'), 'utf8')).toBe('B');
      expect(statSync(join(other, 'fresh')).ino).toBe(ino);
      expect(readdirSync(base)).toEqual([]);
      writeFileSync(join(base, 'c'), 'C');
      await rejectsNative(dir.renameNoReplace('c', 'fresh', { targetDir: target }), 'EEXIST');
      expect(readFileSync(join(base, 'c'), 'utf8')).toBe('C');
      expect(readFileSync(join(other, 'fresh'), 'utf8')).toBe('B');
      await target.close();
      await rejectsWith(dir.rename('c', 'x', { targetDir: target }), 'ECLOSED');
      await rejectsWith(dir.renameNoReplace('c', 'x', { targetDir: target }), 'ECLOSED');
      expect(readdirSync(base)).toEqual(['c']);
      await dir.close();
    });

    it('renameNoReplace never replaces anything, a dangling symlink included', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      writeFileSync(join(base, 'src'), 'S');
      writeFileSync(join(base, 'dst'), 'D');
      symlinkSync(join(outside, 'created-through-link'), join(base, 'dangling'));
      const dir = await open(base);
      await rejectsNative(dir.renameNoReplace('src', 'dst'), 'EEXIST');
      await rejectsNative(dir.renameNoReplace('src', 'dangling'), 'EEXIST');
      expect(readFileSync(join(base, 'src'), 'utf8')).toBe('S');
      expect(readFileSync(join(base, 'dst'), 'utf8')).toBe('D');
      expect(readdirSync(outside)).toEqual([]);
      await dir.renameNoReplace('src', 'new');
      expect(existsSync(join(base, 'src'))).toBe(false);
      expect(readFileSync(join(base, 'new'), 'utf8')).toBe('S');
      expect(statSync(join(base, 'new')).nlink).toBe(1);
      await rejectsNative(dir.renameNoReplace('missing', 'x'), 'ENOENT');
      await dir.close();
    });
  });

  it('rename and renameNoReplace say which name is bad: the source or the target', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'ok'), 'ok');
    const dir = await openDir(base, { resolution });
    try {
      for (const method of ['rename', 'renameNoReplace'] as const) {
        expect((await rejectsWith(dir[method]('', 'x'), 'EBADNAME')).message).toContain('source');
        expect((await rejectsWith(dir[method]('ok', '.'), 'EBADNAME')).message).toContain('target');
      }
      expect(readdirSync(base)).toEqual(['ok']);
    } finally {
      await dir.close();
    }
  });
  // POSIX: a target ending in "/" names a directory, so a file cannot move there even when the
  // name is free (Linux and Go's os.Root say ENOTDIR); a directory can.
  it('a target ending in "/" takes a directory, and refuses a file or a symlink with ENOTDIR', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'F');
    mkdirSync(join(base, 'sub'));
    symlinkSync('sub', join(base, 'link'));
    expect(() => { renameSync(join(base, 'file'), join(base, 'free/')); }).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    const dir = await openDir(base, { resolution });
    try {
      for (const method of ['rename', 'renameNoReplace'] as const) {
        for (const source of ['file', 'link']) {
          const error = await rejectsWith(dir[method](source, 'free/'), 'ENOTDIR');
          expect(error.path).toBe(join(base, source));
          expect(error.message).toContain('ending in "/"');
        }
      }
      expect(readdirSync(base).sort()).toEqual(['file', 'link', 'sub']);
      expect(readFileSync(join(base, 'file'), 'utf8')).toBe('F');
      await dir.rename('sub', 'moved/');
      expect(statSync(join(base, 'moved')).isDirectory()).toBe(true);
      expect(readdirSync(base).sort()).toEqual(['file', 'link', 'moved']);
    } finally {
      await dir.close();
    }
  });
});

describe('verify resolution checks a rename target directory too', () => {
  const tempDir = useTempDirs();

  it('a target directory replaced at its path is refused before anything is moved', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'a'));
    mkdirSync(join(base, 'b'));
    writeFileSync(join(base, 'a', 'f'), 'payload');
    const a = await openDir(join(base, 'a'), { resolution: 'verify' });
    const b = await openDir(join(base, 'b'), { resolution: 'verify' });
    try {
      renameSync(join(base, 'b'), join(base, 'b-moved'));
      mkdirSync(join(base, 'b')); // an impostor at b's path
      for (const method of ['rename', 'renameNoReplace'] as const) {
        const error = await rejectsWith(a[method]('f', 'g', { targetDir: b }), 'EESCAPE');
        expect(error.path).toBe(join(base, 'b'));
        expect(error.message).toContain('replaced by another directory');
        expect(readdirSync(join(base, 'a'))).toEqual(['f']);
        expect(readdirSync(join(base, 'b'))).toEqual([]);
        expect(readdirSync(join(base, 'b-moved'))).toEqual([]);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a rename that takes the target directory away from its path is reported as EESCAPE', async () => {
    // The target was opened through a symlink (`lnk`) that lives in the source directory;
    // moving that symlink away leaves the target's path naming nothing.
    const base = await tempDir();
    mkdirSync(join(base, 'real', 'd'), { recursive: true });
    symlinkSync(join(base, 'real'), join(base, 'lnk'));
    const source = await openDir(base, { resolution: 'verify' });
    const target = await openDir(join(base, 'lnk', 'd'), { resolution: 'verify' });
    try {
      const error = await rejectsWith(source.rename('lnk', 'moved-link', { targetDir: target }), 'EESCAPE');
      expect(error.path).toBe(join(base, 'lnk', 'd'));
      expect(error.message).toContain('gone from its path');
      // The rename itself happened: the symlink is now inside the target.
      expect(lstatSync(join(base, 'real', 'd', 'moved-link')).isSymbolicLink()).toBe(true);
      expect(existsSync(join(base, 'lnk'))).toBe(false);
    } finally {
      await source.close();
      await target.close();
    }
  });
});
