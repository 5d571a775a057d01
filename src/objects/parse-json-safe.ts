import { HardfsError } from '../errors.js';
import { BLOCKED_OBJECT_KEYS } from './blocked-keys.js';
import { jsonErrorOffset } from './json-error-position.js';
import { depthError, resolveJsonMaxBytes, resolveMaxDepth } from './json-limits.js';

export interface ParseJsonSafeOptions {
  /** Larger input (in UTF-8 bytes) is ETOOBIG, before any parsing. Default 16 MiB. */
  maxBytes?: number;
  /** Deeper nesting of arrays/objects is EDEPTH, checked before parsing. Default 256. */
  maxDepth?: number;
  /** What a blocked key (`__proto__`, `constructor` …) does: dropped (default) or EBADNAME. */
  onBlockedKey?: 'drop' | 'throw';
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON.parse with the guarantees a store loading hostile files needs: bounded size, bounded
 * depth (checked without recursion, so 100,000 `[` are EDEPTH, never a RangeError), objects with null prototypes at every depth, blocked keys gone, and malformed
 * input as ECORRUPT with its position. JSON.parse itself does the parsing: a hand-written
 * parser in JS would be several times slower.
 */
export function parseJsonSafe(input: string | Uint8Array, options: ParseJsonSafeOptions = {}): unknown {
  const maxBytes = resolveJsonMaxBytes(options.maxBytes);
  const maxDepth = resolveMaxDepth(options.maxDepth);
  const onBlockedKey: unknown = options.onBlockedKey ?? 'drop';
  if (onBlockedKey !== 'drop' && onBlockedKey !== 'throw') {
    throw new TypeError(`onBlockedKey must be "drop" or "throw", got ${String(onBlockedKey)}`);
  }
  const text = decodeBounded(input, maxBytes);
  let value: unknown;
  try {
    // V8's JSON.parse is iterative: deep input cannot overflow the stack here, so the depth
    // bound is enforced on the result, in the same pass that detaches prototypes.
    value = JSON.parse(text);
  } catch (error) {
    // Unclosed deep nesting is still a depth violation, not mere corruption.
    assertDepthWithin(text, maxDepth);
    const message = error instanceof Error ? error.message : String(error);
    const position = jsonErrorOffset(text);
    const before = text.slice(0, position);
    const line = before.split('\n').length;
    const column = position - before.lastIndexOf('\n');
    throw new HardfsError('ECORRUPT', `malformed JSON at position ${position} (line ${line} column ${column}): ${message}`, {
      cause: error,
    });
  }
  return detachPrototypes(value, onBlockedKey === 'throw', maxDepth);
}

function decodeBounded(input: string | Uint8Array, maxBytes: number): string {
  if (typeof input === 'string') {
    // UTF-8 needs at most 3 bytes per UTF-16 unit: skip the byte count when that cannot exceed.
    if (input.length * 3 > maxBytes && Buffer.byteLength(input, 'utf8') > maxBytes) {
      throw new HardfsError('ETOOBIG', `JSON text is over the ${maxBytes}-byte bound`);
    }
    return input;
  }
  if (!(input instanceof Uint8Array)) throw new TypeError('JSON input must be a string or a Uint8Array');
  if (input.byteLength > maxBytes) {
    throw new HardfsError('ETOOBIG', `JSON text is ${input.byteLength} bytes, over the ${maxBytes}-byte bound`);
  }
  try {
    return strictUtf8.decode(input);
  } catch (error) {
    throw new HardfsError('ECORRUPT', 'JSON text is not valid UTF-8', { cause: error });
  }
}

/** Maximum bracket nesting of (possibly malformed) text, skipping string contents; no recursion. */
function assertDepthWithin(text: string, maxDepth: number): void {
  // Fewer characters than the bound cannot nest deeper than it.
  if (text.length <= maxDepth) return;
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      for (i += 1; i < length; i += 1) {
        const inner = text.charCodeAt(i);
        if (inner === BACKSLASH) i += 1;
        else if (inner === QUOTE) break;
      }
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth += 1;
      if (depth > maxDepth) throw depthError(maxDepth);
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
}

/**
 * Gives every parsed object a null prototype, removes blocked keys and enforces the depth
 * bound, with an explicit stack. JSON.parse defines `__proto__` as an own data property (it
 * never swaps a prototype), so the value is still inert here; removing it keeps it from being
 * copied into an ordinary object later.
 */
function detachPrototypes(root: unknown, throwOnBlocked: boolean, maxDepth: number): unknown {
  if (typeof root !== 'object' || root === null) return root;
  const stack: object[] = [root];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const current = stack.pop() as Record<string, unknown> | unknown[];
    const depth = depths.pop() as number;
    if (depth > maxDepth) throw depthError(maxDepth);
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i += 1) {
        const item = current[i];
        if (typeof item === 'object' && item !== null) {
          stack.push(item);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    Object.setPrototypeOf(current, null);
    for (const key in current) {
      if (BLOCKED_OBJECT_KEYS.has(key)) {
        if (throwOnBlocked) throw new HardfsError('EBADNAME', 'JSON contains a blocked object key', { path: key });
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing a blocked key is the point
        delete current[key];
        continue;
      }
      const item = current[key];
      if (typeof item === 'object' && item !== null) {
        stack.push(item);
        depths.push(depth + 1);
      }
    }
  }
  return root;
}
