// Writing a file through a root: writeFileAtomic (replace by rename, exact modes, never through a
// planted link) and createFileExclusive (never over an existing name; a failed write leaves nothing).
import { closeSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempFileName, openDir, type OpenDirOptions, type SafeDir } from '../../../src/index.js';
import { descriptorsInto, modeOf, MODES, rejectsNative } from '../harness.js';
import { caught, useTempDirs } from '../../support/tmp.js';

/** A TypeError whose message starts with the argument it refuses. */
const typeErrorNaming = (argument: string): Error =>
  expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(new RegExp(`^${argument} `)) as string }) as Error;

describe.each(MODES)('writeFileAtomic (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

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
    await expect(dir.writeFileAtomic('x', 'y', { mode: 0o10000 })).rejects.toThrow(typeErrorNaming('mode'));
    await expect(dir.writeFileAtomic('x', 42 as unknown as string)).rejects.toThrow(typeErrorNaming('data'));
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
});

describe.each(MODES)('createFileExclusive (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

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
      await expect(dir.createFileExclusive('bad-mode', 'x', { mode: -1 })).rejects.toThrow(typeErrorNaming('mode'));
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
      expect(() => dir.createFileExclusiveSync('bad-mode', 'x', { mode: -1 })).toThrow(typeErrorNaming('mode'));
      expect(() => dir.createFileExclusiveSync('bad-data', 42 as unknown as string)).toThrow(typeErrorNaming('data'));
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
});

/** Data that passes the type check but whose bytes cannot be read: the write fails after the open. */
function unreadableData(): Uint8Array {
  const data = new Uint8Array(8);
  Object.defineProperty(data, 'byteLength', {
    get(): number {
      throw new Error('unreadable bytes');
    },
  });
  return data;
}

describe.each(MODES)('a failed exclusive create leaves nothing behind (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  it('createFileExclusive: the write error is thrown, the file is removed, its descriptor closed', async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution });
    try {
      const error = await caught(dir.createFileExclusive('lock', unreadableData()));
      expect(error.message).toContain('unreadable bytes');
      expect(readdirSync(base)).toEqual([]);
      expect(descriptorsInto(base)).toEqual([base]); // only the directory handle itself
    } finally {
      await dir.close();
    }
  });

  it('createFileExclusiveSync: the write error is thrown, the file is removed, its descriptor closed', async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution });
    try {
      const error = await caught(() => dir.createFileExclusiveSync('lock', unreadableData()));
      expect(error.message).toContain('unreadable bytes');
      expect(readdirSync(base)).toEqual([]);
      expect(descriptorsInto(base)).toEqual([base]); // only the directory handle itself
    } finally {
      await dir.close();
    }
  });
});
