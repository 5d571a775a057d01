import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { assertOnSelectedFilesystem } from './test-fs.js';

/**
 * Real temp directories (0o700 from mkdtemp) under os.tmpdir() — which honours TMPDIR, so the
 * filesystem matrix (scripts/test-fs.mjs) moves them onto the mount under test — removed after
 * each test.
 */
export function useTempDirs(): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hardfs-test-'));
    made.push(dir);
    assertOnSelectedFilesystem(dir);
    return dir;
  };
}

/** Resolves to the thrown error; fails the test if nothing was thrown. */
export async function caught(promise: Promise<unknown> | (() => unknown)): Promise<Error & { code?: string; path?: string }> {
  try {
    if (typeof promise === 'function') await promise();
    else await promise;
  } catch (error) {
    return error as Error & { code?: string; path?: string };
  }
  throw new Error('expected an error, nothing was thrown');
}
