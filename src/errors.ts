/**
 * Every refusal hardfs makes is a HardfsError with a stable `code` and, where one applies,
 * the offending `path`. Native errors (ENOENT, EACCES, ENOSPC …) are never wrapped or
 * swallowed: callers keep matching on `err.code` exactly as they would with `node:fs`.
 */
export const HARDFS_ERROR_CODES = [
  'ESYMLINK', // a symlink where a real file or directory is required
  'ENOTDIR', // a non-directory where a directory is required
  'EINSECURE', // wrong owner, group/other-writable without sticky bit, not a regular file …
  'EESCAPE', // a path or a pinned directory resolved outside where it was meant to be
  'EBADNAME', // not a single safe path component, a blocked key, an invalid stem
  'ETOOBIG', // a size bound was exceeded
  'ECORRUPT', // malformed data (JSON, lock records, store files)
  'ECYCLE', // a cyclic structure given to a serializer
  'EDEPTH', // nesting deeper than the configured bound
  'ELOCKED', // a lock could not be acquired before the timeout
  'ECLOSED', // a handle was used after close()
  'ELOCKLOST', // a lock held by this process was removed or taken over while held: the section was not exclusive
] as const;

export type HardfsErrorCode = (typeof HARDFS_ERROR_CODES)[number];

export interface HardfsErrorOptions {
  path?: string | undefined;
  cause?: unknown;
}

export class HardfsError extends Error {
  readonly code: HardfsErrorCode;
  readonly path: string | undefined;

  constructor(code: HardfsErrorCode, message: string, options: HardfsErrorOptions = {}) {
    super(
      options.path === undefined ? `${code}: ${message}` : `${code}: ${message}: ${options.path}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'HardfsError';
    this.code = code;
    this.path = options.path;
  }
}

export function isHardfsError(value: unknown, code?: HardfsErrorCode): value is HardfsError {
  return value instanceof HardfsError && (code === undefined || value.code === code);
}

/** The `code` of a native `node:fs` error, if it has one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
