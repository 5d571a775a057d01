// splitRelativePath / isPlainName: the pure half of the walk. Properties over generated paths,
// the refusals by example (code, path, message fragment), and the Windows rules (a backslash
// and a drive are separators and roots there) checked on a copy loaded as on Windows.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { HardfsError } from '../../src/index.js';
import * as loaded from '../../src/sys/relative-path.js';
import { fcParams } from '../support/fc.js';
import { importFresh } from '../support/platform.js';
import { caught } from '../support/tmp.js';

type RelativePath = typeof loaded;
const MODULE = new URL('../../src/sys/relative-path.ts', import.meta.url);
const component = fc.stringMatching(/^[a-z.\\ _-]{1,6}$/);
const relative = fc.array(fc.oneof(component, fc.constantFrom('', '.', '..')), { maxLength: 8 }).map((parts) => parts.join('/'));

// Copies evaluated by this test file (see importFresh): the separator switch is set at load.
let posix: RelativePath;
let windows: RelativePath;
beforeAll(async () => {
  posix = await importFresh<RelativePath>(MODULE, 'linux');
  windows = await importFresh<RelativePath>(MODULE, 'win32');
});

describe('splitRelativePath', () => {
  it('drops empty and "." components, keeps ".." and every other name byte for byte', () => {
    fc.assert(
      fc.property(relative, (path) => {
        fc.pre(!path.startsWith('/')); // absolute: the property below
        const parts = posix.splitRelativePath(path, 'path');
        expect(parts).toEqual(path.split('/').filter((part) => part !== '' && part !== '.'));
        expect(parts.every((part) => part.length > 0 && !part.includes('/'))).toBe(true);
        expect(loaded.splitRelativePath(path, 'path')).toEqual(parts);
      }),
      fcParams(),
    );
  });

  it('an absolute path is EESCAPE and a NUL anywhere is EBADNAME, for every path', () => {
    fc.assert(
      fc.property(relative, fc.nat(), (path, at) => {
        expect(() => posix.splitRelativePath(`/${path}`, 'path')).toThrow(expect.objectContaining({ code: 'EESCAPE' }) as Error);
        const cut = at % (path.length + 1);
        const withNul = `${path.slice(0, cut)}\0${path.slice(cut)}`;
        expect(() => posix.splitRelativePath(withNul, 'path')).toThrow(HardfsError);
        expect(() => posix.splitRelativePath(withNul, 'path')).toThrow(expect.objectContaining({ code: 'EBADNAME' }) as Error);
      }),
      fcParams(),
    );
  });

  it('the refusals name the path (NUL shown as \\0) and say what was wrong with it', async () => {
    const nul = await caught(() => posix.splitRelativePath('a\0b', 'symlink target'));
    expect([nul.code, nul.path]).toEqual(['EBADNAME', 'a\\0b']);
    expect(nul.message).toContain('symlink target contains NUL');
    const absolute = await caught(() => posix.splitRelativePath('/etc/passwd', 'path'));
    expect([absolute.code, absolute.path]).toEqual(['EESCAPE', '/etc/passwd']);
    expect(absolute.message).toContain('must be relative');
    const notString = await caught(() => posix.splitRelativePath(42 as unknown as string, 'path'));
    expect(notString).toBeInstanceOf(HardfsError);
    expect(notString.code).toBe('EBADNAME');
    expect(notString.message).toContain('must be a string');
  });

  it('a drive letter at the start is EESCAPE everywhere; a colon further on is a name byte', async () => {
    for (const path of ['C:/x', 'c:x', 'Z:']) {
      const error = await caught(() => posix.splitRelativePath(path, 'path'));
      expect([error.code, error.path]).toEqual(['EESCAPE', path]);
    }
    expect(posix.splitRelativePath('1:x', 'path')).toEqual(['1:x']);
    expect(posix.splitRelativePath('dir/c:x', 'path')).toEqual(['dir', 'c:x']);
  });

  it('on POSIX a backslash is an ordinary name byte', () => {
    expect(posix.splitRelativePath('a\\b/c', 'path')).toEqual(['a\\b', 'c']);
    expect(posix.splitRelativePath('\\x', 'path')).toEqual(['\\x']);
  });

  it('on Windows a backslash is a separator, and a backslash root or a drive is EESCAPE', async () => {
    fc.assert(
      fc.property(relative, (path) => {
        fc.pre(!path.startsWith('/') && !path.startsWith('\\'));
        expect(windows.splitRelativePath(path.replaceAll('/', '\\'), 'path')).toEqual(
          windows.splitRelativePath(path.replaceAll('\\', '/'), 'path'),
        );
      }),
      fcParams(),
    );
    expect(windows.splitRelativePath('a\\b/c', 'path')).toEqual(['a', 'b', 'c']);
    for (const path of ['\\x', 'C:\\x', 'd:']) {
      const error = await caught(() => windows.splitRelativePath(path, 'path'));
      expect([error.code, error.path]).toEqual(['EESCAPE', path]);
    }
  });
});

describe('isPlainName', () => {
  it('is exactly "splits to one component that is not .."', () => {
    fc.assert(
      fc.property(relative, (path) => {
        const parts = path.includes('\0') || path.startsWith('/') ? undefined : posix.splitRelativePath(path, 'path');
        const plain = parts !== undefined && parts.length === 1 && parts[0] !== '..' && parts[0] === path;
        expect(posix.isPlainName(path)).toBe(plain);
      }),
      fcParams(),
    );
  });

  it('by example: one name is plain; empty, ".", "..", a separator or NUL is not', () => {
    for (const name of ['a', 'file.json', '...', '.hidden', 'a\\b', 'c:x', ' ']) expect([name, posix.isPlainName(name)]).toEqual([name, true]);
    for (const name of ['', '.', '..', 'a/b', 'a/', '/a', 'a\0b', '\0']) expect([name, posix.isPlainName(name)]).toEqual([name, false]);
  });

  it('a value that is not a string is never plain, even one that looks like a name', () => {
    for (const value of [['a'], 42, undefined, null, { length: 1 }]) {
      expect(posix.isPlainName(value as unknown as string)).toBe(false);
    }
  });

  it('on Windows too it is exactly "splits to one component, the name itself, that is not .."', () => {
    const windowsComponent = fc.stringMatching(/^[a-zA-Z0-9:.\\ _-]{1,6}$/);
    const windowsPath = fc.array(fc.oneof(windowsComponent, fc.constantFrom('', '.', '..')), { maxLength: 4 }).map((parts) => parts.join('/'));
    const splitsTo = (path: string): string[] | undefined => {
      try {
        return windows.splitRelativePath(path, 'path');
      } catch (error) {
        if (error instanceof HardfsError) return undefined;
        throw error;
      }
    };
    fc.assert(
      fc.property(windowsPath, (path) => {
        const parts = splitsTo(path);
        const plain = parts !== undefined && parts.length === 1 && parts[0] !== '..' && parts[0] === path;
        expect(windows.isPlainName(path)).toBe(plain);
      }),
      fcParams(),
    );
  });

  it('on Windows a backslash or a drive prefix makes a name not plain', () => {
    for (const name of ['a\\b', '\\a', 'c:x', 'Z:']) expect([name, windows.isPlainName(name)]).toEqual([name, false]);
    // only a leading drive letter is a root there, as splitRelativePath sees it
    for (const name of ['a', '1:x', ':b', 'ab:c']) expect([name, windows.isPlainName(name)]).toEqual([name, true]);
  });
});
