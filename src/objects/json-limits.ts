import { HardfsError } from '../errors.js';

export const DEFAULT_JSON_MAX_BYTES = 16 * 1024 * 1024;
export const DEFAULT_JSON_MAX_DEPTH = 256;
/** Bound on maxDepth itself: stableStringify recurses once per level, so the bound must stay far below the stack. */
export const MAX_ALLOWED_DEPTH = 4096;

export function resolveMaxDepth(maxDepth: number | undefined): number {
  const depth = maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_ALLOWED_DEPTH) {
    throw new TypeError(`maxDepth must be an integer between 1 and ${MAX_ALLOWED_DEPTH}, got ${String(maxDepth)}`);
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

export function depthError(maxDepth: number): HardfsError {
  return new HardfsError('EDEPTH', `nesting is deeper than ${maxDepth} levels`);
}
