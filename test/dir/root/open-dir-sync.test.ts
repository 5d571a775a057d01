// openDirSync: the same root as openDir, by the same code, without awaiting — what a synchronous
// store read opens (openStoreSync). Every check of openDir holds: the symlink rule, the policy on
// the descriptor, the resolution asked for; and the synchronous methods a reader needs
// (readdirSync, readFileSync, lstatSync, existsSync, openRootSync, openFileSync) walk as their
// async twins do.
import { chmodSync, closeSync, fstatSync, mkdirSync, readSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, openDirSync, type SafeDir } from '../../../src/index.js';
import { descriptorsInto, MODES, outcome, rejectsNativeSync, rejectsSync } from '../harness.js';
import { useTempDirs } from '../../support/tmp.js';

/** A TypeError whose message starts with the argument it refuses. */
const typeErrorNaming = (argument: string): Error =>
  expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(new RegExp(`^${argument} `)) as string }) as Error;

describe('openDirSync', () => {
  const tempDir = useTempDirs();

  for (const resolution of MODES) {
    describe(`${resolution} resolution`, () => {
      it('pins the directory synchronously: identity, resolution, and the synchronous reads through it', async () => {
        const base = await tempDir();
        mkdirSync(join(base, 'sub'));
        writeFileSync(join(base, 'a.json'), '{"a":1}');
        writeFileSync(join(base, 'sub', 'b.json'), 'b');
        const dir = openDirSync(base, { resolution });
        try {
          expect(dir.resolution).toBe(resolution);
          expect(dir.path).toBe(base);
          const stats = statSync(base, { bigint: true });
          expect(dir.identity).toEqual({ dev: stats.dev, ino: stats.ino });
          expect(dir.readdirSync().sort()).toEqual(['a.json', 'sub']);
          const typed = dir.readdirSync('.', { withFileTypes: true }).map((entry) => [entry.name, entry.isDirectory()]);
          expect(typed.sort()).toEqual([['a.json', false], ['sub', true]]);
          expect(dir.readdirSync('sub')).toEqual(['b.json']);
          expect(dir.readFileSync('a.json', 'utf8')).toBe('{"a":1}');
          expect(dir.lstatSync('sub').isDirectory()).toBe(true);
          expect(dir.existsSync('sub/b.json')).toBe(true);
          expect(dir.existsSync('missing')).toBe(false);
          const sub = dir.openRootSync('sub');
          try {
            expect(sub.resolution).toBe(resolution);
            expect(sub.readFileSync('b.json', 'utf8')).toBe('b');
          } finally {
            await sub.close();
          }
        } finally {
          await dir.close();
        }
      });

      it('a symlink at the last component is ESYMLINK, synchronously, with the caller path and op', async () => {
        const base = await tempDir();
        mkdirSync(join(base, 'real'));
        symlinkSync(join(base, 'real'), join(base, 'link'));
        const error = rejectsSync(() => openDirSync(join(base, 'link'), { resolution }));
        expect(error.code).toBe('ESYMLINK');
        expect(error.path).toBe(join(base, 'link'));
        expect(error.op).toBe('openDirSync');
        expect(error.message).toContain('refusing a symlink');
        expect(descriptorsInto(join(base, 'real'))).toEqual([]);
      });

      it('the policy is judged on the descriptor: group-writable is EINSECURE (and closed), allowed when relaxed', async () => {
        const base = await tempDir();
        const shared = join(base, 'shared');
        mkdirSync(shared);
        chmodSync(shared, 0o770);
        const error = rejectsSync(() => openDirSync(shared, { resolution }));
        expect(error.code).toBe('EINSECURE');
        expect(error.path).toBe(shared);
        expect(error.message).toContain('group-writable');
        expect(descriptorsInto(shared)).toEqual([]);
        const relaxed = openDirSync(shared, { resolution, allowGroupWritable: true });
        await relaxed.close();
      });

      it('refuses a file (ENOTDIR); a missing path is the native ENOENT naming it', async () => {
        const base = await tempDir();
        writeFileSync(join(base, 'file'), 'x');
        expect(rejectsSync(() => openDirSync(join(base, 'file'), { resolution })).code).toBe('ENOTDIR');
        const missing = rejectsNativeSync(() => openDirSync(join(base, 'missing'), { resolution }));
        expect(missing.code).toBe('ENOENT');
        expect(missing.path).toBe(join(base, 'missing'));
      });

      it('readdirSync refuses a symlinked directory inside the root (ESYMLINK) and a file (ENOTDIR)', async () => {
        const base = await tempDir();
        mkdirSync(join(base, 'real'));
        writeFileSync(join(base, 'real', 'secret'), 's');
        symlinkSync(join(base, 'real'), join(base, 'link'));
        writeFileSync(join(base, 'file'), 'x');
        const dir = openDirSync(base, { resolution });
        try {
          const link = rejectsSync(() => dir.readdirSync('link'));
          expect(link.code).toBe('ESYMLINK');
          expect(link.path).toBe(join(base, 'link'));
          expect(rejectsSync(() => dir.readdirSync('file')).code).toBe('ENOTDIR');
          expect(rejectsSync(() => dir.readdirSync('../')).code).toBe('EESCAPE');
          expect(rejectsSync(() => dir.openRootSync('link')).code).toBe('ESYMLINK');
        } finally {
          await dir.close();
        }
      });

      it('openFileSync gives a descriptor of a regular file; a symlink is ESYMLINK, a FIFO EINSECURE (never a hang)', async () => {
        const base = await tempDir();
        writeFileSync(join(base, 'f'), 'hello');
        symlinkSync(join(base, 'f'), join(base, 'link'));
        execFileSync('mkfifo', [join(base, 'fifo')]);
        const dir = openDirSync(base, { resolution });
        try {
          const fd = dir.openFileSync('f');
          try {
            expect(fstatSync(fd).isFile()).toBe(true);
            const buffer = Buffer.alloc(5);
            expect(readSync(fd, buffer, 0, 5, 0)).toBe(5);
            expect(buffer.toString()).toBe('hello');
          } finally {
            closeSync(fd);
          }
          expect(rejectsSync(() => dir.openFileSync('link')).code).toBe('ESYMLINK');
          const fifo = rejectsSync(() => dir.openFileSync('fifo'));
          expect(fifo.code).toBe('EINSECURE');
          expect(fifo.path).toBe(join(base, 'fifo'));
        } finally {
          await dir.close();
        }
      });

      it('openRootSync with create makes the directory with the exact mode, never through a symlink', async () => {
        const base = await tempDir();
        const dir = openDirSync(base, { resolution });
        try {
          const made = dir.openRootSync('made', { create: true, mode: 0o700 });
          await made.close();
          expect(statSync(join(base, 'made')).mode & 0o7777).toBe(0o700);
          mkdirSync(join(base, 'elsewhere'));
          symlinkSync(join(base, 'elsewhere'), join(base, 'planted'));
          expect(rejectsSync(() => dir.openRootSync('planted', { create: true })).code).toBe('ESYMLINK');
        } finally {
          await dir.close();
        }
      });

      it('gives the same outcome as openDir for every kind of path', async () => {
        const base = await tempDir();
        mkdirSync(join(base, 'dir'));
        mkdirSync(join(base, 'open'));
        chmodSync(join(base, 'open'), 0o777);
        writeFileSync(join(base, 'file'), 'x');
        symlinkSync(join(base, 'dir'), join(base, 'link'));
        symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
        const paths = ['dir', 'dir/', 'open', 'file', 'link', 'link/', 'dangling', 'missing', ''].map((name) => (name === '' ? '' : join(base, name)));
        paths.push(`${base}/a\0b`);
        for (const path of paths) {
          const sync = await outcome(async () => openDirSync(path, { resolution }));
          const async = await outcome(() => openDir(path, { resolution }));
          expect({ path, sync }).toEqual({ path, sync: async });
        }
      });
    });
  }

  it('`resolution: "descriptor"` where /proc works gives descriptor resolution; bad options are TypeErrors', async () => {
    const base = await tempDir();
    const dir: SafeDir = openDirSync(base, { resolution: 'descriptor' });
    expect(dir.resolution).toBe('descriptor');
    await dir.close();
    expect(() => openDirSync(base, { resolution: 'sideways' as never })).toThrow(typeErrorNaming('resolution'));
    expect(() => openDirSync(base, { symlinks: 'sometimes' as never })).toThrow(typeErrorNaming('symlinks'));
  });
});
