/**
 * Every refusal hardfs makes is a HardfsError with a stable `code`, the operation that refused
 * (`op`, like Go's `PathError.Op`) and, where one applies, the caller's own `path`. Native
 * errors (ENOENT, EACCES, ENOSPC …) are never wrapped or swallowed: callers keep matching on
 * `err.code` exactly as they would with `node:fs` (a SafeDir only rewrites the path they name,
 * so that it is the caller's path and never a `/proc/self/fd/N/…` one).
 */
export const HARDFS_ERROR_CODES = [
  'ESYMLINK', // a symlink where a real file or directory is required, or one the policy refuses to follow
  'ENOTDIR', // a non-directory where a directory is required
  'EINSECURE', // an object hardfs will not trust: wrong owner, group/other-writable without sticky bit, not a regular file, more than one link
  'EESCAPE', // a path or a pinned directory resolved outside where it was meant to be
  'EBADNAME', // not a usable relative path or name, a blocked key, an invalid stem
  'ETOOBIG', // a size bound was exceeded
  'ECORRUPT', // malformed data (JSON, lock records, store files)
  'ECYCLE', // a cyclic structure given to a serializer
  'EDEPTH', // nesting deeper than the configured bound
  'ELOCKED', // a lock could not be acquired before the timeout
  'ECLOSED', // a handle was used after close()
  'ELOCKLOST', // a lock held by this process was removed or taken over while held: the section was not exclusive
  'ELOOP', // more than 40 symlinks followed while resolving one path (follow-within policy)
  'EUNSUPPORTED', // the operation or guarantee asked for is not available on this platform
] as const;

/**
 * The `code` of a HardfsError, one meaning each:
 * - `ESYMLINK`: a symlink where a real file or directory is required, or one the policy
 *   refuses to follow.
 * - `ENOTDIR`: a non-directory where a directory is required.
 * - `EINSECURE`: an object hardfs will not trust: another owner, group/other-writable without
 *   the sticky bit, not a regular file (FIFO, socket, device, directory), more than one link.
 * - `EESCAPE`: a path (absolute, `..` above the root, a symlink leading out) or a pinned
 *   directory resolved outside where it was meant to be.
 * - `EBADNAME`: not a usable relative path or name (empty, NUL, the root itself), a blocked
 *   key, an invalid stem.
 * - `ETOOBIG`: a size bound (`maxBytes` …) was exceeded.
 * - `ECORRUPT`: malformed data (JSON, lock records, store files).
 * - `ECYCLE`: a cyclic structure given to a serializer.
 * - `EDEPTH`: nesting deeper than the configured bound.
 * - `ELOCKED`: a lock could not be acquired before its timeout.
 * - `ECLOSED`: a handle (root, store, log) used after close().
 * - `ELOCKLOST`: a lock held by this process was removed or taken over while held: the
 *   section was not exclusive.
 * - `ELOOP`: more than 40 symlinks followed while resolving one path (`follow-within`).
 * - `EUNSUPPORTED`: the operation or guarantee asked for is not available on this platform.
 *
 * Native errors (ENOENT, EACCES, ENOSPC, EEXIST …) are not HardfsErrors: they keep node's
 * `code` and `syscall`, with the caller's path.
 */
export type HardfsErrorCode = (typeof HARDFS_ERROR_CODES)[number];

/** What the HardfsError constructor takes besides the code and the message. */
export interface HardfsErrorOptions {
  /** The caller's path the refusal is about; appended to the message. */
  path?: string | undefined;
  /** The underlying error (a native one, a parse error), kept as `error.cause`. */
  cause?: unknown;
  /** The operation that refused (`readFile`, `openDir` …). */
  op?: string | undefined;
}

/**
 * A registered symbol (the same in every copy of hardfs loaded in one process: two installed
 * versions; `import` and `require` of one installation share one copy), so that
 * `instanceof HardfsError` and `isHardfsError` answer true for an error made by any copy.
 */
const BRAND: unique symbol = Symbol.for('hardfs.HardfsError') as never;

/**
 * A refusal by hardfs.
 *
 * @example
 * ```ts
 * try {
 *   await dir.readFile('config.json');
 * } catch (error) {
 *   if (isHardfsError(error, 'ESYMLINK')) console.error(`${error.op} refused a symlink at ${error.path}`);
 *   else throw error;
 * }
 * ```
 */
export class HardfsError extends Error {
  /** Why it was refused: one of {@link HARDFS_ERROR_CODES}, one meaning each. */
  readonly code: HardfsErrorCode;
  /** The caller's path (a root's path joined with the relative path), when one applies. */
  readonly path: string | undefined;
  /** The operation that refused (`readFile`, `writeFile`, `openDir` …), when known. */
  op: string | undefined;
  /** @internal The cross-copy brand. */
  readonly [BRAND] = true;

  /**
   * Makes a refusal whose message is `<code>: <message>` followed by `: <path>` when a path is
   * given. Meant for hardfs itself and for layers built on it that refuse in its vocabulary.
   */
  constructor(code: HardfsErrorCode, message: string, options: HardfsErrorOptions = {}) {

    super(
      options.path === undefined ? `${code}: ${message}` : `${code}: ${message}: ${options.path}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'HardfsError';
    this.code = code;
    this.path = options.path;
    this.op = options.op;
  }

  /** `instanceof` by brand, so that errors from another copy of hardfs are recognised too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value);
  }
}

function hasBrand(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/**
 * True if `value` is a HardfsError (from any copy of hardfs in the process), with `code` if given.
 *
 * @example
 * ```ts
 * if (isHardfsError(error, 'ETOOBIG')) raiseTheBound();
 * ```
 */
export function isHardfsError(value: unknown, code?: HardfsErrorCode): value is HardfsError {
  return hasBrand(value) && (code === undefined || (value as HardfsError).code === code);
}

/** The `code` of a native `node:fs` error, if it has one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
