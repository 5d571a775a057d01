import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardfsError, isTempFileName, openDir, type Resolution } from '../../../src/index.js';
import { caught, useTempDirs } from '../../support/tmp.js';

const MODES: Resolution[] = ['descriptor', 'verify'];

describe.each(MODES)('SafeDir (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = async (path: string) => openDir(path, { resolution });

  it('reports the resolution it uses and pins device+inode', async () => {
    const base = await tempDir();
    const dir = await open(base);
    expect(dir.resolution).toBe(resolution);
    const stats = statSync(base, { bigint: true });
    expect(dir.identity).toEqual({ dev: stats.dev, ino: stats.ino });
    await dir.close();
  });

  it('writes atomically with mode 0o600 and reads back; options fsync false and mode are honoured', async () => {
    const base = await tempDir();
    const dir = await open(base);
    await dir.writeFileAtomic('a.json', '{"a":1}');
    expect(readFileSync(join(base, 'a.json'), 'utf8')).toBe('{"a":1}');
    expect(statSync(join(base, 'a.json')).mode & 0o7777).toBe(0o600);
    await dir.writeFileAtomic('b.bin', Uint8Array.from([1, 2, 3]), { fsync: false, mode: 0o640 });
    expect([...readFileSync(join(base, 'b.bin'))]).toEqual([1, 2, 3]);
    expect(statSync(join(base, 'b.bin')).mode & 0o7777).toBe(0o640);
    expect((await dir.readFile('a.json')).toString()).toBe('{"a":1}');
    expect(dir.readFileSync('b.bin')).toEqual(Buffer.from([1, 2, 3]));
    const big = Buffer.alloc(1024 * 1024, 7); // over the inline limit: the thread-pool path
    await dir.writeFileAtomic('big', big);
    expect((await dir.readFile('big')).equals(big)).toBe(true);
    expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
    await expect(dir.writeFileAtomic('x', 'y', { mode: 0o10000 })).rejects.toThrow(TypeError);
    await expect(dir.writeFileAtomic('x', 42 as unknown as string)).rejects.toThrow(TypeError);
    await dir.close();
  });

  it('refuses escapes (EESCAPE), NUL and the directory itself (EBADNAME) before any syscall', async () => {
    const base = await tempDir();
    const dir = await open(base);
    const cases: Array<[string, string]> = [
      ['', 'EBADNAME'],
      ['.', 'EBADNAME'],
      ['a\0b', 'EBADNAME'],
      ['..', 'EESCAPE'],
      ['../x', 'EESCAPE'],
      ['/etc/passwd', 'EESCAPE'],
    ];
    for (const [name, code] of cases) {
      const error = await caught(dir.writeFileAtomic(name, 'x'));
      expect(error).toBeInstanceOf(HardfsError);
      expect(error.code).toBe(code);
      expect((await caught(dir.readFile(name))).code).toBe(code);
      expect((await caught(dir.unlink(name))).code).toBe(code);
    }
    // A missing intermediate directory is the native ENOENT, with the caller's path.
    const missing = await caught(dir.readFile('a/b'));
    expect(missing.code).toBe('ENOENT');
    expect(missing.path).toBe(join(base, 'a/b'));
    expect(readdirSync(base)).toEqual([]);
    await dir.close();
  });

  it('readFile: ESYMLINK for a symlink, EINSECURE for a FIFO (without hanging) and a directory, ETOOBIG past maxBytes', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    writeFileSync(join(outside, 'secret'), 'outside');
    symlinkSync(join(outside, 'secret'), join(base, 'link'));
    execFileSync('mkfifo', [join(base, 'fifo')]);
    mkdirSync(join(base, 'sub'));
    writeFileSync(join(base, 'ten'), '0123456789');
    const dir = await open(base);
    expect((await caught(dir.readFile('link'))).code).toBe('ESYMLINK');
    expect((await caught(() => dir.readFileSync('link'))).code).toBe('ESYMLINK');
    expect((await caught(dir.readFile('fifo'))).code).toBe('EINSECURE');
    expect((await caught(dir.readFile('sub'))).code).toBe('EINSECURE');
    const tooBig = await caught(dir.readFile('ten', { maxBytes: 9 }));
    expect(tooBig.code).toBe('ETOOBIG');
    expect(tooBig.path).toBe(join(base, 'ten'));
    expect((await dir.readFile('ten', { maxBytes: 10 })).toString()).toBe('0123456789');
    await expect(dir.readFile('ten', { maxBytes: -1 })).rejects.toThrow(TypeError);
    await dir.close();
  });

  it('native errors pass through unchanged (ENOENT is not a HardfsError)', async () => {
    const base = await tempDir();
    const dir = await open(base);
    const error = await caught(dir.readFile('missing'));
    expect(error).not.toBeInstanceOf(HardfsError);
    expect(error.code).toBe('ENOENT');
    expect((await caught(dir.unlink('missing'))).code).toBe('ENOENT');
    expect((await caught(dir.rename('missing', 'x'))).code).toBe('ENOENT');
    await dir.close();
  });

  it('a symlink or hardlink planted at the target name is replaced, never written through', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    writeFileSync(join(outside, 'victim'), 'original');
    writeFileSync(join(outside, 'hard'), 'hard original');
    symlinkSync(join(outside, 'victim'), join(base, 'target'));
    linkSync(join(outside, 'hard'), join(base, 'hardtarget'));
    expect(statSync(join(outside, 'hard')).nlink).toBe(2);
    const dir = await open(base);
    await dir.writeFileAtomic('target', 'new');
    await dir.writeFileAtomic('hardtarget', 'new hard');
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('original');
    expect(readFileSync(join(outside, 'hard'), 'utf8')).toBe('hard original');
    expect(statSync(join(outside, 'hard')).nlink).toBe(1);
    expect(lstatSync(join(base, 'target')).isFile()).toBe(true);
    expect(readFileSync(join(base, 'target'), 'utf8')).toBe('new');
    await dir.close();
  });

  it('openFile refuses non-regular files; createFileExclusive refuses any existing name, a dangling symlink included', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'f'), 'content');
    symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
    mkdirSync(join(base, 'd'));
    const dir = await open(base);
    const handle = await dir.openFile('f', { write: true });
    expect((await handle.readFile()).toString()).toBe('content');
    await handle.close();
    expect((await caught(dir.openFile('d'))).code).toBe('EINSECURE');
    expect((await caught(dir.openFile('dangling'))).code).toBe('ESYMLINK');
    const created = await dir.createFileExclusive('new', 'record', { mode: 0o600 });
    await created.close();
    expect(readFileSync(join(base, 'new'), 'utf8')).toBe('record');
    expect((await caught(dir.createFileExclusive('new', 'again'))).code).toBe('EEXIST');
    expect((await caught(dir.createFileExclusive('dangling', 'x'))).code).toBe('EEXIST');
    expect(existsSync(join(base, 'nowhere'))).toBe(false);
    await dir.close();
  });

  it('rename within the directory and into another pinned directory; renameNoReplace never overwrites', async () => {
    const base = await tempDir();
    const dir = await open(base);
    const sub = await dir.openSubdir('sub', { create: true });
    await dir.writeFileAtomic('a', 'A');
    await dir.rename('a', 'b');
    expect(readFileSync(join(base, 'b'), 'utf8')).toBe('A');
    await dir.rename('b', 'moved', { targetDir: sub });
    expect(readFileSync(join(base, 'sub', 'moved'), 'utf8')).toBe('A');
    await dir.writeFileAtomic('c', 'C');
    await dir.writeFileAtomic('d', 'D');
    expect((await caught(dir.renameNoReplace('c', 'd'))).code).toBe('EEXIST');
    expect(readFileSync(join(base, 'd'), 'utf8')).toBe('D');
    await dir.renameNoReplace('c', 'e');
    expect(existsSync(join(base, 'c'))).toBe(false);
    expect(readFileSync(join(base, 'e'), 'utf8')).toBe('C');
    await sub.close();
    await dir.close();
  });

  it('unlink of a symlink removes the link only; removeTree never follows symlinks out', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    writeFileSync(join(outside, 'keep'), 'keep');
    symlinkSync(outside, join(base, 'link'));
    mkdirSync(join(base, 'tree', 'deeper'), { recursive: true });
    writeFileSync(join(base, 'tree', 'deeper', 'f'), 'x');
    symlinkSync(outside, join(base, 'tree', 'deeper', 'out'));
    const dir = await open(base);
    await dir.unlink('link');
    expect(existsSync(join(base, 'link'))).toBe(false);
    await dir.removeTree('tree');
    expect(existsSync(join(base, 'tree'))).toBe(false);
    expect(readFileSync(join(outside, 'keep'), 'utf8')).toBe('keep');
    mkdirSync(join(base, 'empty'));
    await dir.rmdir('empty');
    expect(existsSync(join(base, 'empty'))).toBe(false);
    await dir.close();
  });

  it('list and entries report types without following symlinks; stat is lstat', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'x');
    mkdirSync(join(base, 'dir'));
    symlinkSync(join(base, 'dir'), join(base, 'link'));
    execFileSync('mkfifo', [join(base, 'fifo')]);
    const dir = await open(base);
    expect((await dir.list()).sort()).toEqual(['dir', 'fifo', 'file', 'link']);
    const types = Object.fromEntries((await dir.entries()).map((entry) => [entry.name, entry.type]));
    expect(types).toEqual({ file: 'file', dir: 'directory', link: 'symlink', fifo: 'other' });
    expect((await dir.stat('link')).isSymbolicLink()).toBe(true);
    expect((await dir.statSelf()).isDirectory()).toBe(true);
    await dir.close();
  });

  it('openSubdir creates with an exact mode, refuses a symlink, a file and an insecure directory', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    symlinkSync(outside, join(base, 'link'));
    writeFileSync(join(base, 'file'), 'x');
    mkdirSync(join(base, 'open'));
    chmodSync(join(base, 'open'), 0o777);
    const dir = await open(base);
    const created = await dir.openSubdir('made', { create: true, mode: 0o750 });
    expect(statSync(join(base, 'made')).mode & 0o7777).toBe(0o750);
    expect(created.resolution).toBe(resolution);
    await created.writeFileAtomic('inside', 'x');
    expect(readFileSync(join(base, 'made', 'inside'), 'utf8')).toBe('x');
    await created.close();
    expect((await caught(dir.openSubdir('link'))).code).toBe('ESYMLINK');
    expect((await caught(dir.openSubdir('link', { create: true }))).code).toBe('ESYMLINK');
    expect((await caught(dir.openSubdir('file'))).code).toBe('ENOTDIR');
    expect((await caught(dir.openSubdir('open'))).code).toBe('EINSECURE');
    const relaxed = await dir.openSubdir('open', { allowWorldWritable: true, allowGroupWritable: true });
    await relaxed.setMode(0o700);
    expect(statSync(join(base, 'open')).mode & 0o7777).toBe(0o700);
    await relaxed.close();
    expect(readdirSync(outside)).toEqual([]);
    await dir.close();
  });

  it('close waits for operations in flight, then every call is ECLOSED', async () => {
    const base = await tempDir();
    const dir = await open(base);
    const writes = Array.from({ length: 20 }, (_, i) => dir.writeFileAtomic(`f${i}`, `v${i}`));
    const closing = dir.close();
    await Promise.all(writes);
    await closing;
    expect(readdirSync(base).sort()).toHaveLength(20);
    expect(dir.closed).toBe(true);
    expect((await caught(dir.readFile('f1'))).code).toBe('ECLOSED');
    expect((await caught(() => dir.readFileSync('f1'))).code).toBe('ECLOSED');
    await dir.close(); // idempotent
  });

  it('after the directory is moved away and replaced, descriptor mode keeps to the original and verify mode fails loudly', async () => {
    const base = await tempDir();
    const path = join(base, 'state');
    mkdirSync(path, { mode: 0o700 });
    const dir = await open(path);
    await dir.writeFileAtomic('before', '1');
    renameSync(path, join(base, 'moved'));
    mkdirSync(path, { mode: 0o700 });
    if (resolution === 'descriptor') {
      await dir.writeFileAtomic('after', '2');
      expect(readFileSync(join(base, 'moved', 'after'), 'utf8')).toBe('2');
      expect(readdirSync(path)).toEqual([]);
    } else {
      const error = await caught(dir.writeFileAtomic('after', '2'));
      expect(error.code).toBe('EESCAPE');
      expect(readdirSync(path)).toEqual([]);
      // a symlink in its place is refused as such
      renameSync(path, join(base, 'other'));
      symlinkSync(join(base, 'other'), path);
      expect((await caught(dir.readFile('before'))).code).toBe('ESYMLINK');
    }
    await dir.close();
  });
});

describe('openDir', () => {
  const tempDir = useTempDirs();

  it('refuses a symlink (also with a trailing slash), a file, bad paths and insecure directories', async () => {
    const base = await tempDir();
    const real = join(base, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(base, 'link'));
    writeFileSync(join(base, 'file'), 'x');
    expect((await caught(openDir(join(base, 'link')))).code).toBe('ESYMLINK');
    expect((await caught(openDir(`${join(base, 'link')}/`))).code).toBe('ESYMLINK');
    const notDir = await caught(openDir(join(base, 'file')));
    expect(notDir.code).toBe('ENOTDIR');
    expect(notDir.path).toBe(join(base, 'file'));
    expect((await caught(openDir(''))).code).toBe('EBADNAME');
    expect((await caught(openDir('a\0b'))).code).toBe('EBADNAME');
    expect((await caught(openDir(join(base, 'missing')))).code).toBe('ENOENT');
    chmodSync(real, 0o770);
    expect((await caught(openDir(real))).code).toBe('EINSECURE');
    chmodSync(real, 0o707);
    expect((await caught(openDir(real))).code).toBe('EINSECURE');
    chmodSync(real, 0o1777); // sticky: like /tmp
    await (await openDir(real)).close();
    chmodSync(real, 0o700);
    chownSync(real, 65534, 65534);
    expect((await caught(openDir(real))).code).toBe('EINSECURE');
    await (await openDir(real, { allowOtherOwner: true })).close();
    await expect(openDir(real, { resolution: 'bogus' as 'verify' })).rejects.toThrow(TypeError);
    await expect(openDir(real, { io: 'bogus' as 'async', allowOtherOwner: true })).rejects.toThrow(TypeError);
  });

  it('HARDFS_RESOLUTION=verify forces the fallback; io: async uses the thread pool for everything', async () => {
    const base = await tempDir();
    process.env['HARDFS_RESOLUTION'] = 'verify';
    try {
      const dir = await openDir(base);
      expect(dir.resolution).toBe('verify');
      await dir.close();
    } finally {
      delete process.env['HARDFS_RESOLUTION'];
    }
    const dir = await openDir(base, { io: 'async' });
    await dir.writeFileAtomic('a', 'x');
    expect((await dir.readFile('a')).toString()).toBe('x');
    expect(await dir.list()).toEqual(['a']);
    expect((await dir.stat('a')).isFile()).toBe(true);
    await dir.unlink('a');
    await dir.close();
  });
});
