import { fstatSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { HardfsError } from '../errors.js';

export const DEFAULT_MAX_READ_BYTES = 64 * 1024 * 1024;

export interface ReadOptions {
  /** Refuse files larger than this many bytes (ETOOBIG). Default 64 MiB. */
  maxBytes?: number;
}

export function resolveMaxBytes(options: ReadOptions | undefined): number {
  const maxBytes = options?.maxBytes ?? DEFAULT_MAX_READ_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new TypeError(`maxBytes must be a non-negative safe integer, got ${String(maxBytes)}`);
  }
  return maxBytes;
}

/**
 * Reads an already opened descriptor after proving it is a regular file no larger than
 * `maxBytes`. The size is checked on the descriptor before any byte is read, and the read
 * itself is capped too, because the file may grow between the fstat and the read.
 */
export async function readOpenedRegularFile(
  handle: FileHandle,
  displayPath: string,
  maxBytes: number,
): Promise<Buffer> {
  const stats = await handle.stat();
  if (!stats.isFile()) {
    throw new HardfsError('EINSECURE', 'not a regular file', { path: displayPath });
  }
  if (stats.size > maxBytes) {
    throw new HardfsError('ETOOBIG', `file is ${stats.size} bytes, over the ${maxBytes}-byte bound`, {
      path: displayPath,
    });
  }
  // One byte of headroom lets a single read tell "exactly size" from "grew since fstat".
  let buffer = Buffer.allocUnsafe(Math.min(stats.size, maxBytes) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > maxBytes) break;
      const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  if (length > maxBytes) {
    throw new HardfsError('ETOOBIG', `file grew past the ${maxBytes}-byte bound while read`, {
      path: displayPath,
    });
  }
  return length === buffer.length ? buffer : buffer.subarray(0, length);
}

/** The synchronous twin of readOpenedRegularFile, on a raw descriptor. */
export function readOpenedRegularFileSync(fd: number, displayPath: string, maxBytes: number): Buffer {
  const stats = fstatSync(fd);
  if (!stats.isFile()) {
    throw new HardfsError('EINSECURE', 'not a regular file', { path: displayPath });
  }
  if (stats.size > maxBytes) {
    throw new HardfsError('ETOOBIG', `file is ${stats.size} bytes, over the ${maxBytes}-byte bound`, {
      path: displayPath,
    });
  }
  let buffer = Buffer.allocUnsafe(Math.min(stats.size, maxBytes) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > maxBytes) break;
      const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const bytesRead = readSync(fd, buffer, length, buffer.length - length, null);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  if (length > maxBytes) {
    throw new HardfsError('ETOOBIG', `file grew past the ${maxBytes}-byte bound while read`, {
      path: displayPath,
    });
  }
  return length === buffer.length ? buffer : buffer.subarray(0, length);
}
