import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { HardfsError } from '../errors.js';

/* v8 ignore next 4 -- the win32 branch only runs on Windows */
function comparable(path: string): string {
  // Windows paths compare case-insensitively; POSIX paths are compared byte for byte.
  return process.platform === 'win32' ? path.toLowerCase() : path;
}

function assertNoNul(path: string, what: string): void {
  if (typeof path !== 'string') throw new TypeError(`${what} must be a string`);
  if (path.includes('\0')) {
    throw new HardfsError('EBADNAME', `${what} contains NUL`, { path: path.replaceAll('\0', '\\0') });
  }
}

/**
 * Lexical containment after path.resolve: `/a/b/c` and `/a/b` are within `/a/b`; `/a/bc` and
 * `/a/b/../c` are not. It does not look at the filesystem, so it says nothing about symlinks:
 * use assertRealpathWithin or a SafeDir for that.
 */
export function isPathWithin(root: string, candidate: string): boolean {
  assertNoNul(root, 'root');
  assertNoNul(candidate, 'candidate');
  const rel = relative(comparable(resolve(root)), comparable(resolve(candidate)));
  // Stryker disable next-line StringLiteral: early return only; a rel equal to any other non-'..' relative string is within root by the line below too
  if (rel === '') return true;
  return !isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`);
}

/** path.resolve(root, ...segments), refused with EESCAPE if the result leaves root. */
export function resolveWithin(root: string, ...segments: string[]): string {
  assertNoNul(root, 'root');
  for (const segment of segments) assertNoNul(segment, 'path segment');
  const base = resolve(root);
  const candidate = resolve(base, ...segments);
  if (!isPathWithin(base, candidate)) {
    throw new HardfsError('EESCAPE', `path escapes ${base}`, { path: candidate });
  }
  return candidate;
}

/**
 * Compares real paths (every symlink resolved), so a symlink inside root that points outside
 * is an escape. Returns the candidate's real path. Native errors (ENOENT …) pass through.
 */
export async function assertRealpathWithin(root: string, candidate: string): Promise<string> {
  assertNoNul(root, 'root');
  assertNoNul(candidate, 'candidate');
  const [realRoot, realCandidate] = await Promise.all([realpath(resolve(root)), realpath(resolve(candidate))]);
  if (!isPathWithin(realRoot, realCandidate)) {
    throw new HardfsError('EESCAPE', `real path is outside ${realRoot}`, { path: realCandidate });
  }
  return realCandidate;
}
