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
    expect(() => chooseResolution('descriptor', undefined, stats, base)).toThrow(HardfsError);
    // a descriptor that no longer reaches the pinned inode is not trusted either
    const other = await tempDir();
    const otherStats = statSync(other, { bigint: true });
    expect(chooseResolution('auto', handle.fd, otherStats, base)).toBe('verify');
    expect(chooseResolution('auto', handle.fd, stats, base)).toBe('descriptor');
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

describe('SafeDir edges', () => {
  const tempDir = useTempDirs();

  it('cannot be constructed directly; validates modes; sync unlink; a directory gone from its path in verify mode', async () => {
    const { SafeDir, openDir } = await import('../../src/index.js');
    expect(() => new (SafeDir as unknown as new (token: symbol, state: object) => unknown)(Symbol('fake'), {})).toThrow(TypeError);
    const base = await tempDir();
    const dir = await openDir(base);
    await expect(dir.setMode(0o10000)).rejects.toThrow(TypeError);
    await expect(dir.openSubdir('x', { create: true, mode: -1 })).rejects.toThrow(TypeError);
    await dir.writeFileAtomic('f', 'x');
    dir.unlinkSync('f');
    expect(await dir.list()).toEqual([]);
    await dir.close();
    const gone = join(base, 'gone');
    mkdirSync(gone, { mode: 0o700 });
    const verify = await openDir(gone, { resolution: 'verify' });
    const { rmdirSync } = await import('node:fs');
    rmdirSync(gone);
    const error = await verify.list().catch((caughtError: unknown) => caughtError as HardfsError);
    expect((error as HardfsError).code).toBe('EESCAPE');
    expect(() => verify.readFileSync('x')).toThrow(expect.objectContaining({ code: 'EESCAPE' }) as unknown as Error);
    await verify.close();
  });

  it('a created subdirectory gets its exact mode even when the umask would narrow it', async () => {
    const { openDir } = await import('../../src/index.js');
    const base = await tempDir();
    const dir = await openDir(base);
    const previous = process.umask(0o077);
    try {
      const sub = await dir.openSubdir('wide', { create: true, mode: 0o750 });
      await sub.close();
    } finally {
      process.umask(previous);
    }
    expect(statSync(join(base, 'wide')).mode & 0o7777).toBe(0o750);
    const again = await dir.openSubdir('wide', { create: true, mode: 0o700 }); // exists: opened, left as is
    await again.close();
    expect(statSync(join(base, 'wide')).mode & 0o7777).toBe(0o750);
    await dir.close();
  });
});
