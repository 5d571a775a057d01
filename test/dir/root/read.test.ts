// Reading through a root: readFile / readFileSync (no-follow, bounded, regular files only) and openFile.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, type OpenDirOptions, type SafeDir } from '../../../src/index.js';
import { descriptorsInto, MODES, rejectsNative, rejectsSync, rejectsWith } from '../harness.js';
import { useTempDirs } from '../../support/tmp.js';

/** A TypeError whose message starts with the argument it refuses. */
const typeErrorNaming = (argument: string): Error =>
  expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(new RegExp(`^${argument} `)) as string }) as Error;

describe.each(MODES)('readFile (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

  describe('readFile / readFileSync', () => {
    it('reads regular files with a maxBytes bound that is inclusive', async () => {
      const base = await tempDir();
      writeFileSync(join(base, 'ten'), '0123456789');
      writeFileSync(join(base, 'empty'), '');
      const dir = await open(base);
      expect((await dir.readFile('ten', { maxBytes: 10 })).toString()).toBe('0123456789');
      expect(dir.readFileSync('ten', { maxBytes: 10 }).toString()).toBe('0123456789');
      const big = await rejectsWith(dir.readFile('ten', { maxBytes: 9 }), 'ETOOBIG');
      expect(big.path).toBe(join(base, 'ten'));
      expect(rejectsSync(() => dir.readFileSync('ten', { maxBytes: 9 })).code).toBe('ETOOBIG');
      expect((await dir.readFile('empty', { maxBytes: 0 })).length).toBe(0);
      expect(dir.readFileSync('empty', { maxBytes: 0 }).length).toBe(0);
      await rejectsWith(dir.readFile('ten', { maxBytes: 0 }), 'ETOOBIG');
      await expect(dir.readFile('ten', { maxBytes: 1.5 })).rejects.toThrow(typeErrorNaming('maxBytes'));
      expect(() => dir.readFileSync('ten', { maxBytes: Number.NaN })).toThrow(typeErrorNaming('maxBytes'));
      await expect(dir.readFile('ten', { maxBytes: -1 })).rejects.toThrow(typeErrorNaming('maxBytes'));
      await dir.close();
    });

    it('a file that is longer than fstat said (procfs reports size 0) is read whole, and bounded by what is read', async () => {
      const proc = `/proc/${process.pid}`;
      const expected = readFileSync(join(proc, 'cmdline'));
      expect(statSync(join(proc, 'cmdline')).size).toBe(0); // the premise: fstat under-reports
      const dir = await open(proc);
      expect((await dir.readFile('cmdline')).equals(expected)).toBe(true);
      expect(dir.readFileSync('cmdline').equals(expected)).toBe(true);
      expect((await dir.readFile('cmdline', { maxBytes: expected.length })).equals(expected)).toBe(true);
      for (const maxBytes of [0, 1, expected.length - 1]) {
        await rejectsWith(dir.readFile('cmdline', { maxBytes }), 'ETOOBIG');
        expect(rejectsSync(() => dir.readFileSync('cmdline', { maxBytes })).code).toBe('ETOOBIG');
      }
      await dir.close();
    });

    it('refuses symlinks (to a file, to a directory, dangling) with ESYMLINK, never reading the target', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      writeFileSync(join(outside, 'secret'), 'SECRET');
      symlinkSync(join(outside, 'secret'), join(base, 'to-file'));
      symlinkSync(outside, join(base, 'to-dir'));
      symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
      const dir = await open(base);
      for (const name of ['to-file', 'to-dir', 'dangling']) {
        const error = await rejectsWith(dir.readFile(name), 'ESYMLINK');
        expect(error.path).toBe(join(base, name));
        expect(rejectsSync(() => dir.readFileSync(name)).code).toBe('ESYMLINK');
      }
      await dir.close();
    });

    it('refuses a FIFO and a directory with EINSECURE without blocking, and releases the descriptor', async () => {
      const base = await tempDir();
      execFileSync('mkfifo', [join(base, 'fifo')]);
      mkdirSync(join(base, 'sub'));
      const dir = await open(base);
      const before = descriptorsInto(base);
      for (const name of ['fifo', 'sub']) {
        expect((await rejectsWith(dir.readFile(name), 'EINSECURE')).path).toBe(join(base, name));
        expect(rejectsSync(() => dir.readFileSync(name)).code).toBe('EINSECURE');
      }
      expect(descriptorsInto(base)).toEqual(before);
      expect(lstatSync(join(base, 'fifo')).isFIFO()).toBe(true);
      await dir.close();
    });
  });
});

describe.each(MODES)('openFile (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

  describe('openFile', () => {
    it('opens regular files read-only or read-write and refuses everything else', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      writeFileSync(join(base, 'f'), 'content');
      writeFileSync(join(outside, 'secret'), 'SECRET');
      symlinkSync(join(outside, 'secret'), join(base, 'link'));
      mkdirSync(join(base, 'd'));
      execFileSync('mkfifo', [join(base, 'fifo')]);
      const dir = await open(base);
      const readOnly = await dir.openFile('f');
      expect((await readOnly.readFile()).toString()).toBe('content');
      await expect(readOnly.write('x')).rejects.toMatchObject({ code: 'EBADF' });
      await readOnly.close();
      const readWrite = await dir.openFile('f', { write: true });
      await readWrite.write('C', 0);
      await readWrite.close();
      expect(readFileSync(join(base, 'f'), 'utf8')).toBe('Content');
      const before = descriptorsInto(base);
      await rejectsWith(dir.openFile('link', { write: true }), 'ESYMLINK');
      await rejectsWith(dir.openFile('d'), 'EINSECURE');
      await rejectsWith(dir.openFile('fifo'), 'EINSECURE');
      await rejectsWith(dir.openFile('fifo', { write: true }), 'EINSECURE');
      expect(descriptorsInto(base)).toEqual(before); // refused handles are closed
      expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('SECRET');
      await rejectsNative(dir.openFile('missing'), 'ENOENT');
      await dir.close();
    });
  });

  it('openFile refuses a directory as "not a regular file" with the path of the name', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'sub'));
    const dir = await openDir(base, { resolution });
    try {
      const error = await rejectsWith(dir.openFile('sub'), 'EINSECURE');
      expect(error.path).toBe(join(base, 'sub'));
      expect(error.message).toContain('not a regular file');
      expect(descriptorsInto(base)).toEqual([base]); // only the directory handle itself
    } finally {
      await dir.close();
    }
  });
});
