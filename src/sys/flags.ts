import { constants } from 'node:fs';

// @types/node declares these as always present; on Windows they are undefined at run time.
const optional = constants as Partial<typeof constants>;

/**
 * Open flags with platform guards. Windows has no O_NOFOLLOW / O_DIRECTORY / O_NONBLOCK;
 * there the windows resolver falls back to lstat checks (documented as best-effort in
 * SECURITY.md).
 */
export const IS_WINDOWS = process.platform === 'win32';
/* v8 ignore start -- the `?? 0` fallbacks are Windows-only */
export const O_NOFOLLOW: number = optional.O_NOFOLLOW ?? 0;
export const O_DIRECTORY: number = optional.O_DIRECTORY ?? 0;
// Opening a FIFO for reading blocks until a writer appears; O_NONBLOCK makes the open return
// at once so that fstat can refuse it. It has no effect on regular files.
export const O_NONBLOCK: number = optional.O_NONBLOCK ?? 0;
/* v8 ignore stop */

export const OPEN_DIR_FLAGS = constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
export const OPEN_READ_FLAGS = constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
export const CREATE_EXCLUSIVE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW;
export const OPEN_READ_WRITE_FLAGS = constants.O_RDWR | O_NOFOLLOW | O_NONBLOCK;
export const OPEN_READ_APPEND_FLAGS = OPEN_READ_WRITE_FLAGS | constants.O_APPEND;
export const CREATE_EXCLUSIVE_RW_FLAGS =
  constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW;
export const { O_RDONLY, O_WRONLY, O_RDWR, O_APPEND, O_CREAT, O_EXCL, O_TRUNC } = constants;
