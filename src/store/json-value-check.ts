import { HardfsError, isBlockedObjectKey } from '../index.js';

/**
 * The one check of a JSON value that read, write and migration share (local until the objects
 * layer exports its validator for blocked keys at any depth and non-finite numbers; then this
 * file should call that one).
 *
 * Blocked keys (`__proto__`, `constructor`, `prototype`) at any depth and non-finite numbers
 * (`1e400` parses as Infinity; NaN and Infinity stringify as null) are refused: a value that
 * cannot make the round trip through a file unchanged is never written, and a file that does
 * not hold one is never loaded as if it did.
 */
export type JsonProblem =
  | { kind: 'blocked-key'; path: string }
  | { kind: 'non-finite'; path: string }
  | { kind: 'not-json'; path: string; what: string };

export function findJsonProblem(root: unknown, rootPath: string): JsonProblem | undefined {
  const stack: Array<[unknown, string]> = [[root, rootPath]];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, string];
    switch (typeof value) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (!Number.isFinite(value)) return { kind: 'non-finite', path };
        continue;
      case 'object': {
        if (value === null) continue;
        if (Array.isArray(value)) {
          for (let index = 0; index < value.length; index += 1) stack.push([value[index], `${path}[${index}]`]);
          continue;
        }
        const proto = Object.getPrototypeOf(value) as unknown;
        if (proto !== null && proto !== Object.prototype) {
          return { kind: 'not-json', path, what: 'an object that is not a plain object' };
        }
        for (const key of Object.keys(value)) {
          const childPath = `${path}.${key}`;
          if (isBlockedObjectKey(key)) return { kind: 'blocked-key', path: childPath };
          stack.push([(value as Record<string, unknown>)[key], childPath]);
        }
        continue;
      }
      default:
        return { kind: 'not-json', path, what: typeof value };
    }
  }
  return undefined;
}

/** At write: a blocked key is EBADNAME naming its path; anything else not JSON is a TypeError. */
export function assertWritableJson(value: unknown, rootPath: string): void {
  const problem = findJsonProblem(value, rootPath);
  if (problem === undefined) return;
  if (problem.kind === 'blocked-key') {
    throw new HardfsError('EBADNAME', `entry holds a blocked object key at ${problem.path}`, { path: problem.path });
  }
  if (problem.kind === 'non-finite') {
    throw new TypeError(`entry holds a non-finite number at ${problem.path} (JSON cannot carry it)`);
  }
  throw new TypeError(`entry holds ${problem.what} at ${problem.path} (JSON cannot carry it)`);
}

/**
 * Whether JSON text may hold a number that parses as Infinity: only a long exponent or a run of
 * more than 308 digits can. A cheap filter before walking the parsed value.
 */
export function mayHoldNonFinite(bytes: Buffer): boolean {
  return MAYBE_HUGE.test(bytes.toString('latin1'));
}

const MAYBE_HUGE = /[eE][+]?0*[1-9]\d{2,}|\d{309}/;
