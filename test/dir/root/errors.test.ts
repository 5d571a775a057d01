// Errors from a root: native node:fs errors pass through unchanged and name the caller's path
// (never /proc/self/fd/...); HardfsError carries code, path and cause.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errnoCode, HardfsError, isHardfsError, openDir, type OpenDirOptions, type SafeDir } from '../../../src/index.js';
import { MODES, rejectsNative, rejectsWith } from '../harness.js';
import { caught, useTempDirs } from '../../support/tmp.js';

describe.each(MODES)('native errors (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

  it('a missing intermediate directory is the native ENOENT, with the caller path', async () => {
    const base = await tempDir();
    const dir = await open(base);
    const missing = await caught(dir.readFile('a/b'));
    expect(missing).not.toBeInstanceOf(HardfsError);
    expect(missing.code).toBe('ENOENT');
    expect(missing.path).toBe(join(base, 'a/b'));
    expect(readdirSync(base)).toEqual([]);
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
});

describe('native errors in verify mode name the directory path, not a descriptor path', () => {
  const tempDir = useTempDirs();

  it('unlink, rmdir, stat and rename of a missing name fail with ENOENT at <directory>/<name>', async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution: 'verify' });
    try {
      expect((await rejectsNative(dir.unlink('missing'), 'ENOENT')).path).toBe(join(base, 'missing'));
      expect((await rejectsNative(dir.rmdir('missing'), 'ENOENT')).path).toBe(join(base, 'missing'));
      expect((await rejectsNative(dir.stat('missing'), 'ENOENT')).path).toBe(join(base, 'missing'));
      expect((await rejectsNative(dir.rename('missing', 'other'), 'ENOENT')).path).toBe(join(base, 'missing'));
    } finally {
      await dir.close();
    }
  });

  it('the same errors in descriptor mode name the caller path too, never /proc/self/fd', async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution: 'descriptor' });
    try {
      const error = await rejectsNative(dir.unlink('missing'), 'ENOENT');
      expect(error.path).toBe(join(base, 'missing'));
      expect(error.syscall).toBe('unlink');
      expect(error.message).toContain(`unlink '${join(base, 'missing')}'`);
      expect(error.message).not.toContain('/proc/self/fd');
    } finally {
      await dir.close();
    }
  });
});

describe('the root directory', () => {
  it('names a child of / as /<name>, with no doubled separator', async () => {
    const root = await openDir('/');
    try {
      expect(root.path).toBe('/');
      // The policy refuses the mode before mkdir: nothing is created in /.
      const error = await rejectsWith(root.openSubdir('hardfs-never-created', { create: true, mode: 0o777 }), 'EINSECURE');
      expect(error.path).toBe('/hardfs-never-created');
      expect(error.message).toContain('group-writable');
    } finally {
      await root.close();
    }
  });
});

describe('HardfsError', () => {
  it('errors: codes, paths, causes and the errno helper', () => {
    const cause = new Error('root');
    const error = new HardfsError('EESCAPE', 'out', { path: '/x', cause });
    // Whole messages on purpose: the words are the test's own; what is pinned is the
    // constructor's "<code>: <what>[: <path>]" layout, which callers parse.
    expect(error.message).toBe('EESCAPE: out: /x');
    expect(error.cause).toBe(cause);
    expect(new HardfsError('ECYCLE', 'loop').message).toBe('ECYCLE: loop');
    expect(isHardfsError(error, 'EESCAPE')).toBe(true);
    expect(isHardfsError(error, 'ECYCLE')).toBe(false);
    expect(isHardfsError(cause)).toBe(false);
    expect(errnoCode(Object.assign(new Error(), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(errnoCode({ code: 5 })).toBeUndefined();
    expect(errnoCode(null)).toBeUndefined();
  });
});
