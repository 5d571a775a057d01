/**
 * Freezes a parsed JSON value in place, iteratively (entries can be deep; recursion could
 * overflow the stack). loadAll hands out its cached snapshot, so the snapshot must not be
 * writable by one caller behind another's back.
 */
export function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null || Object.isFrozen(current)) continue;
    Object.freeze(current);
    for (const key of Object.keys(current)) stack.push((current as Record<string, unknown>)[key]);
  }
  return value;
}
