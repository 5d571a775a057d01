import { basename, dirname, join, resolve } from 'node:path';
import type { CliIo } from './io.js';

/**
 * A store is named by its legacy path (…/sessions.json); an operator may also point at the
 * directory (…/sessions.d). Both mean the same store.
 */
export function resolveStorePath(io: CliIo, argument: string): string {
  const absolute = resolve(io.cwd, argument);
  const name = basename(absolute);
  if (name.endsWith('.d') && name.length > 2) return join(dirname(absolute), `${name.slice(0, -2)}.json`);
  return absolute;
}

/** migrate takes a store (a .json or .d path) or a state directory (anything else). */
export function namesStore(io: CliIo, argument: string): boolean {
  const name = basename(resolve(io.cwd, argument));
  return name.endsWith('.json') || (name.endsWith('.d') && name.length > 2);
}
