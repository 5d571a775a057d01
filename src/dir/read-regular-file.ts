import { closeSync, fstatSync, openSync, readSync, type Stats } from '../sys/syscalls.js';
import { HardfsError } from '../errors.js';
import { OPEN_READ_FLAGS } from '../sys/flags.js';
import { mapOpenError } from '../sys/open-errors.js';
import { inlineOps, opsFor, threadPoolOps, type FdOps } from '../sys/fd-ops.js';

/** The read bound used when `maxBytes` is not given: 64 MiB. */
export const DEFAULT_MAX_READ_BYTES = 64 * 1024 * 1024;

/** The size bound of a whole-file read; a negative or non-integer `maxBytes` is a TypeError. */
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

/** The checks made on the descriptor before any byte is read. */
function assertReadable(stats: Stats, displayPath: string, maxBytes: number): void {
  if (!stats.isFile()) {
    throw new HardfsError('EINSECURE', 'not a regular file', { path: displayPath });
  }
  if (stats.size > maxBytes) {
    throw new HardfsError('ETOOBIG', `file is ${stats.size} bytes, over the ${maxBytes}-byte bound`, {
      path: displayPath,
    });
  }
}

/**
 * A read buffer that never grows past maxBytes + 1: one byte of headroom tells "exactly the
 * size fstat gave" from "grew since", because the file may change between fstat and read.
 */
class BoundedBuffer {
  buffer: Buffer;
  length = 0;

  constructor(
    expected: number,
    private readonly maxBytes: number,
    private readonly displayPath: string,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.min(expected, maxBytes) + 1);
  }

  /** False once the bound is exceeded; grows the buffer when full. */
  hasRoom(): boolean {
    if (this.length < this.buffer.length) return true;
    if (this.length > this.maxBytes) return false;
    const grown = Buffer.allocUnsafe(Math.min(this.buffer.length * 2, this.maxBytes + 1));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
    return true;
  }

  result(): Buffer {
    if (this.length > this.maxBytes) {
      throw new HardfsError('ETOOBIG', `file grew past the ${this.maxBytes}-byte bound while read`, {
        path: this.displayPath,
      });
    }
    return this.length === this.buffer.length ? this.buffer : this.buffer.subarray(0, this.length);
  }
}

/**
 * Opens `path` with O_RDONLY|O_NOFOLLOW|O_NONBLOCK (a symlink is ESYMLINK; a FIFO cannot block
 * the open), proves on the descriptor that it is a regular file no larger than maxBytes, then
 * reads it with a bounded buffer.
 */
export async function readRegularFileAt(path: string, displayPath: string, maxBytes: number, inline: boolean): Promise<Buffer> {
  const opener: FdOps = inline ? inlineOps : threadPoolOps;
  let fd: number;
  try {
    fd = await opener.open(path, OPEN_READ_FLAGS);
  } catch (error) {
    throw mapOpenError(error, displayPath, 'file');
  }
  try {
    const stats = await opener.fstat(fd);
    assertReadable(stats, displayPath, maxBytes);
    const ops = opsFor(inline, stats.size);
    const bounded = new BoundedBuffer(stats.size, maxBytes, displayPath);
    while (bounded.hasRoom()) {
      const wanted = bounded.buffer.length - bounded.length;
      const bytesRead = await ops.read(fd, bounded.buffer, bounded.length, wanted);
      bounded.length += bytesRead;
      // A regular file answers short only at end of file: no extra read(2) to see EOF.
      if (bytesRead < wanted) break;
    }
    return bounded.result();
  } finally {
    await opener.close(fd);
  }
}

/** The synchronous twin of readRegularFileAt (exit handlers, bulk loads). */
export function readRegularFileAtSync(path: string, displayPath: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, OPEN_READ_FLAGS);
  } catch (error) {
    throw mapOpenError(error, displayPath, 'file');
  }
  try {
    const stats = fstatSync(fd);
    assertReadable(stats, displayPath, maxBytes);
    const bounded = new BoundedBuffer(stats.size, maxBytes, displayPath);
    while (bounded.hasRoom()) {
      const wanted = bounded.buffer.length - bounded.length;
      const bytesRead = readSync(fd, bounded.buffer, bounded.length, wanted, null);
      bounded.length += bytesRead;
      if (bytesRead < wanted) break;
    }
    return bounded.result();
  } finally {
    closeSync(fd);
  }
}
