import { readFileSync } from 'node:fs';
import { parseJsonSafe } from '../index.js';

/**
 * The version in package.json. The built file is dist/cli/main.js, so the package root is two
 * levels up, both in a clone and in node_modules/hardfs.
 */
export function packageVersion(): string {
  try {
    const manifest = parseJsonSafe(readFileSync(new URL('../../package.json', import.meta.url)), { maxBytes: 1024 * 1024 });
    const version = (manifest as { version?: unknown } | null)?.version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
