import { types } from 'node:util';
import { HardfsError } from '../errors.js';
import { BLOCKED_OBJECT_KEYS } from './blocked-keys.js';
import { depthError, resolveMaxDepth } from './json-limits.js';
import { framePath } from './json-path.js';

/** Options of {@link assertSafeJsonValue}. */
export interface SafeJsonValueOptions {
  /** Deeper nesting of arrays/objects is EDEPTH, counted as parseJsonSafe counts it. Default 256. */
  maxDepth?: number;
}

/** An array or object being checked: its members are visited one at a time. */
interface Frame {
  readonly holder: object;
  /** Keys of an object; undefined for an array. */
  readonly keys: readonly string[] | undefined;
  readonly length: number;
  /** The next member to visit. */
  index: number;
}

/**
 * Throws unless `value` is JSON data that stableStringify writes and parseJsonSafe reads back
 * as the same value, so that nothing is lost or changed between a write and the next read:
 *
 * - EBADNAME for a blocked key (`__proto__`, `constructor` …) at any depth;
 * - ECORRUPT for what JSON cannot carry: a non-finite number, a BigInt, a function or a
 *   symbol anywhere, undefined as an array element (a hole included) or as the whole value,
 *   an object that is not plain (a class instance, a Date, a boxed primitive, a proxy, one
 *   with a toJSON method or with symbol keys), an array with named properties;
 * - ECYCLE for a cycle (a shared, non-cyclic reference is fine), EDEPTH past `maxDepth`.
 *
 * Each error's `path` is the offending value's or key's (`$.a.b[3]`); no message quotes a
 * value. Two things JSON itself does are accepted: an object property whose value is
 * undefined is absent (whatever its key), as JSON.stringify leaves it out, and -0 reads back
 * as 0.
 *
 * The one rule for every value hardfs writes or reads: parseJsonSafe's results always pass it,
 * and a store checks entries with it before writing and while migrating.
 */
export function assertSafeJsonValue(value: unknown, options: SafeJsonValueOptions = {}): void {
  const maxDepth = resolveMaxDepth(options.maxDepth);
  const frames: Frame[] = [];
  const ancestors = new Set<object>();
  let member: unknown = value;
  for (;;) {
    if (typeof member === 'object' && member !== null) {
      if (ancestors.has(member)) throw new HardfsError('ECYCLE', 'a cyclic structure has no JSON form', { path: framePath(frames) });
      if (frames.length >= maxDepth) throw depthError(maxDepth, framePath(frames));
      frames.push(openContainer(member, frames));
      ancestors.add(member);
    } else {
      checkPrimitive(member, frames);
    }
    // Move to the next member of the innermost open container, closing finished ones.
    for (;;) {
      const top = frames[frames.length - 1];
      if (top === undefined) return;
      if (top.index < top.length) {
        const key = top.keys === undefined ? top.index : (top.keys[top.index] as string);
        top.index += 1;
        member = (top.holder as Record<string | number, unknown>)[key];
        if (typeof key === 'string') {
          // An object property that is undefined is absent, to JSON.stringify as to a reader.
          if (member === undefined) continue;
          if (BLOCKED_OBJECT_KEYS.has(key)) throw new HardfsError('EBADNAME', 'a blocked object key', { path: framePath(frames) });
        }
        break;
      }
      frames.pop();
      ancestors.delete(top.holder);
    }
  }
}

/** The frame for a plain array or object; ECORRUPT for anything JSON would not write back as it is. */
function openContainer(container: object, frames: readonly Frame[]): Frame {
  if (types.isProxy(container)) throw notJson('a proxy', frames);
  if (Array.isArray(container)) {
    if (Object.getPrototypeOf(container) !== Array.prototype) throw notJson('an array of another class', frames);
    // Holes are refused where they are read (as undefined); this finds named properties.
    if (Object.keys(container).length !== container.length) throw notJson('an array with named properties or holes', frames);
    assertNoExtras(container, frames);
    return { holder: container, keys: undefined, length: container.length, index: 0 };
  }
  const prototype: unknown = Object.getPrototypeOf(container);
  if (prototype !== Object.prototype && prototype !== null) throw notJson('an object that is not plain', frames);
  assertNoExtras(container, frames);
  const keys = Object.keys(container);
  return { holder: container, keys, length: keys.length, index: 0 };
}

/** What JSON.stringify would skip or call: symbol keys and a toJSON method. */
function assertNoExtras(container: object, frames: readonly Frame[]): void {
  if (typeof (container as { toJSON?: unknown }).toJSON === 'function') throw notJson('an object with a toJSON method', frames);
  if (Object.getOwnPropertySymbols(container).length > 0) throw notJson('an object with symbol keys', frames);
}

function checkPrimitive(value: unknown, frames: readonly Frame[]): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw notJson('a non-finite number', frames);
      return;
    case 'object':
      return; // null
    default:
      throw notJson(`a ${typeof value}`, frames);
  }
}

function notJson(what: string, frames: readonly Frame[]): HardfsError {
  return new HardfsError('ECORRUPT', `${what} has no JSON form`, { path: framePath(frames) });
}

