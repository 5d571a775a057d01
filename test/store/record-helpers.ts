// Small helpers shared by the store's record, option and snapshot-format tests and by the
// discovery tests: a synchronous throw catcher, the fields a refusal is compared on, open
// descriptors, nested entries and entry-record text.
import { readdirSync } from 'node:fs';
import { type StoreEntry as SessionEntry } from '../../src/store/entry-record.js';

/** The error `fn` throws, synchronously. */
export function thrown(fn: () => unknown): Error & { code?: string; path?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string; path?: string };
  }
  throw new Error('expected an error, nothing was thrown');
}

export function refusal(error: Error & { code?: string; path?: string }): { name: string; code: unknown; message: string; path: unknown } {
  return { name: error.name, code: error.code, message: error.message, path: error.path };
}

/** Descriptors this process holds open right now. */
export function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

/** `{"a":{"a":…{}}}`: an object nested `depth` levels deep (a bare {} is depth 1). */
export function nested(depth: number): SessionEntry {
  let value: SessionEntry = {};
  for (let level = 1; level < depth; level += 1) value = { a: value };
  return value;
}

export function recordText(key: string, entry: unknown, rev = 1): string {
  return JSON.stringify({ entry, key, rev, v: 1 });
}
