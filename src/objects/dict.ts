import { HardfsError } from '../errors.js';
import { isBlockedObjectKey } from './blocked-keys.js';

/** A record with no prototype: `dict['__proto__'] = x` is an own property, never a prototype swap. */
export function createDict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Builds a null-prototype record from entries. A blocked key is EBADNAME (its `path` the key)
 * and a key that is not a string a TypeError: nothing given is silently left out.
 */
export function dictFromEntries<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const dict = createDict<T>();
  for (const [key, value] of entries) {
    if (typeof key !== 'string') throw new TypeError(`dictionary keys must be strings, got a ${typeof key}`);
    if (isBlockedObjectKey(key)) throw new HardfsError('EBADNAME', 'a blocked object key', { path: key });
    dict[key] = value;
  }
  return dict;
}
