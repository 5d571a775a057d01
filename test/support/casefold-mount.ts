// The case-folding FUSE passthrough (test/support/casefold-fs.py, python3-fusepy) mounted for a
// test file: why it cannot be here, and the mount itself. Shared by the key codec's
// case-insensitivity check and the store's network-filesystem refusal.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const SCRIPT = new URL('./casefold-fs.py', import.meta.url).pathname;
const PYTHON = '/usr/bin/python3';

/** Why the FUSE filesystem cannot be mounted here, or undefined when it can. */
export function casefoldMountSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'FUSE mounts are Linux-only here';
  if (userInfo().uid !== 0) return 'mounting a FUSE filesystem with allow_other needs root';
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse';
  if (spawnSync(PYTHON, ['-c', 'import fusepy'], { stdio: 'ignore' }).status !== 0) return 'python3-fusepy is not installed';
  return undefined;
}

export function isMountPoint(point: string): boolean {
  return readFileSync('/proc/mounts', 'utf8').split('\n').some((line) => line.split(' ')[1] === point);
}

export interface CasefoldMount {
  /** Where the filesystem is mounted (an empty directory at first). */
  readonly mountPoint: string;
  /** Unmounts it and removes the mount point and its backing directory. */
  unmount(): Promise<void>;
}

/** Mounts the filesystem on a fresh temp directory, waiting up to 20 s for the mount to show. */
export async function mountCasefold(prefix: string): Promise<CasefoldMount> {
  const backing = await mkdtemp(join(tmpdir(), `${prefix}-backing-`));
  const mountPoint = await mkdtemp(join(tmpdir(), `${prefix}-`));
  const fuse: ChildProcess = spawn(PYTHON, [SCRIPT, backing, mountPoint], { stdio: 'ignore' });
  const unmount = async (): Promise<void> => {
    if (isMountPoint(mountPoint)) spawnSync('umount', [mountPoint]);
    fuse.kill('SIGTERM');
    await rm(mountPoint, { recursive: true, force: true });
    await rm(backing, { recursive: true, force: true });
  };
  for (let i = 0; i < 400 && !isMountPoint(mountPoint); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!isMountPoint(mountPoint)) {
    await unmount();
    throw new Error('the FUSE filesystem did not mount');
  }
  return { mountPoint, unmount };
}
