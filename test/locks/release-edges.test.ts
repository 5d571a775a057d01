import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardfsError, acquireFileLock, openDir } from '../../src/index.js';
import { useTempDirs } from '../support/tmp.js';

describe('release when the lock file is no longer ours', () => {
  const tempDir = useTempDirs();

  it.each(['symlink', 'fifo', 'other owner', 'gone'] as const)('lock replaced by a %s: release reports ELOCKED (lost) or nothing, and removes nothing of anyone else', async (kind) => {
    const base = await tempDir();
    const outside = await tempDir();
    writeFileSync(join(outside, 'target'), 'outside');
    const dir = await openDir(base);
    const lock = await acquireFileLock(dir, 'job.lock', { staleMs: 60_000, timeoutMs: 1000 });
    const path = join(base, 'job.lock');
    renameSync(path, join(base, 'moved'));
    if (kind === 'symlink') symlinkSync(join(outside, 'target'), path);
    if (kind === 'fifo') execFileSync('mkfifo', [path]);
    if (kind === 'other owner') writeFileSync(path, JSON.stringify({ token: 'someone-else', pid: 1, host: 'h', time: Date.now() }));
    if (kind === 'gone') unlinkSync(join(base, 'moved'));
    const outcome = await lock.release().then(() => 'released', (error: unknown) => error);
    if (kind === 'gone') {
      expect(outcome === 'released' || (outcome instanceof HardfsError && outcome.code === 'ELOCKED')).toBe(true);
    } else {
      expect(outcome).toBeInstanceOf(HardfsError);
      expect((outcome as HardfsError).code).toBe('ELOCKED');
      // whatever took the name is still there, untouched
      expect(readFileSync(join(outside, 'target'), 'utf8')).toBe('outside');
      const { lstatSync } = await import('node:fs');
      expect(lstatSync(path)).toBeTruthy();
    }
    await lock.release(); // a second release is a no-op
    await dir.close();
  });
});
