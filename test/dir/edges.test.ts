import { mkdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardfsError, assertSingleComponent, ensureRealDir, errnoCode, isHardfsError, isSingleComponent } from '../../src/index.js';
import { chooseResolution } from '../../src/dir/resolution.js';
import { useTempDirs } from '../support/tmp.js';

describe('small pieces', () => {
  const tempDir = useTempDirs();

  it('single components', () => {
    expect(isSingleComponent('a.json')).toBe(true);
    expect(isSingleComponent('a/b')).toBe(false);
    expect(() => assertSingleComponent(5 as unknown as string)).toThrow(HardfsError);
  });

  it('errors: codes, paths, causes and the errno helper', () => {
    const cause = new Error('root');
    const error = new HardfsError('EESCAPE', 'out', { path: '/x', cause });
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

  it('explicit descriptor resolution fails loudly when it cannot be proven', async () => {
    const base = await tempDir();
    const handle = await open(base, 'r');
    const stats = await handle.stat({ bigint: true });
    await expect(chooseResolution('descriptor', undefined, stats, base)).rejects.toThrow(HardfsError);
    // a descriptor that no longer reaches the pinned inode is not trusted either
    const other = await tempDir();
    const otherStats = statSync(other, { bigint: true });
    expect(await chooseResolution('auto', handle, otherStats, base)).toBe('verify');
    expect(await chooseResolution('auto', handle, stats, base)).toBe('descriptor');
    await handle.close();
  });

  it('ensureRealDir creates below the deepest existing ancestor in-process', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'a'));
    const target = join(base, 'a', 'b', 'c');
    expect(await ensureRealDir(target)).toBe(target);
    expect(statSync(target).isDirectory()).toBe(true);
  });
});
