import { HardfsError } from '../errors.js';
import { depthError, resolveMaxDepth } from './json-limits.js';

export interface StableStringifyOptions {
  /** Deeper nesting of arrays/objects is EDEPTH. Default 256, at most 4096 (so recursion stays far from the stack limit). */
  maxDepth?: number;
}

/**
 * JSON.stringify with sorted object keys (so equal values give equal text, whatever order
 * their keys were added in), ECYCLE on a real cycle (a shared, non-cyclic reference is fine),
 * and EDEPTH past the bound. Everything else — toJSON, undefined/functions/symbols dropped in
 * objects and null in arrays, non-finite numbers as null, BigInt as a TypeError — follows
 * JSON.stringify.
 */
export function stableStringify(value: unknown, options: StableStringifyOptions = {}): string | undefined {
  const maxDepth = resolveMaxDepth(options.maxDepth);
  return serialize(value, '', new Set<object>(), 0, maxDepth);
}

function serialize(input: unknown, key: string, ancestors: Set<object>, depth: number, maxDepth: number): string | undefined {
  let value = input;
  if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(key);
  } else if (typeof value === 'bigint' && typeof (BigInt.prototype as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as unknown as { toJSON: (key: string) => unknown }).toJSON(key);
  }
  // Boxed primitives serialize as their primitive, as in JSON.stringify.
  if (value instanceof Number) value = Number(value);
  else if (value instanceof String) value = String(value);
  else if (value instanceof Boolean) value = value.valueOf();
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (ancestors.has(object)) throw new HardfsError('ECYCLE', 'cannot serialize a cyclic structure');
  if (depth + 1 > maxDepth) throw depthError(maxDepth);
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      const parts: string[] = [];
      for (let i = 0; i < object.length; i += 1) {
        parts.push(serialize(object[i], String(i), ancestors, depth + 1, maxDepth) ?? 'null');
      }
      return `[${parts.join(',')}]`;
    }
    const record = object as Record<string, unknown>;
    const parts: string[] = [];
    for (const name of Object.keys(record).sort()) {
      const text = serialize(record[name], name, ancestors, depth + 1, maxDepth);
      if (text !== undefined) parts.push(`${JSON.stringify(name)}:${text}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    ancestors.delete(object);
  }
}
