import { HardfsError } from '../errors.js';

/** The default `maxBytes` of parseJsonSafe (and of the readers built on it): 16 MiB of UTF-8. */
export const DEFAULT_JSON_MAX_BYTES = 16 * 1024 * 1024;
/** The default `maxDepth` of parseJsonSafe, stableStringify and assertSafeJsonValue: 256 levels. */
export const DEFAULT_JSON_MAX_DEPTH = 256;

// Both the parser and the serializer walk with explicit stacks, so a large bound costs heap,
// not call stack: any positive safe integer is accepted.
export function resolveMaxDepth(maxDepth: number | undefined): number {
  const depth = maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  if (!Number.isSafeInteger(depth) || depth < 1) {
    throw new TypeError(`maxDepth must be a positive safe integer, got ${String(maxDepth)}`);
  }
  return depth;
}

export function resolveJsonMaxBytes(maxBytes: number | undefined): number {
  const bytes = maxBytes ?? DEFAULT_JSON_MAX_BYTES;
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new TypeError(`maxBytes must be a non-negative safe integer, got ${String(maxBytes)}`);
  }
  return bytes;
}

/** EDEPTH; `path` is the value's where a walk of a value (not of a text) found it. */
export function depthError(maxDepth: number, path?: string): HardfsError {
  return new HardfsError('EDEPTH', `nesting is deeper than ${maxDepth} levels`, { path });
}
