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
