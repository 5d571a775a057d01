// Listing a root: list and entries type each name without following it.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, type OpenDirOptions, type SafeDir } from '../../../src/index.js';
import { MODES, rejectsNative, rejectsWith } from '../harness.js';
import { useTempDirs } from '../../support/tmp.js';

describe.each(MODES)('readdir (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

  describe('list / entries / lstat / statSelf', () => {
    it('lists names once each, types symlinks as symlinks, lstat reports a link and stat refuses it', async () => {
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
      const link = await dir.lstat('to-file');
      expect(link.isSymbolicLink()).toBe(true);
      expect(link.ino).toBe(lstatSync(join(base, 'to-file')).ino);
      expect(link.ino).not.toBe(statSync(join(outside, 'target')).ino);
      expect((await dir.lstat('dangling')).isSymbolicLink()).toBe(true);
      // stat would follow: under refuse (the default) that is ESYMLINK, never the outside target.
      expect((await rejectsWith(dir.stat('to-file'), 'ESYMLINK')).path).toBe(join(base, 'to-file'));
      await rejectsWith(dir.stat('dangling'), 'ESYMLINK');
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
