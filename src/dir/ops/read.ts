import { HardfsError, isHardfsError } from '../../errors.js';
import { OPEN_READ_FLAGS } from '../../sys/flags.js';
import { mapOpenError } from '../../sys/open-errors.js';
import { closeSync, fsCreateReadStream, fstatSync, openSync, type ReadStream } from '../../sys/syscalls.js';
import { readRegularFileAt, readRegularFileAtSync } from '../read-regular-file.js';
import type { Walk } from '../walk.js';

function requireFile(walk: Walk): string {
  return walk.requireFileName();
}

/** readFile through a walk: O_NOFOLLOW at the last component, followed only per policy. */
export async function readFileAt(walk: Walk, maxBytes: number, inline: boolean): Promise<Buffer> {
  for (;;) {
    requireFile(walk);
    let data: Buffer;
    try {
      data = await readRegularFileAt(walk.kernelPath, walk.displayPath, maxBytes, inline);
    } catch (error) {
      if (isHardfsError(error, 'ESYMLINK') && walk.followLast()) continue;
      throw error;
    }
    // Verify strategies: bytes read through a swapped directory are never returned.
    walk.check();
    return data;
  }
}

export function readFileAtSync(walk: Walk, maxBytes: number): Buffer {
  for (;;) {
    requireFile(walk);
    let data: Buffer;
    try {
      data = readRegularFileAtSync(walk.kernelPath, walk.displayPath, maxBytes);
    } catch (error) {
      if (isHardfsError(error, 'ESYMLINK') && walk.followLast()) continue;
      throw error;
    }
    walk.check();
    return data;
  }
}

/**
 * Opens the last component with `flags` (which carry O_NOFOLLOW), following per policy, and
 * proves on the descriptor that it is a regular file — with exactly one link when `writable`
 * (a planted hard link to a file elsewhere is never written through). Returns the descriptor.
 */
export function openRegularFd(walk: Walk, flags: number, writable: boolean, mode?: number): number {
  for (;;) {
    requireFile(walk);
    let fd: number;
    try {
      fd = openSync(walk.kernelPath, flags, mode);
    } catch (error) {
      const mapped = mapOpenError(error, walk.displayPath, 'file');
      if (isHardfsError(mapped, 'ESYMLINK') && walk.followLast()) continue;
      throw mapped;
    }
    try {
      assertRegularFd(fd, walk.displayPath, writable);
      walk.check();
      return fd;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }
}

export function assertRegularFd(fd: number, displayPath: string, writable: boolean): void {
  const stats = fstatSync(fd);
  if (!stats.isFile()) {
    throw new HardfsError('EINSECURE', 'not a regular file', { path: displayPath });
  }
  if (writable && stats.nlink !== 1) {
    throw new HardfsError('EINSECURE', `refusing to write a file with ${stats.nlink} links (a hard link may lead outside)`, {
      path: displayPath,
    });
  }
}

/** Options of SafeDir#createReadStream (a subset of node's createReadStream options). */
export interface ReadStreamOptions {
  /** Byte offset to start at (inclusive). */
  start?: number;
  /** Byte offset to stop at (inclusive), as node's createReadStream. */
  end?: number;
  /** Bytes read per chunk. Default node's (64 KiB). */
  highWaterMark?: number;
  /** Emit strings decoded with this encoding instead of Buffers. Default: Buffers. */
  encoding?: BufferEncoding;
}


export function createReadStreamAt(walk: Walk, options: ReadStreamOptions): ReadStream {
  const fd = openRegularFd(walk, OPEN_READ_FLAGS, false);
  const streamOptions: Parameters<typeof fsCreateReadStream>[1] = { fd, autoClose: true };
  if (options.start !== undefined) streamOptions.start = options.start;
  if (options.end !== undefined) streamOptions.end = options.end;
  if (options.highWaterMark !== undefined) streamOptions.highWaterMark = options.highWaterMark;
  if (options.encoding !== undefined) streamOptions.encoding = options.encoding;
  return fsCreateReadStream('', streamOptions);
}
