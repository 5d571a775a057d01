import { types } from 'node:util';
import { HardfsError } from '../errors.js';
import { FAST_PATH_MAX_DEPTH, isAlreadyCanonical } from './already-canonical.js';
import { depthError, resolveMaxDepth } from './json-limits.js';
import { framePath } from './json-path.js';

/** Options of {@link stableStringify}. A `maxDepth` that is not a positive safe integer is a TypeError. */
export interface StableStringifyOptions {
  /** Deeper nesting of arrays/objects is EDEPTH. Default 256. */
  maxDepth?: number;
}

/** An array or object being serialized: its members are visited one at a time. */
interface Frame {
  readonly holder: object;
  /** Sorted keys of an object; undefined for an array. */
  readonly keys: readonly string[] | undefined;
  /** Members to visit (read once, up front, as JSON.stringify does). */
  readonly length: number;
  /** The next member to visit. */
  index: number;
  readonly parts: string[];
}

/**
 * JSON.stringify with sorted object keys (so equal values give equal text, whatever order
 * their keys were added in), ECYCLE on a real cycle (a shared, non-cyclic reference is fine),
 * EDEPTH past the bound, and ECORRUPT for a value JSON cannot carry back: a non-finite number
 * (JSON.stringify writes null, which reads back as another value) or a BigInt (a TypeError
 * there). Each error's `path` is the value's (`$.a.b[3]`). Everything else — toJSON,
 * undefined/functions/symbols dropped in objects and null in arrays, boxed primitives
 * unboxed — follows JSON.stringify; assertSafeJsonValue refuses those too, for callers that
 * must not lose anything.
 *
 * The walk keeps its own stack of frames instead of recursing, so no depth bound, however
 * large, can overflow the call stack, whatever the caller's stack already holds. Values
 * already in canonical shape and at most FAST_PATH_MAX_DEPTH deep (see already-canonical.ts)
 * are written by JSON.stringify itself, which then gives the same text.
 */
export function stableStringify(value: unknown, options: StableStringifyOptions = {}): string | undefined {
  const maxDepth = resolveMaxDepth(options.maxDepth);
  // Most values are already in canonical shape (read back from canonical JSON, then changed in
  // place): the native serializer then writes the same text, about four times faster.
  if (isAlreadyCanonical(value, Math.min(maxDepth, FAST_PATH_MAX_DEPTH))) return JSON.stringify(value);
  return walkStringify(value, maxDepth);
}

/** The careful path: an explicit walk that sorts keys and checks cycles and depth. */
export function walkStringify(value: unknown, maxDepth: number): string | undefined {
  const frames: Frame[] = [];
  const ancestors = new Set<object>();
  let member: unknown = value;
  // An array index stays a number until a toJSON needs it as a string.
  let memberKey: string | number = '';
  for (;;) {
    const resolved = toJsonValue(member, memberKey);
    let text: string | undefined;
    if (typeof resolved === 'object' && resolved !== null) {
      if (ancestors.has(resolved)) throw new HardfsError('ECYCLE', 'cannot serialize a cyclic structure', { path: framePath(frames) });
      if (frames.length >= maxDepth) throw depthError(maxDepth, framePath(frames));
      ancestors.add(resolved);
      if (Array.isArray(resolved)) {
        frames.push({ holder: resolved, keys: undefined, length: resolved.length, index: 0, parts: [] });
      } else {
        const keys = Object.keys(resolved).sort();
        frames.push({ holder: resolved, keys, length: keys.length, index: 0, parts: [] });
      }
    } else {
      if (typeof resolved === 'bigint') throw new HardfsError('ECORRUPT', 'a BigInt has no JSON form', { path: framePath(frames) });
      if (typeof resolved === 'number' && !Number.isFinite(resolved)) {
        throw new HardfsError('ECORRUPT', 'a non-finite number has no JSON form', { path: framePath(frames) });
      }
      text = primitiveText(resolved);
      const parent = frames[frames.length - 1];
      if (parent === undefined) return text;
      appendMember(parent, text);
    }
    // Descend into the next member of the innermost open container, closing finished ones.
    for (;;) {
      const top = frames[frames.length - 1] as Frame;
      if (top.index < top.length) {
        memberKey = top.keys === undefined ? top.index : (top.keys[top.index] as string);
        member = (top.holder as Record<string | number, unknown>)[memberKey];
        top.index += 1;
        break;
      }
      frames.pop();
      ancestors.delete(top.holder);
      text = top.keys === undefined ? `[${top.parts.join(',')}]` : `{${top.parts.join(',')}}`;
      const parent = frames[frames.length - 1];
      if (parent === undefined) return text;
      appendMember(parent, text);
    }
  }
}


function appendMember(frame: Frame, text: string | undefined): void {
  if (frame.keys === undefined) {
    frame.parts.push(text ?? 'null');
  } else if (text !== undefined) {
    frame.parts.push(`${JSON.stringify(frame.keys[frame.index - 1])}:${text}`);
  }
}

/** SerializeJSONProperty's first steps: toJSON, then unboxing by internal slot (cross-realm safe). */
function toJsonValue(input: unknown, key: string | number): unknown {
  let value = input;
  if ((typeof value === 'object' && value !== null) || typeof value === 'function' || typeof value === 'bigint') {
    const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') value = (toJSON as (this: unknown, key: string) => unknown).call(value, String(key));
  }
  // Stryker disable next-line ConditionalExpression,LogicalOperator: fast path only, the checks below are false for primitives and null
  if (typeof value !== 'object' || value === null) return value;
  // Number() and String() run valueOf/toString as ToNumber/ToString do in JSON.stringify.
  if (types.isNumberObject(value)) return Number(value);
  if (types.isStringObject(value)) return String(value);
  if (types.isBooleanObject(value)) return Boolean.prototype.valueOf.call(value);
  if (types.isBigIntObject(value)) return BigInt.prototype.valueOf.call(value);
  return value;
}

function primitiveText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // Finite here: the walk refused the others.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return 'null';
    // Stryker disable next-line ConditionalExpression: an empty default returns undefined too
    default:
      // undefined, functions and symbols have no JSON form.
      return undefined;
  }
}
