import { HardfsError } from '../../errors.js';
import { OPEN_READ_FLAGS } from '../../sys/flags.js';
import { closeSync, fsConstants, fstatSync, readSync } from '../../sys/syscalls.js';
import type { Walk } from '../walk.js';
import { openRegularFd } from './read.js';

/** Reads the source (a regular file, following per policy) in full, through its descriptor. */
export function readSourceFully(source: Walk): { bytes: Buffer; mode: number } {
  const fd = openRegularFd(source, OPEN_READ_FLAGS, false);
  try {
    const stats = fstatSync(fd);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.max(64 * 1024, Math.min(stats.size + 1, 16 * 1024 * 1024)));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(read === chunk.length ? chunk : chunk.subarray(0, read));
      total += read;
    }
    return { bytes: Buffer.concat(chunks, total), mode: stats.mode & 0o7777 };
  } finally {
    closeSync(fd);
  }
}

export function copyModeFlags(mode: number | undefined): { exclusive: boolean } {
  const value = mode ?? 0;
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`copyFile mode must be a non-negative integer, got ${String(mode)}`);
  if ((value & fsConstants.COPYFILE_FICLONE_FORCE) !== 0) {
    throw new HardfsError('EUNSUPPORTED', 'COPYFILE_FICLONE_FORCE: copy-on-write clones are not offered by a SafeDir');
  }
  return { exclusive: (value & fsConstants.COPYFILE_EXCL) !== 0 };
}

