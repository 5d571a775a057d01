// Choosing a resolution mode: descriptor resolution is trusted only once proven.
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { chooseResolution, descriptorResolutionWorks, requestedResolution } from '../../src/dir/resolution.js';
import { HardfsError, openDir } from '../../src/index.js';
import { OPEN_DIR_FLAGS } from '../../src/sys/flags.js';
import { onPlatform, rejectsWith } from './harness.js';
import { caught, useTempDirs } from '../support/tmp.js';

describe('chooseResolution', () => {
  const tempDir = useTempDirs();

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
});

const ENV = 'HARDFS_RESOLUTION';

async function withResolutionEnv<T>(value: string, run: () => Promise<T>): Promise<T> {
  const previous = process.env[ENV];
  process.env[ENV] = value;
  try {
    return await run();
  } finally {
    if (previous === undefined) delete process.env[ENV];
    else process.env[ENV] = previous;
  }
}

describe('resolution requests', () => {
  const tempDir = useTempDirs();

  it('an empty HARDFS_RESOLUTION means auto, like an unset one', async () => {
    const base = await tempDir();
    await withResolutionEnv('', async () => {
      expect(requestedResolution(undefined)).toBe('auto');
      const dir = await openDir(base);
      expect(dir.resolution).toBe('descriptor');
      await dir.close();
    });
  });

  it('"auto" is accepted as an option and from the environment', async () => {
    const base = await tempDir();
    expect(requestedResolution('auto')).toBe('auto');
    const dir = await openDir(base, { resolution: 'auto' });
    expect(dir.resolution).toBe('descriptor');
    await dir.close();
    await withResolutionEnv('auto', async () => {
      expect(requestedResolution(undefined)).toBe('auto');
      const fromEnv = await openDir(base);
      expect(fromEnv.resolution).toBe('descriptor');
      await fromEnv.close();
    });
  });

  it('an invalid request is a TypeError naming its source, the choices and the value given', async () => {
    const base = await tempDir();
    const option = await caught(openDir(base, { resolution: 'fast' as 'auto' }));
    expect(option).toBeInstanceOf(TypeError);
    expect(option.message).toContain('resolution option');
    expect(option.message).toContain('got "fast"');
    await withResolutionEnv('proc', async () => {
      const env = await caught(openDir(base));
      expect(env).toBeInstanceOf(TypeError);
      expect(env.message).toContain('HARDFS_RESOLUTION');
      expect(env.message).toContain('got "proc"');
    });
  });
});

describe('descriptor resolution is trusted only once proven', () => {
  const tempDir = useTempDirs();

  it('a descriptor that no longer resolves through /proc is not trusted: auto falls back, descriptor is refused', async () => {
    const base = await tempDir();
    const handle = await open(base, OPEN_DIR_FLAGS);
    const pinned = await handle.stat({ bigint: true });
    const fd = handle.fd;
    expect(descriptorResolutionWorks(fd, pinned)).toBe(true);
    await handle.close();
    expect(descriptorResolutionWorks(fd, pinned)).toBe(false);
    expect(chooseResolution('auto', fd, pinned, base)).toBe('verify');
    const refused = await rejectsWith(() => chooseResolution('descriptor', fd, pinned, base), 'EUNSUPPORTED');
    expect(refused.message).toContain('/proc/self/fd');
    expect(refused.op).toBe('openDir');
    expect(refused.path).toBe(base);
  });

  it('off Linux, a /proc that answers is still not trusted', async () => {
    const base = await tempDir();
    const handle = await open(base, OPEN_DIR_FLAGS);
    try {
      const pinned = await handle.stat({ bigint: true });
      // The platform is read before the first await, so the stub covers the whole check.
      const pending = onPlatform('freebsd', () => descriptorResolutionWorks(handle.fd, pinned));
      expect(await pending).toBe(false);
      expect(descriptorResolutionWorks(handle.fd, pinned)).toBe(true);
    } finally {
      await handle.close();
    }
  });
});
