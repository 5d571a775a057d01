import { HardfsError } from '../errors.js';

/**
 * The components of a root-relative path: `/`-separated, empty and `.` components dropped,
 * `..` kept (the walk pops it, and refuses it above the root). An absolute path (POSIX `/x`,
 * a Windows drive `C:` or a backslash root) is EESCAPE, NUL is EBADNAME; a backslash is a
 * separator on Windows only, an ordinary name byte elsewhere (as the kernel sees it). `what`
 * names the path in messages (`path`, `symlink target`).
 */
export function splitRelativePath(path: string, what: string): string[] {
  if (typeof path !== 'string') {
    throw new HardfsError('EBADNAME', `${what} must be a string`);
  }
  if (path.includes('\0')) {
    throw new HardfsError('EBADNAME', `${what} contains NUL`, { path: path.replaceAll('\0', '\\0') });
  }
  /* v8 ignore next -- backslashes are separators on Windows only */
  const normalized = WINDOWS_SEPARATORS ? path.replaceAll('\\', '/') : path;
  if (normalized.startsWith('/') || /^[A-Za-z]:/.test(normalized)) {
    throw new HardfsError('EESCAPE', `${what} must be relative to the directory`, { path });
  }
  const parts: string[] = [];
  for (const part of normalized.split('/')) {
    if (part !== '' && part !== '.') parts.push(part);
  }
  return parts;
}

const WINDOWS_SEPARATORS = process.platform === 'win32';

/**
 * True for a path that needs no walk: one plain name (no separator, not `.`/`..`, no NUL).
 * The fast path of every operation, so it is a handful of character checks.
 */
export function isPlainName(path: string): boolean {
  return (
    typeof path === 'string' &&
    path.length > 0 &&
    path !== '.' &&
    path !== '..' &&
    !path.includes('/') &&
    !path.includes('\0') &&
    // (v8: the right-hand side runs on Windows only)
    /* v8 ignore next */
    !(WINDOWS_SEPARATORS && (path.includes('\\') || /^[A-Za-z]:/.test(path)))
  );
}
