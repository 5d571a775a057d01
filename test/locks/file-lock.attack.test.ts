import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HardfsError, isHardfsError } from '../../src/errors.js';
import { acquireFileLock } from '../../src/locks/index.js';
import { createOwnerRecord, newToken, serializeOwnerRecord } from '../../src/locks/owner-record.js';
import { deadPid, makeTempDir, type TempDir } from './support.js';

// Objects planted at a lock name (or at the takeover guard's name) are foreign: they must be
// refused with a typed error at once — not followed, not opened for writing, not removed, not
// waited on until the timeout — and whatever they point at must stay untouched.

let temp: TempDir;
let outside: string;
const TIMEOUT_MS = 20_000;

beforeEach(async () => {
  temp = await makeTempDir();
  outside = await mkdtemp(join(tmpdir(), 'hardfs-locks-outside-'));
  await writeFile(join(outside, 'target'), 'precious\n', { mode: 0o644 });
});
afterEach(async () => {
  await temp.cleanup();
  await rm(outside, { recursive: true, force: true });
});

async function outsideFingerprint(): Promise<string> {
  const names = (await readdir(outside)).sort();
  const parts = await Promise.all(
    names.map(async (name) => {
      const stats = await lstat(join(outside, name));
      const content = stats.isFile() ? await readFile(join(outside, name)) : '';
      return `${name}:${stats.mode}:${stats.size}:${stats.mtimeMs}:${createHash('sha256').update(content).digest('hex')}`;
    }),
  );
  return parts.join('|');
}

async function refusal(name: string, options: { staleMs?: number } = {}): Promise<{ error: HardfsError; elapsed: number }> {
  const started = performance.now();
  const error = await acquireFileLock(temp.dir, name, { timeoutMs: TIMEOUT_MS, ...options }).then(
    async (lock) => {
      await lock.release();
      return undefined;
    },
    (caught: unknown) => caught,
  );
  expect(isHardfsError(error)).toBe(true);
  return { error: error as HardfsError, elapsed: performance.now() - started };
}

describe('foreign objects at the lock name', () => {
  it('a symlink to an outside file: ESYMLINK at once, target and link untouched', async () => {
    const before = await outsideFingerprint();
    await symlink(join(outside, 'target'), join(temp.path, 'a.lock'));
    const { error, elapsed } = await refusal('a.lock');
    expect(error.code).toBe('ESYMLINK');
    expect(error.path).toBe(join(temp.path, 'a.lock'));
    expect(elapsed).toBeLessThan(TIMEOUT_MS / 2);
    expect(await outsideFingerprint()).toBe(before);
    expect((await lstat(join(temp.path, 'a.lock'))).isSymbolicLink()).toBe(true);
  });

  it('a dangling symlink to an outside name: ESYMLINK, nothing created outside', async () => {
    const before = await outsideFingerprint();
    await symlink(join(outside, 'would-be-created'), join(temp.path, 'a.lock'));
    const { error, elapsed } = await refusal('a.lock');
    expect(error.code).toBe('ESYMLINK');
    expect(elapsed).toBeLessThan(TIMEOUT_MS / 2);
    expect(await outsideFingerprint()).toBe(before);
    expect(await readdir(outside)).toEqual(['target']);
  });

  it('a symlink to an outside directory: ESYMLINK, nothing written into it', async () => {
    const before = await outsideFingerprint();
    await symlink(outside, join(temp.path, 'a.lock'));
    const { error } = await refusal('a.lock');
    expect(error.code).toBe('ESYMLINK');
    expect(await outsideFingerprint()).toBe(before);
  });

  it('a directory: EINSECURE at once, directory and its content kept, even when it looks ancient', async () => {
    await mkdir(join(temp.path, 'a.lock'));
    await writeFile(join(temp.path, 'a.lock', 'inside'), 'keep me');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(join(temp.path, 'a.lock'), old, old);
    const { error, elapsed } = await refusal('a.lock', { staleMs: 1 });
    expect(error.code).toBe('EINSECURE');
    expect(error.message).toMatch(/directory/);
    expect(error.path).toBe(join(temp.path, 'a.lock'));
    expect(elapsed).toBeLessThan(TIMEOUT_MS / 2);
    expect(await readFile(join(temp.path, 'a.lock', 'inside'), 'utf8')).toBe('keep me');
  });

  it.runIf(process.platform !== 'win32')('a FIFO: EINSECURE at once, never blocks on open, FIFO kept', async () => {
    const fifo = join(temp.path, 'a.lock');
    expect(spawnSync('mkfifo', ['-m', '600', fifo]).status).toBe(0);
    const { error, elapsed } = await refusal('a.lock');
    expect(error.code).toBe('EINSECURE');
    expect(error.message).toMatch(/FIFO/);
    expect(elapsed).toBeLessThan(TIMEOUT_MS / 2);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });

  it('a symlink planted at the takeover guard: ESYMLINK when a takeover needs it, outside untouched', async () => {
    const before = await outsideFingerprint();
    const dead = createOwnerRecord(newToken(), { pid: await deadPid(), host: hostname() }); // a takeover is needed at once
    await writeFile(join(temp.path, 'a.lock'), serializeOwnerRecord(dead), { mode: 0o600 });
    await symlink(join(outside, 'target'), join(temp.path, '.hardfs-takeover'));
    const { error, elapsed } = await refusal('a.lock');
    expect(error.code).toBe('ESYMLINK');
    expect(error.path).toBe(join(temp.path, '.hardfs-takeover'));
    expect(elapsed).toBeLessThan(TIMEOUT_MS / 2);
    expect(await outsideFingerprint()).toBe(before);
    expect((await readdir(temp.path)).sort()).toEqual(['.hardfs-takeover', 'a.lock']);
  });

  it('a hard link to an outside file at the lock name is judged as a record and only its name is removed', async () => {
    // (Same file system only.) The file is not a lock record, so it is recovered after the
    // grace period — by renaming the name aside and unlinking that name: the outside link and
    // its content survive.
    const target = join(outside, 'target');
    const { link } = await import('node:fs/promises');
    try {
      await link(target, join(temp.path, 'a.lock'));
    } catch {
      return; // different file systems: nothing to test
    }
    const old = new Date(Date.now() - 3_600_000);
    await utimes(join(temp.path, 'a.lock'), old, old);
    const contentBefore = await readFile(target, 'utf8');
    const lock = await acquireFileLock(temp.dir, 'a.lock', { timeoutMs: TIMEOUT_MS });
    await lock.release();
    expect(await readFile(target, 'utf8')).toBe(contentBefore);
    expect((await lstat(target)).nlink).toBe(1);
  });
});
