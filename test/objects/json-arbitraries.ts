import fc from 'fast-check';
import { isBlockedObjectKey } from '../../src/objects/index.js';

/** Strings that stress a JSON scanner: brackets, quotes, backslashes, full Unicode, lone surrogates. */
export const trickyString = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom(...'[]{}"\\:,/ au'.split('')), maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 6 }),
);

const safeKey = trickyString.filter((key) => !isBlockedObjectKey(key));

/** JSON values without blocked keys, of moderate size and depth. */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    trickyString,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(safeKey, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Nesting depth as JSON counts it: 0 for a primitive, 1 for a flat array or object. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    deepest = Math.max(deepest, depth + 1);
    for (const key of Object.keys(current)) stack.push([(current as Record<string, unknown>)[key], depth + 1]);
  }
  return deepest;
}

/** Visits every non-array object in a parsed value. */
export function everyObject(value: unknown, visit: (object: object) => void): void {
  const stack = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null) continue;
    if (!Array.isArray(current)) visit(current);
    for (const key of Object.keys(current)) stack.push((current as Record<string, unknown>)[key]);
  }
}

/** Structural copy with ordinary prototypes, for comparing against JSON.parse output. */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    // defineProperty: a `__proto__` key must stay a key here too.
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, { value: plain((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** A text edit: JSON texts with one character inserted, deleted or replaced. */
export const mutatedJsonText = fc
  .tuple(
    fc.oneof(fc.json(), jsonValue.map((value) => JSON.stringify(value))),
    fc.nat(),
    fc.constantFrom('insert', 'delete', 'replace'),
    fc.constantFrom(...'{}[],:"\\ 0-+1e.Etnfarlsux\u0001\n\uFEFF'.split('')),
  )
  .map(([text, at, edit, char]) => {
    const i = at % (text.length + 1);
    if (edit === 'insert') return text.slice(0, i) + char + text.slice(i);
    if (edit === 'delete') return text.slice(0, i) + text.slice(i + 1);
    return text.slice(0, i) + char + text.slice(i + 1);
  });

/** JSON values from fast-check and from jsonValue. */
export const anyJson = fc.oneof(fc.jsonValue(), jsonValue);

function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty: a `__proto__` key must stay an own key, not swap the prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The same value rebuilt with every object's keys inserted in a shuffled order. */
export function reorder(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item, i) => reorder(item, seed + i));
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    const shuffled = keys.map((key, i) => ({ key, rank: ((seed + 1) * 7919 * (i + 3)) % 104729 })).sort((a, b) => a.rank - b.rank);
    const out: Record<string, unknown> = seed % 2 === 0 ? {} : (Object.create(null) as Record<string, unknown>);
    for (const { key } of shuffled) defineKey(out, key, reorder((value as Record<string, unknown>)[key], seed + 1));
    return out;
  }
  return value;
}

export function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) defineKey(out, key, sortedDeep((value as Record<string, unknown>)[key]));
    return out;
  }
  return value;
}

export function keysEnumerateSorted(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  const keys = Object.keys(value);
  if (!Array.isArray(value) && keys.join('\0') !== [...keys].sort().join('\0')) return false;
  return keys.every((key) => keysEnumerateSorted((value as Record<string, unknown>)[key]));
}

/** Any value, JSON or not: boxed, dated, sparse, non-finite, functions, symbols. */
export const anything = fc.anything({
  withBoxedValues: true,
  withNullPrototype: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withObjectString: false,
  withSparseArray: true,
  values: [
    fc.constant(undefined),
    fc.constant(Number.NaN),
    fc.constant(Number.NEGATIVE_INFINITY),
    fc.constant(-0),
    fc.constant(() => 1),
    fc.constant(Symbol('s')),
    fc.double(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)) }),
  ],
});
