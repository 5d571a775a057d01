// Each SafeDir method, each error code it can raise, in both resolution modes.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardfsError, isTempFileName, openDir, type OpenDirOptions, type SafeDir } from '../../../src/index.js';
import { useTempDirs } from '../../support/tmp.js';
import { MODES, descriptorsInto, modeOf, rejectsNative, rejectsWith, snapshot } from '../harness.js';

// Paths no name-taking method accepts, with the refusal each gets: the directory itself
// (EBADNAME: there is no entry to act on), an escape (EESCAPE), a NUL (EBADNAME).
const BAD_NAMES: Array<[string, 'EBADNAME' | 'EESCAPE']> = [
  ['', 'EBADNAME'],
  ['.', 'EBADNAME'],
  ['a/..', 'EBADNAME'],
  ['./', 'EBADNAME'],
  ['..', 'EESCAPE'],
  ['../x', 'EESCAPE'],
  ['a/../..', 'EESCAPE'],
  ['/', 'EESCAPE'],
  ['/a', 'EESCAPE'],
  ['a\0b', 'EBADNAME'],
  ['\0', 'EBADNAME'],
];

describe.each(MODES)('SafeDir methods (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

  describe('openDir', () => {
    it('ESYMLINK (any spelling), ENOTDIR, EINSECURE, EBADNAME, native ENOENT; refusals keep no descriptor', async () => {
      const base = await tempDir();
      const real = join(base, 'real');
      mkdirSync(real, { mode: 0o700 });
      symlinkSync(real, join(base, 'link'));
      symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
      writeFileSync(join(base, 'file'), 'x');
      for (const spelled of ['link', 'link/', 'link//', 'link/.', 'dangling', 'dangling/']) {
        const error = await rejectsWith(open(`${base}/${spelled}`), 'ESYMLINK');
        expect(error.path).toBe(join(base, spelled.split('/')[0] ?? ''));
      }
      expect((await rejectsWith(open(join(base, 'file')), 'ENOTDIR')).path).toBe(join(base, 'file'));
      await rejectsWith(open(''), 'EBADNAME');
      const nul = await rejectsWith(open(`${base}/a\0b`), 'EBADNAME');
      expect(nul.path).not.toContain('\0');
      await rejectsWith(open(undefined as unknown as string), 'EBADNAME');
      await rejectsNative(open(join(base, 'missing')), 'ENOENT');
      await rejectsWith(open(join(base, 'file', 'below')), 'ENOTDIR'); // a file above: typed too
      for (const mode of [0o770, 0o720, 0o707, 0o702, 0o777]) {
        chmodSync(real, mode);
        expect((await rejectsWith(open(real), 'EINSECURE')).path).toBe(real);
      }
      chmodSync(real, 0o1777);
      await (await open(real)).close();
      chmodSync(real, 0o777);
      await (await open(real, { allowGroupWritable: true, allowWorldWritable: true })).close();
      chmodSync(real, 0o700);
      chownSync(real, 65534, 65534);
      await rejectsWith(open(real), 'EINSECURE');
      const foreign = await open(real, { allowOtherOwner: true });
      expect(foreign.resolution).toBe(resolution);
      await foreign.close();
      expect(descriptorsInto(base)).toEqual([]);
    });
  });

  describe('names', () => {
    it('every method refuses the root itself and NUL (EBADNAME) and escapes (EESCAPE); the filesystem is left as it was', async () => {
      const base = await tempDir();
      // Make every bad name meaningful if it ever reached a syscall: 'a/b' and 'a\b' exist.
      mkdirSync(join(base, 'a'));
      writeFileSync(join(base, 'a', 'b'), 'nested');
      writeFileSync(join(base, 'a\\b'), 'backslash');
      writeFileSync(join(base, 'ok'), 'ok');
      const before = snapshot(base);
      const dir = await open(base);
      // The fixture is real: the same targets are reachable through legal names.
      expect(readFileSync(join(base, 'a\\b'), 'utf8')).toBe('backslash');
      const sub = await dir.openSubdir('a');
      expect((await sub.readFile('b')).toString()).toBe('nested');
      await sub.close();

      for (const [name, code] of BAD_NAMES) {
        const calls: Array<[string, () => unknown]> = [
          ['writeFileAtomic', () => dir.writeFileAtomic(name, 'x')],
          ['readFile', () => dir.readFile(name)],
          ['readFileSync', () => dir.readFileSync(name)],
          ['unlinkSync', () => { dir.unlinkSync(name); }],
          ['openFile', () => dir.openFile(name, { write: true })],
          ['createFileExclusive', () => dir.createFileExclusive(name, 'x')],
          ['rename from', () => dir.rename(name, 'renamed')],
          ['rename to', () => dir.rename('ok', name)],
          ['renameNoReplace from', () => dir.renameNoReplace(name, 'renamed')],
          ['renameNoReplace to', () => dir.renameNoReplace('ok', name)],
          ['unlink', () => dir.unlink(name)],
          ['rmdir', () => dir.rmdir(name)],
          ['removeTree', () => dir.removeTree(name)],
        ];
        // stat and openSubdir accept the directory itself; they still refuse escapes and NUL.
        if (code === 'EESCAPE' || name.includes('\0')) {
          calls.push(['stat', () => dir.stat(name)], ['openSubdir', () => dir.openSubdir(name, { create: true })]);
        }
        for (const [method, call] of calls) {
          const error = await rejectsWith(call, code).catch((failure: unknown) => {
            throw new Error(`${method}(${JSON.stringify(name)}): ${String(failure)}`);
          });
          // A NUL never appears raw in the reported path (it would truncate C strings and logs).
          if (error.path !== undefined) expect(error.path).not.toContain('\0');
        }
      }
      const nul = await rejectsWith(dir.readFile('a\0b'), 'EBADNAME');
      expect(nul.path).toBe(join(base, 'a\\0b')); // the caller path, NUL spelled \0
      expect(snapshot(base)).toEqual(before);
      await dir.close();
    });

    it('a non-string name is EBADNAME, not a crash inside node:fs', async () => {
      const base = await tempDir();
      const dir = await open(base);
      await rejectsWith(dir.readFile(42 as unknown as string), 'EBADNAME');
      await rejectsWith(dir.writeFileAtomic(undefined as unknown as string, 'x'), 'EBADNAME');
      expect(readdirSync(base)).toEqual([]);
      await dir.close();
    });
  });

  describe('writeFileAtomic', () => {
    it('creates and replaces with exact modes, any payload type, and leaves no temp file', async () => {
      const base = await tempDir();
      const dir = await open(base);
      await dir.writeFileAtomic('f', 'one');
      const firstIno = statSync(join(base, 'f')).ino;
      await dir.writeFileAtomic('f', 'two');
      expect(readFileSync(join(base, 'f'), 'utf8')).toBe('two');
      // replaced by rename, not rewritten in place
      expect(statSync(join(base, 'f')).ino).not.toBe(firstIno);
      expect(modeOf(join(base, 'f'))).toBe(0o600);
      await dir.writeFileAtomic('empty', '');
      expect(readFileSync(join(base, 'empty'), 'utf8')).toBe('');
      await dir.writeFileAtomic('bytes', new Uint8Array([0, 255, 10]), { mode: 0o644, fsync: false });
      expect([...readFileSync(join(base, 'bytes'))]).toEqual([0, 255, 10]);
      expect(modeOf(join(base, 'bytes'))).toBe(0o644);
      await dir.writeFileAtomic('unicode', 'é—😀', { syncDirectory: false });
      expect(readFileSync(join(base, 'unicode'), 'utf8')).toBe('é—😀');
      // replacing an existing file with a narrower mode narrows it (the old inode is not reused)
      await dir.writeFileAtomic('bytes', 'x', { mode: 0o400 });
      expect(modeOf(join(base, 'bytes'))).toBe(0o400);
      expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
      expect(readdirSync(base).sort()).toEqual(['bytes', 'empty', 'f', 'unicode']);
      await dir.close();
    });
  });

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
      await expect(dir.readFile('ten', { maxBytes: 1.5 })).rejects.toThrow(TypeError);
      expect(() => dir.readFileSync('ten', { maxBytes: Number.NaN })).toThrow(TypeError);
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

  describe('createFileExclusive', () => {
    it('creates with the data and the exact mode, returns an open handle, and refuses any existing name', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      writeFileSync(join(base, 'existing'), 'keep');
      writeFileSync(join(outside, 'victim'), 'victim');
      mkdirSync(join(base, 'dir'));
      symlinkSync(join(outside, 'victim'), join(base, 'to-victim'));
      symlinkSync(join(outside, 'would-be-created'), join(base, 'dangling'));
      const dir = await open(base);
      const previous = process.umask(0o077);
      let handle;
      try {
        handle = await dir.createFileExclusive('new', 'record', { mode: 0o640 });
      } finally {
        process.umask(previous);
      }
      expect(modeOf(join(base, 'new'))).toBe(0o640);
      await handle.write(' more'); // positioned after the data, still open for writing
      await handle.close();
      expect(readFileSync(join(base, 'new'), 'utf8')).toBe('record more');
      const unsynced = await dir.createFileExclusive('unsynced', new Uint8Array([1, 2]), { fsync: false });
      await unsynced.close();
      expect([...readFileSync(join(base, 'unsynced'))]).toEqual([1, 2]);
      expect(modeOf(join(base, 'unsynced'))).toBe(0o600);

      for (const name of ['existing', 'dir', 'to-victim', 'dangling', 'new']) {
        await rejectsNative(dir.createFileExclusive(name, 'overwrite'), 'EEXIST');
      }
      expect(readFileSync(join(base, 'existing'), 'utf8')).toBe('keep');
      expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('victim');
      expect(existsSync(join(outside, 'would-be-created'))).toBe(false);
      expect(lstatSync(join(base, 'dangling')).isSymbolicLink()).toBe(true);
      await expect(dir.createFileExclusive('bad-mode', 'x', { mode: -1 })).rejects.toThrow(TypeError);
      expect(existsSync(join(base, 'bad-mode'))).toBe(false);
      await dir.close();
    });

    it('createFileExclusiveSync: same refusals, exact mode, and a raw descriptor the caller closes', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      writeFileSync(join(base, 'existing'), 'keep');
      writeFileSync(join(outside, 'victim'), 'victim');
      mkdirSync(join(base, 'dir'));
      symlinkSync(join(outside, 'victim'), join(base, 'to-victim'));
      symlinkSync(join(outside, 'would-be-created'), join(base, 'dangling'));
      const dir = await open(base);
      const previous = process.umask(0o077);
      let fd: number;
      try {
        fd = dir.createFileExclusiveSync('new', 'record', { mode: 0o640 });
      } finally {
        process.umask(previous);
      }
      expect(modeOf(join(base, 'new'))).toBe(0o640);
      writeSync(fd, ' more'); // positioned after the data, still open for writing
      closeSync(fd);
      expect(readFileSync(join(base, 'new'), 'utf8')).toBe('record more');
      closeSync(dir.createFileExclusiveSync('bytes', new Uint8Array([1, 2])));
      expect([...readFileSync(join(base, 'bytes'))]).toEqual([1, 2]);
      expect(modeOf(join(base, 'bytes'))).toBe(0o600);
      for (const name of ['existing', 'dir', 'to-victim', 'dangling', 'new']) {
        expect(() => dir.createFileExclusiveSync(name, 'overwrite')).toThrow(expect.objectContaining({ code: 'EEXIST' }) as Error);
      }
      expect(readFileSync(join(base, 'existing'), 'utf8')).toBe('keep');
      expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('victim');
      expect(existsSync(join(outside, 'would-be-created'))).toBe(false);
      expect(() => dir.createFileExclusiveSync('bad-mode', 'x', { mode: -1 })).toThrow(TypeError);
      expect(() => dir.createFileExclusiveSync('bad-data', 42 as unknown as string)).toThrow(TypeError);
      expect(() => dir.createFileExclusiveSync('../escape', 'x')).toThrow(expect.objectContaining({ code: 'EESCAPE' }) as Error);
      expect(existsSync(join(base, 'bad-mode'))).toBe(false);
      await dir.close();
      expect(() => dir.createFileExclusiveSync('after-close', 'x')).toThrow(expect.objectContaining({ code: 'ECLOSED' }) as Error);
    });

    it('writeFileAtomic with exactMode: false lets the umask narrow the mode, never widen it', async () => {
      const dir = await open(await tempDir());
      const previous = process.umask(0o277);
      try {
        await dir.writeFileAtomic('narrowed', 'x', { mode: 0o640, exactMode: false });
        await dir.writeFileAtomic('exact', 'x', { mode: 0o640 });
        process.umask(0);
        await dir.writeFileAtomic('umask-zero', 'x', { exactMode: false });
        await dir.writeFileAtomic('wide-request', 'x', { mode: 0o600, exactMode: false, fsync: false });
      } finally {
        process.umask(previous);
      }
      expect(modeOf(join(dir.path, 'narrowed'))).toBe(0o400);
      expect(modeOf(join(dir.path, 'exact'))).toBe(0o640);
      expect(modeOf(join(dir.path, 'umask-zero'))).toBe(0o600);
      expect(modeOf(join(dir.path, 'wide-request'))).toBe(0o600);
      expect(readFileSync(join(dir.path, 'narrowed'), 'utf8')).toBe('x');
      await dir.close();
    });

    it('exactMode: false lets the umask narrow the mode, never widen it', async () => {
      const dir = await open(await tempDir());
      const previous = process.umask(0o277);
      try {
        await (await dir.createFileExclusive('narrowed', 'x', { mode: 0o640, exactMode: false })).close();
        await (await dir.createFileExclusive('exact', 'x', { mode: 0o640 })).close();
      } finally {
        process.umask(previous);
      }
      expect(modeOf(join(dir.path, 'narrowed'))).toBe(0o400);
      expect(modeOf(join(dir.path, 'exact'))).toBe(0o640);
      process.umask(0);
      try {
        await (await dir.createFileExclusive('umask-zero', 'x', { mode: 0o600, exactMode: false })).close();
      } finally {
        process.umask(previous);
      }
      expect(modeOf(join(dir.path, 'umask-zero'))).toBe(0o600);
      await dir.close();
    });
  });

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

  describe('list / entries / stat / statSelf', () => {
    it('lists names once each, types symlinks as symlinks, and stat is lstat', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      writeFileSync(join(outside, 'target'), 'a much longer target file');
      writeFileSync(join(base, 'file'), 'xyz');
      mkdirSync(join(base, 'dir'));
      symlinkSync(join(outside, 'target'), join(base, 'to-file'));
      symlinkSync(outside, join(base, 'to-dir'));
      symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
      execFileSync('mkfifo', [join(base, 'fifo')]);
      const dir = await open(base);
      const names = ['dangling', 'dir', 'fifo', 'file', 'to-dir', 'to-file'];
      expect((await dir.list()).sort()).toEqual(names);
      const entries = await dir.entries();
      expect(entries.map((entry) => entry.name).sort()).toEqual(names);
      expect(Object.fromEntries(entries.map((entry) => [entry.name, entry.type]))).toEqual({
        dangling: 'symlink',
        dir: 'directory',
        fifo: 'other',
        file: 'file',
        'to-dir': 'symlink',
        'to-file': 'symlink',
      });
      const link = await dir.stat('to-file');
      expect(link.isSymbolicLink()).toBe(true);
      expect(link.ino).toBe(lstatSync(join(base, 'to-file')).ino);
      expect(link.ino).not.toBe(statSync(join(outside, 'target')).ino);
      expect((await dir.stat('dangling')).isSymbolicLink()).toBe(true);
      expect((await dir.stat('file')).size).toBe(3);
      expect((await dir.stat('dir')).isDirectory()).toBe(true);
      await rejectsNative(dir.stat('missing'), 'ENOENT');
      const self = await dir.statSelf();
      expect(BigInt(self.ino)).toBe(dir.identity.ino);
      const empty = await dir.openSubdir('dir');
      expect(await empty.list()).toEqual([]);
      expect(await empty.entries()).toEqual([]);
      await empty.close();
      await dir.close();
    });
  });

  describe('openSubdir', () => {
    it('creates with the exact mode whatever the umask, and opens existing ones as they are', async () => {
      const base = await tempDir();
      const dir = await open(base);
      for (const umask of [0o077, 0o022, 0]) {
        const previous = process.umask(umask);
        try {
          for (const mode of [0o700, 0o750, 0o711, 0o755]) {
            const name = `m${mode.toString(8)}-u${umask.toString(8)}`;
            const sub = await dir.openSubdir(name, { create: true, mode });
            expect(modeOf(join(base, name))).toBe(mode);
            await sub.close();
          }
          const name = `default-u${umask.toString(8)}`;
          await (await dir.openSubdir(name, { create: true })).close();
          expect(modeOf(join(base, name))).toBe(0o700);
        } finally {
          process.umask(previous);
        }
      }
      mkdirSync(join(base, 'existing'), { mode: 0o755 });
      chmodSync(join(base, 'existing'), 0o755);
      await (await dir.openSubdir('existing', { create: true, mode: 0o700 })).close();
      expect(modeOf(join(base, 'existing'))).toBe(0o755);
      await rejectsNative(dir.openSubdir('missing'), 'ENOENT');
      expect(existsSync(join(base, 'missing'))).toBe(false);
      await dir.close();
    });

    it('refuses a symlink (never creating through it), a file, and an insecure directory unless relaxed', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      symlinkSync(outside, join(base, 'link'));
      symlinkSync(join(outside, 'would-be-created'), join(base, 'dangling'));
      writeFileSync(join(base, 'file'), 'f');
      mkdirSync(join(base, 'group'));
      chmodSync(join(base, 'group'), 0o770);
      mkdirSync(join(base, 'world'));
      chmodSync(join(base, 'world'), 0o707);
      mkdirSync(join(base, 'foreign'));
      chownSync(join(base, 'foreign'), 65534, 65534);
      const dir = await open(base);
      const before = descriptorsInto(base);
      expect((await rejectsWith(dir.openSubdir('link'), 'ESYMLINK')).path).toBe(join(base, 'link'));
      await rejectsWith(dir.openSubdir('link', { create: true }), 'ESYMLINK');
      await rejectsWith(dir.openSubdir('dangling', { create: true }), 'ESYMLINK');
      expect(existsSync(join(outside, 'would-be-created'))).toBe(false);
      expect((await rejectsWith(dir.openSubdir('file'), 'ENOTDIR')).path).toBe(join(base, 'file'));
      await rejectsWith(dir.openSubdir('group'), 'EINSECURE');
      await rejectsWith(dir.openSubdir('world'), 'EINSECURE');
      await rejectsWith(dir.openSubdir('foreign'), 'EINSECURE');
      await rejectsWith(dir.openSubdir('group', { allowWorldWritable: true }), 'EINSECURE');
      await rejectsWith(dir.openSubdir('world', { allowGroupWritable: true }), 'EINSECURE');
      expect(descriptorsInto(base)).toEqual(before); // refused directories are not left open
      await (await dir.openSubdir('group', { allowGroupWritable: true })).close();
      await (await dir.openSubdir('world', { allowWorldWritable: true })).close();
      await (await dir.openSubdir('foreign', { allowOtherOwner: true })).close();
      expect(readdirSync(outside)).toEqual([]);
      await dir.close();
    });

    it('inherits the resolution mode and the parent policy, and outlives the parent handle', async () => {
      const base = await tempDir();
      mkdirSync(join(base, 'shared'));
      chmodSync(join(base, 'shared'), 0o770);
      mkdirSync(join(base, 'shared', 'deeper'));
      chmodSync(join(base, 'shared', 'deeper'), 0o770);
      const dir = await open(base, { allowGroupWritable: true });
      const sub = await dir.openSubdir('shared');
      expect(sub.resolution).toBe(resolution);
      expect(sub.path).toBe(join(base, 'shared'));
      const deeper = await sub.openSubdir('deeper'); // policy carried down
      await rejectsWith(sub.openSubdir('deeper', { allowGroupWritable: false }), 'EINSECURE');
      await dir.close();
      await sub.writeFileAtomic('f', 'still works');
      await deeper.writeFileAtomic('g', 'also');
      expect(readFileSync(join(base, 'shared', 'f'), 'utf8')).toBe('still works');
      expect(readFileSync(join(base, 'shared', 'deeper', 'g'), 'utf8')).toBe('also');
      await deeper.close();
      await sub.close();
    });
  });

  describe('setMode / sync', () => {
    it('setMode changes the pinned directory exactly; sync resolves; bad modes are TypeErrors', async () => {
      const base = await tempDir();
      const path = join(base, 'd');
      mkdirSync(path, { mode: 0o700 });
      const dir = await open(path);
      for (const mode of [0o750, 0o711, 0o1777, 0o700]) {
        await dir.setMode(mode);
        expect(modeOf(path)).toBe(mode);
      }
      await dir.writeFileAtomic('f', 'x', { syncDirectory: false });
      await expect(dir.sync()).resolves.toBeUndefined();
      for (const bad of [-1, 0o10000, 1.5, Number.NaN]) await expect(dir.setMode(bad)).rejects.toThrow(TypeError);
      expect(modeOf(path)).toBe(0o700);
      await dir.close();
    });
  });

  describe('close', () => {
    it('waits for every operation already in flight before releasing the descriptor', async () => {
      const base = await tempDir();
      writeFileSync(join(base, 'r'), 'read me');
      const dir = await open(base);
      const order: string[] = [];
      const track = (label: string, promise: Promise<unknown>): Promise<void> =>
        promise.then(() => {
          order.push(label);
        });
      const inFlight = [
        ...Array.from({ length: 20 }, (_, i) => track(`write${i}`, dir.writeFileAtomic(`f${i}`, 'x'.repeat(1000 + i)))),
        track('read', dir.readFile('r')),
        track('list', dir.list()),
        track('stat', dir.stat('r')),
        track('sub', dir.openSubdir('sub', { create: true }).then((sub) => sub.close())),
        track('sync', dir.sync()),
      ];
      const closing = track('close', dir.close());
      expect(dir.closed).toBe(true);
      await Promise.all([...inFlight, closing]); // none of them rejects
      expect(order.at(-1)).toBe('close');
      expect(order).toHaveLength(inFlight.length + 1);
      expect(readdirSync(base).filter((name) => name.startsWith('f'))).toHaveLength(20);
      expect(descriptorsInto(base)).toEqual([]);
    });

    it('after close every method is ECLOSED, nothing is touched, and close is idempotent', async () => {
      const base = await tempDir();
      writeFileSync(join(base, 'f'), 'f');
      mkdirSync(join(base, 'sub'));
      mkdirSync(join(base, 'empty'));
      const other = await open(await tempDir());
      const dir = await open(base);
      expect(descriptorsInto(base)).toHaveLength(1);
      const before = snapshot(base);
      await dir.close();
      expect(descriptorsInto(base)).toEqual([]);
      const calls: Array<[string, () => unknown]> = [
        ['writeFileAtomic', () => dir.writeFileAtomic('f', 'x')],
        ['readFile', () => dir.readFile('f')],
        ['readFileSync', () => dir.readFileSync('f')],
        ['unlinkSync', () => { dir.unlinkSync('f'); }],
        ['openFile', () => dir.openFile('f')],
        ['createFileExclusive', () => dir.createFileExclusive('new', 'x')],
        ['rename', () => dir.rename('f', 'g')],
        ['rename into', () => other.rename('x', 'y', { targetDir: dir })],
        ['renameNoReplace', () => dir.renameNoReplace('f', 'g')],
        ['unlink', () => dir.unlink('f')],
        ['rmdir', () => dir.rmdir('empty')],
        ['removeTree', () => dir.removeTree('sub')],
        ['list', () => dir.list()],
        ['entries', () => dir.entries()],
        ['stat', () => dir.stat('f')],
        ['statSelf', () => dir.statSelf()],
        ['setMode', () => dir.setMode(0o755)],
        ['openSubdir', () => dir.openSubdir('sub')],
        ['sync', () => dir.sync()],
      ];
      for (const [method, call] of calls) {
        const error = await rejectsWith(call, 'ECLOSED').catch((failure: unknown) => {
          throw new Error(`${method}: ${String(failure)}`);
        });
        expect(error).toBeInstanceOf(HardfsError);
      }
      await dir.close();
      await Promise.all([dir.close(), dir.close()]);
      expect(dir.closed).toBe(true);
      expect(dir.path).toBe(base);
      expect(snapshot(base)).toEqual(before);
      await other.close();
    });
  });
});

function rejectsSync(action: () => unknown): HardfsError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(HardfsError);
    return error as HardfsError;
  }
  throw new Error('expected a HardfsError, nothing was thrown');
}

function rejectsNativeSync(action: () => unknown): NodeJS.ErrnoException {
  try {
    action();
  } catch (error) {
    expect(error).not.toBeInstanceOf(HardfsError);
    return error as NodeJS.ErrnoException;
  }
  throw new Error('expected a native error, nothing was thrown');
}
