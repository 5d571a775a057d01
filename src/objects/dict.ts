import { isBlockedObjectKey } from './blocked-keys.js';

/** A record with no prototype: `dict['__proto__'] = x` is an own property, never a prototype swap. */
export function createDict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Builds a null-prototype record from entries, dropping blocked keys. */
export function dictFromEntries<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const dict = createDict<T>();
  for (const [key, value] of entries) {
    if (typeof key !== 'string' || isBlockedObjectKey(key)) continue;
    dict[key] = value;
  }
  return dict;
}
