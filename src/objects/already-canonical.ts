import { types } from 'node:util';

/**
 * The deepest nesting the fast path hands to JSON.stringify. V8's serializer recurses natively;
 * stableStringify promises never to overflow the stack whatever the caller's stack already
 * holds, so only shallow values (session entries are a handful of levels deep) take it.
 */
export const FAST_PATH_MAX_DEPTH = 64;

/**
 * Whether JSON.stringify(value) is already the canonical text stableStringify would write, so
 * the native serializer (several times faster than a walk in JS) can write it: every object is
 * a plain (or null-prototype) object whose keys, as Object.keys lists them, are in sorted order,
 * every array a plain array, nothing has a toJSON, nothing is boxed, a function, a symbol, a
 * BigInt, a non-finite number or a proxy, and the nesting stays within `maxDepth`. Values read back from canonical
 * JSON and changed in place (the usual read-modify-write) pass; anything else — including a
 * cycle, which exceeds any depth — returns false and takes the careful path.
 *
 * The value is read once here and once more by JSON.stringify: an accessor that answers
 * differently on its second read could put a key out of order. Entries are data, not objects
 * with behaviour; the careful path reads each property once.
 */
export function isAlreadyCanonical(value: unknown, maxDepth: number): boolean {
  const pending: unknown[] = [value];
  const depths: number[] = [1];
  for (;;) {
    const next = pending.pop();
    const depth = depths.pop();
    if (depth === undefined) return true;
    if (!isSimpleMember(next)) return false;
    if (typeof next !== 'object' || next === null) continue;
    if (depth > maxDepth || types.isProxy(next)) return false;
    if (Array.isArray(next)) {
      if (Object.getPrototypeOf(next) !== Array.prototype || hasToJson(next)) return false;
      for (let index = 0; index < next.length; index += 1) {
        pending.push(next[index]);
        depths.push(depth + 1);
      }
      continue;
    }
    const prototype: unknown = Object.getPrototypeOf(next);
    if ((prototype !== Object.prototype && prototype !== null) || hasToJson(next)) return false;
    const keys = Object.keys(next);
    for (let index = 0; index < keys.length; index += 1) {
      const key = keys[index] as string;
      // Object.keys lists integer-like keys first, in numeric order ("9" before "10"), which is
      // not the sorted order: such objects fail here and are sorted by the careful path.
      if (index > 0 && !((keys[index - 1] as string) < key)) return false;
      pending.push((next as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
}

/**
 * Members JSON.stringify writes exactly as stableStringify does, or omits/nulls the same way.
 * A non-finite number is not: JSON.stringify writes null where stableStringify refuses.
 */
function isSimpleMember(value: unknown): boolean {
  const type = typeof value;
  if (type === 'number') return Number.isFinite(value);
  return type !== 'function' && type !== 'symbol' && type !== 'bigint';
}

/** JSON.stringify calls a toJSON it finds (own or inherited) only when it is a function. */
function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
