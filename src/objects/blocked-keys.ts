/**
 * Keys that can reach or rewrite an object's prototype chain when assigned on an ordinary
 * object (`__proto__`), that callers commonly treat as the prototype's (`constructor`,
 * `prototype`), or that are legacy accessor hooks. Stores and parseJsonSafe refuse them (a parse may drop them only when asked).
 */
export const BLOCKED_OBJECT_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/**
 * Whether `key` is one of {@link BLOCKED_OBJECT_KEYS}: false for any symbol or number, which
 * the set never holds. Never throws.
 */
export function isBlockedObjectKey(key: PropertyKey): boolean {
  // Stryker disable next-line ConditionalExpression: the set holds strings only, so has() is false for anything else
  return typeof key === 'string' && BLOCKED_OBJECT_KEYS.has(key);
}
