// SafeDir behaviours that the other suites left unpinned (found by mutation testing of
// src/dir/safe-dir.ts): the wording and path of each refusal, the exact mode bounds, cleanup of
// a failed exclusive create, the io: 'async' listing, close() called twice while busy, and the
// verification of a rename's target directory in verify mode.
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, type IoMode, type SafeDir } from '../../../src/index.js';
import { caught, useTempDirs } from '../../support/tmp.js';
import { MODES, descriptorsInto, modeOf, rejectsWith } from '../harness.js';

const tempDir = useTempDirs();

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

describe('openDir options', () => {
  it('refuses an unknown io mode with a TypeError that names the value', async () => {
    const base = await tempDir();
    const error = await caught(openDir(base, { io: 'turbo' as IoMode }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('io must be "hybrid" or "async", got "turbo"');
  });

  it('a SafeDir cannot be constructed directly, only by openDir() or openSubdir()', async () => {
    const dir = await openDir(await tempDir());
    try {
      const Ctor = dir.constructor as new (token: symbol, state: unknown) => SafeDir;
      const error = await caught(() => new Ctor(Symbol('hardfs.SafeDir'), {}));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe('SafeDir is created by openDir() or openRoot()');
    } finally {
      await dir.close();
    }
  });
});

describe.each(MODES)('SafeDir refusals say what and where (%s resolution)', (resolution) => {
  it('openFile refuses a directory as "not a regular file" with the path of the name', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'sub'));
    const dir = await openDir(base, { resolution });
    try {
      const error = await rejectsWith(dir.openFile('sub'), 'EINSECURE');
      expect(error.path).toBe(join(base, 'sub'));
      expect(error.message).toBe(`EINSECURE: not a regular file: ${join(base, 'sub')}`);
      expect(descriptorsInto(base)).toEqual([base]); // only the directory handle itself
    } finally {
      await dir.close();
    }
  });

  it('rename and renameNoReplace say which name is bad: the source or the target', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'ok'), 'ok');
    const dir = await openDir(base, { resolution });
    try {
      for (const method of ['rename', 'renameNoReplace'] as const) {
        expect((await rejectsWith(dir[method]('', 'x'), 'EBADNAME')).message).toContain('EBADNAME: source path must not be empty');
        expect((await rejectsWith(dir[method]('ok', '.'), 'EBADNAME')).message).toContain('EBADNAME: target path must name an entry');
      }
      expect(readdirSync(base)).toEqual(['ok']);
    } finally {
      await dir.close();
    }
  });

  it('an operation on a closed handle is refused as ECLOSED with the directory path, async and sync', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'f'), 'x');
    const dir = await openDir(base, { resolution });
    await dir.close();
    const asyncError = await rejectsWith(dir.list(), 'ECLOSED');
    expect(asyncError.path).toBe(base);
    expect(asyncError.message).toBe(`ECLOSED: directory handle is closed: ${base}`);
    const syncError = await rejectsWith(() => dir.readFileSync('f'), 'ECLOSED');
    expect(syncError.path).toBe(base);
    expect(syncError.message).toBe(`ECLOSED: directory handle is closed: ${base}`);
  });

  it('setMode and openSubdir refuse an out-of-range mode with a TypeError naming it', async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution });
    try {
      const setError = await caught(dir.setMode(0o10000));
      expect(setError).toBeInstanceOf(TypeError);
      expect(setError.message).toBe('mode must be an integer between 0 and 0o7777, got 4096');
      const subError = await caught(dir.openSubdir('sub', { create: true, mode: 1.5 }));
      expect(subError).toBeInstanceOf(TypeError);
      expect(subError.message).toBe('mode must be an integer between 0 and 0o7777, got 1.5');
      expect(readdirSync(base)).toEqual([]);
    } finally {
      await dir.close();
    }
  });
});

describe.each(MODES)('setMode bounds are inclusive (%s resolution)', (resolution) => {
  it('accepts exactly 0 and exactly 0o7777', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'sub'), { mode: 0o700 });
    const dir = await openDir(join(base, 'sub'), { resolution });
    try {
      await dir.setMode(0);
      expect(modeOf(join(base, 'sub'))).toBe(0);
      await dir.setMode(0o7777);
      expect(modeOf(join(base, 'sub'))).toBe(0o7777);
      await dir.setMode(0o700);
    } finally {
      await dir.close();
    }
  });
});

describe.each(MODES)('a failed exclusive create leaves nothing behind (%s resolution)', (resolution) => {
  it('createFileExclusive: the write error is thrown, the file is removed, its descriptor closed', async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution });
    try {
      const error = await caught(dir.createFileExclusive('lock', unreadableData()));
      expect(error.message).toBe('unreadable bytes');
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
      expect(error.message).toBe('unreadable bytes');
      expect(readdirSync(base)).toEqual([]);
      expect(descriptorsInto(base)).toEqual([base]); // only the directory handle itself
    } finally {
      await dir.close();
    }
  });
});

describe.each(MODES)('removeTree and entries (%s resolution)', (resolution) => {
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

  it('entries() with io: "async" reports each type, like the inline listing', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'x');
    mkdirSync(join(base, 'dir'));
    symlinkSync('file', join(base, 'link'));
    const dir = await openDir(base, { resolution, io: 'async' });
    try {
      const entries = (await dir.entries()).sort((a, b) => a.name.localeCompare(b.name));
      expect(entries).toEqual([
        { name: 'dir', type: 'directory' },
        { name: 'file', type: 'file' },
        { name: 'link', type: 'symlink' },
      ]);
    } finally {
      await dir.close();
    }
  });
});

describe.each(MODES)('close() twice while an operation is in flight (%s resolution)', (resolution) => {
  it('both close() calls resolve once the operation is done', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'f'), 'x');
    const dir = await openDir(base, { resolution, io: 'async' });
    const operation = dir.readFile('f');
    let firstSettled = false;
    const first = dir.close().then(() => {
      firstSettled = true;
    });
    const second = dir.close();
    expect((await operation).toString()).toBe('x');
    await second;
    // The second close() shares the first one's promise: it cannot resolve while the first hangs.
    await new Promise<void>((done) => setImmediate(done));
    expect(firstSettled).toBe(true);
    await first;
    expect(dir.closed).toBe(true);
    expect(descriptorsInto(base)).toEqual([]);
  });
});

describe('verify resolution checks a rename target directory too', () => {
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
        expect(error.message).toBe(`EESCAPE: pinned directory was replaced by another directory: ${join(base, 'b')}`);
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
      expect(error.message).toBe(`EESCAPE: pinned directory is gone from its path (ENOENT): ${join(base, 'lnk', 'd')}`);
      // The rename itself happened: the symlink is now inside the target.
      expect(lstatSync(join(base, 'real', 'd', 'moved-link')).isSymbolicLink()).toBe(true);
      expect(existsSync(join(base, 'lnk'))).toBe(false);
    } finally {
      await source.close();
      await target.close();
    }
  });
});

describe('verify resolution: a synchronous operation on a directory gone or replaced', () => {
  it('says the directory is gone from its path, with the errno code', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'd'));
    writeFileSync(join(base, 'd', 'f'), 'x');
    const dir = await openDir(join(base, 'd'), { resolution: 'verify' });
    try {
      renameSync(join(base, 'd'), join(base, 'elsewhere'));
      const error = await rejectsWith(() => dir.readFileSync('f'), 'EESCAPE');
      expect(error.path).toBe(join(base, 'd'));
      expect(error.message).toBe(`EESCAPE: pinned directory is gone from its path (ENOENT): ${join(base, 'd')}`);
      expect(error.cause).toMatchObject({ code: 'ENOENT' });
    } finally {
      await dir.close();
    }
  });

  it('says the directory was replaced by a symlink, or by another directory', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'd'));
    writeFileSync(join(base, 'd', 'f'), 'x');
    const dir = await openDir(join(base, 'd'), { resolution: 'verify' });
    try {
      renameSync(join(base, 'd'), join(base, 'elsewhere'));
      symlinkSync(join(base, 'elsewhere'), join(base, 'd'));
      const symlinked = await rejectsWith(() => dir.readFileSync('f'), 'ESYMLINK');
      expect(symlinked.path).toBe(join(base, 'd'));
      expect(symlinked.message).toBe(`ESYMLINK: pinned directory was replaced by a symlink: ${join(base, 'd')}`);

      unlinkSync(join(base, 'd'));
      mkdirSync(join(base, 'd'));
      const replaced = await rejectsWith(() => dir.readFileSync('f'), 'EESCAPE');
      expect(replaced.path).toBe(join(base, 'd'));
      expect(replaced.message).toBe(`EESCAPE: pinned directory was replaced by another directory: ${join(base, 'd')}`);
    } finally {
      await dir.close();
    }
  });
});
