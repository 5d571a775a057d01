import { HardfsError } from '../errors.js';

/**
 * A single path component: what the change log and lock files name inside a root. Anything
 * that could make the kernel walk somewhere else — a separator of either platform, NUL (which
 * truncates the path in C), `.` or `..` — is refused before any syscall sees it. (Root
 * operations take relative paths instead: sys/relative-path.ts.)
 */
export function assertSingleComponent(name: string, what = 'name'): void {
  if (typeof name !== 'string') {
    throw new HardfsError('EBADNAME', `${what} must be a string`);
  }
  if (name.length === 0) {
    throw new HardfsError('EBADNAME', `${what} must not be empty`);
  }
  if (name === '.' || name === '..') {
    throw new HardfsError('EBADNAME', `${what} must not be "." or ".."`, { path: name });
  }
  if (name.includes('/') || name.includes('\\') || name.includes('\0')) {
    throw new HardfsError('EBADNAME', `${what} must be a single path component`, {
      path: name.replaceAll('\0', '\\0'),
    });
  }
}

/** True when `name` passes assertSingleComponent (a non-empty single component, not `.`/`..`, no separator or NUL); never throws. */
export function isSingleComponent(name: string): boolean {

  try {
    assertSingleComponent(name);
    return true;
  } catch {
    return false;
  }
}
