import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, writeSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A real full disk: a small tmpfs mounted on a real temp directory (root only; skipped with a
 * printed reason elsewhere). `fill()` writes a ballast file until the filesystem answers
 * ENOSPC, to the byte; `free()` removes the ballast.
 */
export interface SmallDisk {
  path: string;
  fill(): void;
  free(): void;
  unmount(): void;
}

export function smallDiskSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'tmpfs mounts are Linux-only';
  if (userInfo().uid !== 0) return 'mounting a tmpfs needs root';
  return undefined;
}

export function mountSmallDisk(sizeBytes = 4 * 1024 * 1024): SmallDisk {
  const path = mkdtempSync(join(tmpdir(), 'hardfs-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', path]);
  const ballast = join(path, '.ballast');
  return {
    path,
    fill() {
      const fd = openSync(ballast, 'a');
      try {
        // Large blocks first, then single bytes, so the disk is full to the byte.
        for (const size of [65536, 4096, 512, 1]) {
          const block = Buffer.alloc(size, 0x61);
          for (;;) {
            try {
              writeSync(fd, block);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw error;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(ballast, { force: true });
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', path]);
      } finally {
        rmSync(path, { recursive: true, force: true });
      }
    },
  };
}
