// Relative paths through a root: `/`-separated components walked from the pinned descriptor,
// `.` and empty skipped, `..` popped within the walk and EESCAPE above the root, absolute
// paths EESCAPE, NUL EBADNAME; every descriptor the walk opens is closed on every path.
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, type SymlinkPolicy } from '../../../src/index.js';
import { caught, useTempDirs } from '../../support/tmp.js';
import { MODES, descriptorsInto, rejectsWith, snapshot } from '../harness.js';

const POLICIES: SymlinkPolicy[] = ['refuse', 'follow-within'];

describe.each(MODES.flatMap((resolution) => POLICIES.map((symlinks) => ({ resolution, symlinks }))))(
  'relative paths ($resolution resolution, symlinks: $symlinks)',
  ({ resolution, symlinks }) => {
    const tempDir = useTempDirs();
    const open = (path: string) => openDir(path, { resolution, symlinks });

    it('reads, writes, lists and removes at depth 3; `.`, empty components and `..` within the walk', async () => {
      const base = await tempDir();
      mkdirSync(join(base, 'a', 'b', 'c'), { recursive: true });
      const dir = await open(base);
      await dir.writeFile('a/b/c/x.json', '{"x":1}');
      expect(readFileSync(join(base, 'a/b/c/x.json'), 'utf8')).toBe('{"x":1}');
      for (const spelling of ['a/b/c/x.json', './a//b/./c/x.json', 'a/b/../b/c/x.json', 'a/b/c/../../b/c/x.json', 'a/b/c/x.json/'.slice(0, -1)]) {
        expect(await dir.readFile(spelling, 'utf8')).toBe('{"x":1}');
      }
      expect(await dir.readdir('a/b/c')).toEqual(['x.json']);
      expect(await dir.readdir('a/b/c/..')).toEqual(['c']);
      expect((await dir.stat('a/b/c/x.json')).size).toBe(7);
      await dir.rename('a/b/c/x.json', 'a/y.json');
      expect(readdirSync(join(base, 'a')).sort()).toEqual(['b', 'y.json']);
      await dir.unlink('a/y.json');
      await dir.rmdir('a/b/c');
      expect(readdirSync(join(base, 'a', 'b'))).toEqual([]);
      await dir.close();
      expect(descriptorsInto(base)).toEqual([]); // the root's own, and no walk's, is left
    });

    it('`..` above the root, absolute paths (EESCAPE) and NUL (EBADNAME) change nothing and keep no descriptor', async () => {
      const base = await tempDir();
      mkdirSync(join(base, 'root', 'a'), { recursive: true });
      writeFileSync(join(base, 'secret'), 'outside');
      const before = snapshot(base);
      const dir = await open(join(base, 'root'));
      for (const path of ['..', '../secret', 'a/../../secret', 'a/../a/../../secret', '/etc/passwd', join(base, 'secret')]) {
        const read = await rejectsWith(dir.readFile(path), 'EESCAPE');
        expect(read.op).toBe('readFile');
        await rejectsWith(dir.writeFile(path, 'x'), 'EESCAPE');
        await rejectsWith(dir.unlink(path), 'EESCAPE');
        await rejectsWith(dir.stat(path), 'EESCAPE');
        await rejectsWith(dir.rm(path, { recursive: true, force: true }), 'EESCAPE');
        await rejectsWith(dir.mkdir(path, { recursive: true }), 'EESCAPE');
      }
      const nul = await rejectsWith(dir.readFile('a/x\0y'), 'EBADNAME');
      expect(nul.path).toBe(join(base, 'root', 'a/x\\0y'));
      expect(snapshot(base)).toEqual(before);
      await dir.close();
      expect(descriptorsInto(base)).toEqual([]); // the root's own, and no walk's, is left
    });

    it('a missing or non-directory intermediate: native ENOENT / typed ENOTDIR naming the caller path', async () => {
      const base = await tempDir();
      writeFileSync(join(base, 'file'), 'x');
      const dir = await open(base);
      const missing = await caught(dir.readFile('nope/x'));
      expect(missing.code).toBe('ENOENT');
      // err.path is the caller's path; the message names the component where the walk stopped.
      expect(missing.path).toBe(join(base, 'nope/x'));
      expect((missing as { op?: string }).op).toBe('readFile');
      expect(missing.message).not.toContain('/proc/self/fd');
      const notDir = await rejectsWith(dir.readFile('file/x'), 'ENOTDIR');
      expect(notDir.path).toBe(join(base, 'file/x'));
      expect(notDir.message).toContain('not a directory');
      expect(notDir.message.endsWith(`: ${join(base, 'file')}`), notDir.message).toBe(true); // where the walk stopped
      await dir.close();
      expect(descriptorsInto(base)).toEqual([]); // the root's own, and no walk's, is left
    });

    it('a symlinked intermediate directory is refused under refuse and followed under follow-within', async () => {
      const base = await tempDir();
      mkdirSync(join(base, 'real'));
      writeFileSync(join(base, 'real', 'f'), 'in');
      symlinkSync('real', join(base, 'link'));
      const dir = await open(base);
      if (symlinks === 'refuse') {
        const error = await rejectsWith(dir.readFile('link/f'), 'ESYMLINK');
        expect(error.path).toBe(join(base, 'link/f'));
        expect(error.message).toContain(`: ${join(base, 'link')}`);
      } else {
        expect(await dir.readFile('link/f', 'utf8')).toBe('in');
      }
      await dir.close();
      expect(descriptorsInto(base)).toEqual([]); // the root's own, and no walk's, is left
    });

    it('mkdirs creates missing parents with the exact mode, never through a symlink', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      symlinkSync(outside, join(base, 'out'));
      const dir = await open(base);
      const previous = process.umask(0o077);
      try {
        await dir.writeFile('p/q/r.json', 'x', { mkdirs: true });
      } finally {
        process.umask(previous);
      }
      expect(readFileSync(join(base, 'p/q/r.json'), 'utf8')).toBe('x');
      const refused = await caught(dir.writeFile('out/new/r.json', 'x', { mkdirs: true }));
      expect(refused.code).toBe(symlinks === 'refuse' ? 'ESYMLINK' : 'EESCAPE');
      expect(readdirSync(outside)).toEqual([]);
      await dir.close();
    });

    it('a path ending in "." names "." inside it: mkdir creates nothing (ENOENT / EEXIST as node), rename refuses it (EINVAL)', async () => {
      const base = await tempDir();
      mkdirSync(join(base, 'a'));
      const elsewhere = await tempDir();
      const dir = await open(base);
      for (const path of ['b/.', 'b/./', 'b/.//']) {
        // not join(): it would drop the "."
        const native = await caught(() => { mkdirSync(`${elsewhere}/${path}`); });
        expect(native.code).toBe('ENOENT'); // the kernel's answer: b is not created
        const refused = await caught(dir.mkdir(path));
        expect([refused.code, refused.path]).toEqual(['ENOENT', `${base}/${path}`]);
        expect(refused.message).toContain('mkdir');
      }
      const existing = await caught(dir.mkdir('a/.'));
      expect([existing.code, existing.path]).toEqual(['EEXIST', `${base}/a/.`]);
      for (const [from, to] of [['a', 'a/./'], ['a', 'a/.'], ['a/./', 'c']]) {
        const error = await caught(dir.rename(from as string, to as string));
        expect(error.code, `rename(${from}, ${to})`).toBe('EINVAL');
        expect(error.message).toContain('is not a name');
      }
      expect(readdirSync(base)).toEqual(['a']);
      // recursive mkdir of "c/." creates c, as node's does
      await dir.mkdir('c/.', { recursive: true });
      expect(readdirSync(base).sort()).toEqual(['a', 'c']);
      await dir.close();
    });
  },
);
