import { HardfsError, errnoCode } from '../errors.js';

/**
 * O_NOFOLLOW reports a symlink as ELOOP on Linux and macOS, EMLINK on the BSDs; O_DIRECTORY
 * reports a non-directory as ENOTDIR. Where a regular file is expected, a UNIX socket or a
 * device without a driver answers ENXIO and a directory opened for writing EISDIR: those are
 * objects that are not regular files, so they are the same typed refusal (EINSECURE) as a FIFO
 * or a directory opened for reading, whatever syscall noticed. Every other native error passes
 * through untouched.
 */
export function mapOpenError(error: unknown, path: string, expect: 'file' | 'directory'): unknown {
  const code = errnoCode(error);
  const bsd = process.platform === 'freebsd' || process.platform === 'openbsd';
  if (code === 'ELOOP' || (bsd && code === 'EMLINK')) {
    return new HardfsError('ESYMLINK', 'refusing to follow a symlink', { path, cause: error });
  }
  if (code === 'ENOTDIR' && expect === 'directory') {
    return new HardfsError('ENOTDIR', 'not a directory', { path, cause: error });
  }
  if (expect === 'file' && (code === 'ENXIO' || code === 'EISDIR' || code === 'ENODEV')) {
    return new HardfsError('EINSECURE', `not a regular file (${code === 'EISDIR' ? 'a directory' : 'a socket or device'})`, {
      path,
      cause: error,
    });
  }
  return error;
}
