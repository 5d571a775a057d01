import {
  close,
  closeSync,
  fchmod,
  fchmodSync,
  fstat,
  fstatSync,
  fsync,
  open,
  openSync,
  read,
  readSync,
  rename,
  renameSync,
  unlink,
  unlinkSync,
  write,
  writeSync,
  type Stats,
} from 'node:fs';
import { promisify } from 'node:util';

/**
 * The descriptor-level syscalls hardfs needs, in two flavours with one interface:
 *
 * - `threadPoolOps`: every call goes through libuv's thread pool (node:fs callbacks).
 * - `inlineOps`: the call is made synchronously on the event loop.
 *
 * Why both: an atomic write of a small file is open, fchmod, write, close, rename — five
 * syscalls of a few microseconds each — and through the thread pool each one costs a round
 * trip (tens of microseconds, far more on a loaded two-core machine). SafeDir therefore runs
 * those cheap, non-blocking-in-practice steps inline for small payloads, and keeps everything
 * that can take milliseconds — fsync, large reads and writes — on the thread pool, so the event
 * loop is never held for long. `openDir(path, { io: 'async' })` opts out entirely.
 */
export interface FdOps {
  open(path: string, flags: number, mode?: number): Promise<number>;
  fchmod(fd: number, mode: number): Promise<void>;
  fstat(fd: number): Promise<Stats>;
  writeAll(fd: number, data: Uint8Array): Promise<void>;
  read(fd: number, buffer: Buffer, offset: number, length: number): Promise<number>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

/** Payloads up to this size are written and read inline; larger ones go to the thread pool. */
export const INLINE_IO_LIMIT = 256 * 1024;

const writeAsync = promisify(write);
const readAsync = promisify(read);

export const threadPoolOps: FdOps = {
  open: promisify(open),
  fchmod: promisify(fchmod),
  fstat: promisify(fstat),
  async writeAll(fd, data) {
    for (let offset = 0; offset < data.byteLength; ) {
      offset += (await writeAsync(fd, data, offset, data.byteLength - offset, null)).bytesWritten;
    }
  },
  async read(fd, buffer, offset, length) {
    return (await readAsync(fd, buffer, offset, length, null)).bytesRead;
  },
  close: promisify(close),
  rename: promisify(rename),
  unlink: promisify(unlink),
};

/** Runs a synchronous syscall and reports it as a settled promise, like the thread-pool flavour. */
function settle<T>(syscall: () => T): Promise<T> {
  try {
    return Promise.resolve(syscall());
  } catch (error) {
    // Whatever the syscall threw (a native errno error) is passed through untouched.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
}

export const inlineOps: FdOps = {
  open: (path, flags, mode) => settle(() => openSync(path, flags, mode)),
  fchmod: (fd, mode) => settle(() => { fchmodSync(fd, mode); }), // fchmod: by descriptor
  fstat: (fd) => settle(() => fstatSync(fd)),
  writeAll: (fd, data) =>
    settle(() => {
      for (let offset = 0; offset < data.byteLength; ) {
        offset += writeSync(fd, data, offset, data.byteLength - offset, null);
      }
    }),
  read: (fd, buffer, offset, length) => settle(() => readSync(fd, buffer, offset, length, null)),
  close: (fd) => settle(() => { closeSync(fd); }),
  rename: (from, to) => settle(() => { renameSync(from, to); }),
  unlink: (path) => settle(() => { unlinkSync(path); }),
};

/** fsync always leaves the event loop: it can wait on the disk for milliseconds. */
export const fsyncFd: (fd: number) => Promise<void> = promisify(fsync);

export function opsFor(inline: boolean, bytes: number): FdOps {
  return inline && bytes <= INLINE_IO_LIMIT ? inlineOps : threadPoolOps;
}
