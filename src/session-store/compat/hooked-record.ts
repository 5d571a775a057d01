import type { SessionEntry } from '../entry-record.js';

type Hook = ((entry: SessionEntry, key: string) => SessionEntry) | undefined;

/**
 * Wraps the record an updateMany mutator gets so the compat hooks run without the caller
 * noticing: `transformOnLoad` on each entry the first time the mutator reads it, and, after the
 * mutator, `normalizeEntry` on every key it read or assigned (a read entry may have been mutated
 * in place). Keys the mutator never touched are neither copied nor rewritten. Every key is
 * normalized as the store normalizes it, so `record['Agent:Main']` is the entry stored as
 * `agent:main` (the gateway resolved case variants to one entry the same way).
 */
export function hookedRecord<E extends SessionEntry>(
  record: Record<string, E>,
  transformOnLoad: Hook,
  normalizeEntry: Hook,
  normalizeKey: (key: string) => string,
): { record: Record<string, E>; finish: () => void } {
  const touched = new Set<string>();
  const transformed = new Set<string>();
  const read = (rawKey: string): E | undefined => {
    const key = normalizeKey(rawKey);
    let value = record[key];
    if (value === undefined) return undefined;
    touched.add(key);
    if (transformOnLoad !== undefined && !transformed.has(key)) {
      transformed.add(key);
      const next = transformOnLoad(value, key) as E;
      if (next !== value) record[key] = next;
      value = next;
    }
    return value;
  };
  const write = (rawKey: string, value: unknown): boolean => {
    const key = normalizeKey(rawKey);
    touched.add(key);
    transformed.add(key); // what the caller assigns is already in the current shape
    record[key] = value as E;
    return true;
  };
  const proxy = new Proxy(Object.create(null) as Record<string, E>, {
    get: (_target, property) => (typeof property === 'string' ? read(property) : undefined),
    set: (_target, property, value) => (typeof property === 'string' ? write(property, value) : Reflect.set(record, property, value)),
    defineProperty: (_target, property, descriptor) => {
      if (typeof property !== 'string' || !('value' in descriptor)) return Reflect.defineProperty(record, property, descriptor);
      return write(property, descriptor.value);
    },
    deleteProperty: (_target, property) => {
      if (typeof property !== 'string') return Reflect.deleteProperty(record, property);
      const key = normalizeKey(property);
      touched.delete(key);
      return Reflect.deleteProperty(record, key);
    },
    has: (_target, property) => (typeof property === 'string' ? normalizeKey(property) in record : property in record),
    ownKeys: () => Reflect.ownKeys(record),
    getOwnPropertyDescriptor: (_target, property) => {
      if (typeof property !== 'string' || !(normalizeKey(property) in record)) return undefined;
      return { value: read(property), writable: true, enumerable: true, configurable: true };
    },
    getPrototypeOf: () => null,
    setPrototypeOf: () => false,
  });
  const finish = (): void => {
    if (normalizeEntry === undefined) return;
    for (const key of touched) {
      const value = record[key];
      if (value === undefined) continue;
      const next = normalizeEntry(value, key) as E;
      if (next !== value) record[key] = next;
    }
  };
  return { record: proxy, finish };
}
