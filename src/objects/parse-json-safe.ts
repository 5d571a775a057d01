import { HardfsError } from '../errors.js';
import { BLOCKED_OBJECT_KEYS } from './blocked-keys.js';
import { assertJsonDepthWithin } from './json-depth-scan.js';
import { jsonErrorOffset } from './json-error-position.js';
import { resolveJsonMaxBytes, resolveMaxDepth } from './json-limits.js';
import { formatJsonPath, type JsonPathSegment } from './json-path.js';
import { describeTextOffset, firstNonFiniteNumberOffset } from './json-text-location.js';
import { decodeUtf8Text } from './utf8-text.js';

/** Told about a blocked key that was dropped: its name, whether the top-level object held it, and that object's path. */
export type DroppedKeyListener = (key: string, topLevel: boolean, holder: readonly JsonPathSegment[]) => void;

/**
 * Options of {@link parseJsonSafe}. A bound that is not a non-negative (`maxBytes`) or positive
 * (`maxDepth`) safe integer, or an unknown `onBlockedKey`, is a TypeError.
 */
export interface ParseJsonSafeOptions {
  /** Larger input (in UTF-8 bytes) is ETOOBIG, before any parsing. Default 16 MiB. */
  maxBytes?: number;
  /** Deeper nesting of arrays/objects is EDEPTH, checked before parsing. Default 256. */
  maxDepth?: number;
  /**
   * What a blocked key (`__proto__`, `constructor` …, at any depth) does. `'throw'`, the
   * default: the text is refused with EBADNAME, its `path` the key's (`$.a[0].constructor`).
   * `'drop'`: the key is removed and told to `onDroppedKey`. Nothing is dropped unless asked.
   */
  onBlockedKey?: 'throw' | 'drop';
  /**
   * Told about every blocked key dropped, so a caller that must account for every entry — a
   * migration — can report what it never saw. Giving it asks for `onBlockedKey: 'drop'`.
   */
  onDroppedKey?: DroppedKeyListener;
}

/**
 * JSON.parse with the guarantees a store loading hostile files needs: bounded size, bounded
 * depth (checked without recursion, so 100,000 `[` are EDEPTH, never a RangeError), objects
 * with null prototypes at every depth, blocked keys refused (or, if asked, dropped and told),
 * numbers that overflow to Infinity (`1e400`) refused, and malformed input as ECORRUPT with its
 * position. Every value it returns passes assertSafeJsonValue. JSON.parse itself does the
 * parsing: a hand-written parser in JS would be several times slower.
 *
 * No error it throws quotes the input: V8's SyntaxError does (its message embeds the text
 * around the error, which may be a token), so it is neither repeated nor kept as the cause.
 *
 * Refusals, each a HardfsError: ETOOBIG over `maxBytes` (default 16 MiB), EDEPTH past
 * `maxDepth` (default 256), EBADNAME for a blocked key (unless `onBlockedKey: 'drop'`),
 * ECORRUPT for malformed JSON, invalid UTF-8 (bytes; a leading BOM is dropped) or a number
 * that overflows. Input other than a string or a Uint8Array, or a bad option, is a TypeError.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { parseJsonSafe } from 'hardfs';
 *
 * const config = parseJsonSafe(await readFile('config.json'), { maxBytes: 1024 * 1024 });
 * parseJsonSafe('{"__proto__": {"admin": true}}'); // throws HardfsError, code 'EBADNAME'
 * parseJsonSafe('{"a": 1, "constructor": 2}', {
 *   onDroppedKey: (key) => console.warn(`dropped ${key}`),
 * }); // { a: 1 }, with a null prototype
 * ```
 */
export function parseJsonSafe(input: string | Uint8Array, options: ParseJsonSafeOptions = {}): unknown {
  const maxBytes = resolveJsonMaxBytes(options.maxBytes);
  const maxDepth = resolveMaxDepth(options.maxDepth);
  const onDropped = resolveDroppedKeyListener(options);
  const { text, leadingBytes } = decodeBounded(input, maxBytes);
  assertJsonDepthWithin(text, maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const offset = jsonErrorOffset(text);
    const early = offset === text.length ? ': the text ends early' : '';
    throw new HardfsError('ECORRUPT', `malformed JSON at ${describeTextOffset(text, offset, leadingBytes)}${early}`);
  }
  if (typeof value === 'object' && value !== null) {
    // The quick walk stops at the first blocked key or non-finite number; the careful walk then
    // starts over, keeping the paths that the error or the listener needs. The careful walk
    // also runs if Object.prototype was given an enumerable property, which for-in would list.
    if (!prototypeIsClean() || !detachPrototypes(value)) detachCarefully(value, onDropped, text, leadingBytes);
  } else if (typeof value === 'number' && !Number.isFinite(value)) {
    throw nonFiniteError(text, leadingBytes);
  }
  return value;
}

/** The listener for dropped keys, or undefined when blocked keys are refused. */
function resolveDroppedKeyListener(options: ParseJsonSafeOptions): DroppedKeyListener | undefined {
  const onDropped = options.onDroppedKey;
  const mode: unknown = options.onBlockedKey ?? (onDropped === undefined ? 'throw' : 'drop');
  if (mode === 'throw') {
    if (onDropped !== undefined) throw new TypeError('onDroppedKey needs onBlockedKey: "drop"');
    return undefined;
  }
  if (mode !== 'drop') throw new TypeError(`onBlockedKey must be "throw" or "drop", got ${String(mode)}`);
  return onDropped ?? ignoreDroppedKey;
}

function ignoreDroppedKey(): void {}

function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** The text, and how many bytes before it the decoder dropped (a BOM) for error offsets. */
function decodeBounded(input: string | Uint8Array, maxBytes: number): { text: string; leadingBytes: number } {
  if (typeof input === 'string') {
    // UTF-8 needs at most 3 bytes per UTF-16 unit: skip the byte count when that cannot exceed.
    // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: the first test only skips the byte count; byteLength's default encoding is UTF-8
    if (input.length * 3 > maxBytes && Buffer.byteLength(input, 'utf8') > maxBytes) {
      throw new HardfsError('ETOOBIG', `JSON text is over the ${maxBytes}-byte bound`);
    }
    return { text: input, leadingBytes: 0 };
  }
  if (!(input instanceof Uint8Array)) throw new TypeError('JSON input must be a string or a Uint8Array');
  if (input.byteLength > maxBytes) {
    throw new HardfsError('ETOOBIG', `JSON text is ${input.byteLength} bytes, over the ${maxBytes}-byte bound`);
  }
  return { text: decodeUtf8Text(input), leadingBytes: hasUtf8Bom(input) ? 3 : 0 };
}

/**
 * Gives every parsed object a null prototype, with an explicit stack (depth was bounded before
 * parsing); false, at once, on a blocked key or a non-finite number. JSON.parse defines
 * `__proto__` as an own data property (it never swaps a prototype), so the value is inert
 * until copied into an ordinary object. Changing the prototype in place measured faster than
 * rebuilding each object with Object.create(null), and far faster than a reviver.
 */
// Mutants that make this walk answer false more often (a condition forced true, an empty
// body) are equivalent: false only hands the value to detachCarefully, which does the same
// work and returns the same value. Those that make it miss a blocked key or a non-finite
// number are the ones the tests kill.
// Stryker disable next-line BlockStatement: an empty body answers undefined, which sends every value to the careful walk
function detachPrototypes(root: object): boolean {
  const stack: object[] = [root];
  while (stack.length > 0) {
    const current = stack.pop() as Record<string, unknown> | unknown[];
    if (Array.isArray(current)) {
      // Stryker disable next-line EqualityOperator: current[length] is undefined, which is neither pushed nor a number
      for (let i = 0; i < current.length; i += 1) {
        const item = current[i];
        if (typeof item === 'object') {
          if (item !== null) stack.push(item);
        } else if (typeof item === 'number' && !Number.isFinite(item)) {
          return false;
        }
      }
      continue;
    }
    // for-in before the prototype changes: it then reads the key list JSON.parse's object shape
    // caches, which measured faster on many small objects. Object.prototype has no enumerable
    // property (checked once per parse), so for-in yields own keys only.
    for (const key in current) {
      if (BLOCKED_OBJECT_KEYS.has(key)) return false;
      const item = current[key];
      if (typeof item === 'object') {
        if (item !== null) stack.push(item);
      } else if (typeof item === 'number' && !Number.isFinite(item)) {
        return false;
      }
    }
    Object.setPrototypeOf(current, null);
  }
  // Stryker disable next-line BooleanLiteral: false only hands the value to detachCarefully, which returns the same value
  return true;
}

/** Whether for-in over a fresh JSON.parse object yields own keys only (nothing enumerable was added to Object.prototype). */
// Stryker disable next-line BlockStatement: an empty body answers undefined, which sends every value to the careful walk
function prototypeIsClean(): boolean {
  for (const _key in EMPTY) return false;
  // Stryker disable next-line BooleanLiteral: false only sends every parse down the careful walk, which gives the same value
  return true;
}
const EMPTY = {};

/** An object met by the careful walk, linked to its holder so that its path can be told. */
interface Visit {
  readonly value: object;
  readonly holder: Visit | undefined;
  readonly key: JsonPathSegment;
}

function pathOf(visit: Visit): JsonPathSegment[] {
  const segments: JsonPathSegment[] = [];
  for (let at: Visit | undefined = visit; at.holder !== undefined; at = at.holder) segments.push(at.key);
  return segments.reverse();
}

/**
 * The walk of detachPrototypes for a value that holds a blocked key or a non-finite number:
 * the same work, plus EBADNAME (or the drop and the listener) and ECORRUPT with paths.
 */
function detachCarefully(root: object, onDropped: DroppedKeyListener | undefined, text: string, leadingBytes: number): void {
  // Stryker disable next-line StringLiteral: the root's key is never read (pathOf stops at the visit without a holder)
  const stack: Visit[] = [{ value: root, holder: undefined, key: '' }];
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    const current = visit.value as Record<string, unknown> | unknown[];
    const member = (item: unknown, key: JsonPathSegment): void => {
      if (typeof item === 'object' && item !== null) stack.push({ value: item, holder: visit, key });
      else if (typeof item === 'number' && !Number.isFinite(item)) throw nonFiniteError(text, leadingBytes);
    };
    if (Array.isArray(current)) {
      current.forEach(member);
      continue;
    }
    Object.setPrototypeOf(current, null);
    for (const key in current) {
      if (BLOCKED_OBJECT_KEYS.has(key)) {
        if (onDropped === undefined) {
          throw new HardfsError('EBADNAME', 'JSON holds a blocked object key', { path: formatJsonPath([...pathOf(visit), key]) });
        }
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing a blocked key is what was asked
        delete current[key];
        onDropped(key, visit.holder === undefined, pathOf(visit));
      } else {
        member(current[key], key);
      }
    }
  }
}

/** ECORRUPT at the first literal of the text that overflows (which the walk may not have met first). */
function nonFiniteError(text: string, leadingBytes: number): HardfsError {
  const offset = firstNonFiniteNumberOffset(text);
  return new HardfsError('ECORRUPT', `number out of the finite range at ${describeTextOffset(text, offset, leadingBytes)}`);
}
