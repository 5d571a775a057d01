// Choosing a resolution mode: descriptor resolution is trusted only once proven.
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { chooseResolution } from '../../src/dir/resolution.js';
import { HardfsError } from '../../src/index.js';
import { useTempDirs } from '../support/tmp.js';

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
