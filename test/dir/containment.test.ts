// assertRealpathWithin / resolveWithin / isPathWithin: containment by real path.
import { mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertRealpathWithin, isPathWithin, resolveWithin } from '../../src/index.js';
import { onPlatform, rejectsWith } from './harness.js';
import { caught, useTempDirs } from '../support/tmp.js';

describe('assertRealpathWithin', () => {
  const tempDir = useTempDirs();

  it('compares real paths: a symlink inside pointing outside is EESCAPE', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    mkdirSync(join(base, 'in'));
    symlinkSync(outside, join(base, 'out'));
    expect(await assertRealpathWithin(base, join(base, 'in'))).toBe(join(base, 'in'));
    expect((await caught(assertRealpathWithin(base, join(base, 'out')))).code).toBe('EESCAPE');
    expect((await caught(assertRealpathWithin(base, join(base, 'missing')))).code).toBe('ENOENT');
  });
});

describe('isPathWithin, resolveWithin, assertRealpathWithin: argument checks name the argument', () => {
  const tempDir = useTempDirs();
  const notAString = 42 as unknown as string;

  it('a non-string root, candidate or path segment is a TypeError saying which one', async () => {
    const typeError = async (action: () => unknown, message: string): Promise<void> => {
      const error = await caught(action);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain(message);
    };
    await typeError(() => isPathWithin(notAString, '/x'), 'root must be a string');
    await typeError(() => isPathWithin('/x', notAString), 'candidate must be a string');
    await typeError(() => resolveWithin(notAString, 'a'), 'root must be a string');
    await typeError(() => resolveWithin('/x', 'a', notAString), 'path segment must be a string');
    await typeError(() => assertRealpathWithin(notAString, '/x'), 'root must be a string');
    await typeError(() => assertRealpathWithin('/x', notAString), 'candidate must be a string');
    // An array has includes() too: only the type check tells it apart.
    await typeError(() => isPathWithin(['/x'] as unknown as string, '/x'), 'root must be a string');
  });

  it('a NUL in any argument is EBADNAME naming the argument, with the NUL spelled \\0 in the path', async () => {
    const base = await tempDir();
    const refused = async (action: () => unknown, message: string, path: string): Promise<void> => {
      const error = await rejectsWith(action, 'EBADNAME');
      expect(error.message).toContain(message);
      expect(error.path).toBe(path);
    };
    await refused(() => isPathWithin('/a\0b', '/x'), 'root contains NUL', '/a\\0b');
    await refused(() => isPathWithin('/x', '/x/\0y'), 'candidate contains NUL', '/x/\\0y');
    await refused(() => resolveWithin('/r\0', 'a'), 'root contains NUL', '/r\\0');
    await refused(() => resolveWithin('/r', 'a', 'b\0c\0'), 'path segment contains NUL', 'b\\0c\\0');
    await refused(() => assertRealpathWithin(`${base}\0`, base), 'root contains NUL', `${base}\\0`);
    await refused(() => assertRealpathWithin(base, `${base}/\0`), 'candidate contains NUL', `${base}/\\0`);
  });
});

describe('resolveWithin and assertRealpathWithin: an escape names the root and the escaping path', () => {
  const tempDir = useTempDirs();

  it('resolveWithin says which root was left and reports the resolved candidate', async () => {
    const error = await rejectsWith(() => resolveWithin('/srv/data/', '..', 'etc'), 'EESCAPE');
    expect(error.message).toContain('escapes /srv/data');
    expect(error.path).toBe('/srv/etc');
  });

  it('assertRealpathWithin reports the real root and the real path the symlink leads to', async () => {
    const root = realpathSync(await tempDir());
    const outside = realpathSync(await tempDir());
    symlinkSync(outside, join(root, 'out'));
    const error = await rejectsWith(assertRealpathWithin(root, join(root, 'out')), 'EESCAPE');
    expect(error.message).toContain(`outside ${root}`);
    expect(error.path).toBe(outside);
  });
});

describe('isPathWithin on Windows compares case-insensitively', () => {
  it('a differently cased candidate is within the root on win32 and not on POSIX', () => {
    expect(isPathWithin('/Data/Root', '/data/ROOT/file')).toBe(false);
    expect(onPlatform('win32', () => isPathWithin('/Data/Root', '/data/ROOT/file'))).toBe(true);
    expect(onPlatform('win32', () => isPathWithin('/Data/Root', '/data/ROOT'))).toBe(true);
    expect(onPlatform('win32', () => isPathWithin('/Data/Root', '/data/other'))).toBe(false);
  });

  it('case folding on win32 does not make ß and SS the same name', () => {
    // Full upper-casing turns ß into SS; NTFS (and lower-casing) keep them distinct.
    expect(onPlatform('win32', () => isPathWithin('/data/ß', '/data/SS/file'))).toBe(false);
    expect(onPlatform('win32', () => isPathWithin('/data/SS', '/data/ß/file'))).toBe(false);
  });
});
