// Names a root accepts: one relative path below it. The root itself and NUL are EBADNAME, an
// escape is EESCAPE, for every name-taking method, before any syscall.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertSingleComponent, HardfsError, isSingleComponent, openDir, type OpenDirOptions, type SafeDir } from '../../../src/index.js';
import { MODES, rejectsWith, snapshot } from '../harness.js';
import { useTempDirs } from '../../support/tmp.js';

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

describe.each(MODES)('every name-taking method (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

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
});

describe('assertSingleComponent', () => {
  it('single components', () => {
    expect(isSingleComponent('a.json')).toBe(true);
    expect(isSingleComponent('a/b')).toBe(false);
    expect(() => assertSingleComponent(5 as unknown as string)).toThrow(HardfsError);
  });
});

describe('assertSingleComponent: each refusal is EBADNAME and says which argument and what was wrong', () => {
  it('names the argument "name" unless told otherwise', async () => {
    const message = (name: unknown, what?: string): string => {
      try {
        assertSingleComponent(name as string, what);
      } catch (error) {
        expect(error).toBeInstanceOf(HardfsError);
        expect((error as HardfsError).code).toBe('EBADNAME');
        return (error as HardfsError).message;
      }
      return 'accepted';
    };
    expect(message(7)).toContain('name must be a string');
    expect(message('')).toContain('name must not be empty');
    expect(message('.')).toContain('name must not be "." or ".."');
    expect(message('..')).toContain('name must not be "." or ".."');
    expect(message('a/b')).toContain('name must be a single path component');
    expect(message('a\\b')).toContain('name must be a single path component');
    expect(message('a\0b')).toContain('name must be a single path component');
    expect(message(7, 'lock name')).toContain('lock name must be a string');
    expect(message('', 'lock name')).toContain('lock name must not be empty');
    expect(message('..', 'lock name')).toContain('lock name must not be "." or ".."');
    expect(message('x/y', 'lock name')).toContain('lock name must be a single path component');
    expect(message('...')).toBe('accepted');
    expect(isSingleComponent('..')).toBe(false);
    expect(isSingleComponent('...')).toBe(true);
  });

  it('a "." or ".." refusal carries the name as its path, as the SafeDir methods show', async () => {
    for (const name of ['.', '..']) {
      let thrown: unknown;
      try {
        assertSingleComponent(name);
      } catch (error) {
        thrown = error;
      }
      expect((thrown as HardfsError).path).toBe(name);
    }
  });
});
