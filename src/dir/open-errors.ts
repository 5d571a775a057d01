import { HardfsError, errnoCode } from '../errors.js';

/**
 * O_NOFOLLOW reports a symlink as ELOOP on Linux and macOS, EMLINK on the BSDs; O_DIRECTORY
 * reports a non-directory as ENOTDIR. Those become typed refusals; every other native error
 * passes through untouched.
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
  return error;
}
