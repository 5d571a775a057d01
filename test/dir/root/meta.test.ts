// Metadata of the pinned directory itself: setMode (inclusive bounds, TypeError outside) and sync.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, type OpenDirOptions, type SafeDir } from '../../../src/index.js';
import { modeOf, MODES } from '../harness.js';
import { caught, useTempDirs } from '../../support/tmp.js';

/** A TypeError whose message starts with the argument it refuses. */
const typeErrorNaming = (argument: string): Error =>
  expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(new RegExp(`^${argument} `)) as string }) as Error;

describe.each(MODES)('setMode / sync (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

  describe('setMode / sync', () => {
    it('setMode changes the pinned directory exactly; sync resolves; bad modes are TypeErrors', async () => {
      const base = await tempDir();
      const path = join(base, 'd');
      mkdirSync(path, { mode: 0o700 });
      const dir = await open(path);
      for (const mode of [0o750, 0o711, 0o1777, 0o700]) {
        await dir.setMode(mode);
        expect(modeOf(path)).toBe(mode);
      }
      await dir.writeFileAtomic('f', 'x', { syncDirectory: false });
      await expect(dir.sync()).resolves.toBeUndefined();
      for (const bad of [-1, 0o10000, 1.5, Number.NaN]) await expect(dir.setMode(bad)).rejects.toThrow(typeErrorNaming('mode'));
      expect(modeOf(path)).toBe(0o700);
      await dir.close();
    });
  });

  it('setMode and openSubdir refuse an out-of-range mode with a TypeError naming it', async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution });
    try {
      const setError = await caught(dir.setMode(0o10000));
      expect(setError).toBeInstanceOf(TypeError);
      expect(setError.message).toContain('got 4096');
      const subError = await caught(dir.openSubdir('sub', { create: true, mode: 1.5 }));
      expect(subError).toBeInstanceOf(TypeError);
      expect(subError.message).toContain('got 1.5');
      expect(readdirSync(base)).toEqual([]);
    } finally {
      await dir.close();
    }
  });

  it('accepts exactly 0 and exactly 0o7777', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'sub'), { mode: 0o700 });
    const dir = await openDir(join(base, 'sub'), { resolution });
    try {
      await dir.setMode(0);
      expect(modeOf(join(base, 'sub'))).toBe(0);
      await dir.setMode(0o7777);
      expect(modeOf(join(base, 'sub'))).toBe(0o7777);
      await dir.setMode(0o700);
    } finally {
      await dir.close();
    }
  });
});
