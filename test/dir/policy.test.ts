// checkDirStats, the directory policy behind openDir / assertRealDir: each refusal's code, path and reason.
import { chmodSync, chownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assertRealDir } from '../../src/index.js';
import { rejectsWith } from './harness.js';
import { useTempDirs } from '../support/tmp.js';

describe('checkDirStats: each policy refusal has its code, the path and says which rule', () => {
  const tempDir = useTempDirs();

  it('symlink, non-directory, group-writable and world-writable refusals say which', async () => {
    const base = await tempDir();
    const dir = join(base, 'd');
    mkdirSync(dir);
    symlinkSync(dir, join(base, 'link'));
    writeFileSync(join(base, 'file'), 'x');
    const symlink = await rejectsWith(assertRealDir(join(base, 'link')), 'ESYMLINK');
    expect(symlink.path).toBe(join(base, 'link'));
    expect(symlink.message).toContain('where a directory is required');
    const file = await rejectsWith(assertRealDir(join(base, 'file')), 'ENOTDIR');
    expect(file.path).toBe(join(base, 'file'));
    expect(file.message).toContain('not a directory');
    chmodSync(dir, 0o770);
    const group = await rejectsWith(assertRealDir(dir), 'EINSECURE');
    expect(group.path).toBe(dir);
    expect(group.message).toContain('group-writable');
    chmodSync(dir, 0o702);
    const world = await rejectsWith(assertRealDir(dir), 'EINSECURE');
    expect(world.path).toBe(dir);
    expect(world.message).toContain('world-writable');
  });

  describe('for a process that is not root', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('trusts a directory owned by root, refuses one owned by another user', async () => {
      expect(statSync('/').uid).toBe(0);
      expect(statSync('/').mode & 0o022).toBe(0);
      vi.spyOn(process, 'getuid').mockReturnValue(1000);
      await assertRealDir('/');
      const base = await tempDir();
      const dir = join(base, 'd');
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, 65534, 65534);
      const foreign = await rejectsWith(assertRealDir(dir), 'EINSECURE');
      expect(foreign.path).toBe(dir);
      expect(foreign.message).toContain('uid 65534');
      expect(foreign.message).toContain('uid 1000');
    });
  });
});
