import { pinRoot, type OpenDirOptions, type SafeDir } from './safe-dir.js';

/**
 * openDir, synchronously: the same checks by the same code (`O_DIRECTORY|O_NOFOLLOW`, a symlink
 * at the last component `ESYMLINK` unless owned by root, owner and mode judged on the
 * descriptor, the resolution chosen by proving /proc/self/fd reaches the pinned inode, the
 * one-time warning when `auto` falls back to verify). For callers that cannot await — a
 * synchronous read of a store (openStoreSync). Errors carry `op: 'openDirSync'`.
 *
 * @example
 * ```ts
 * const dir = openDirSync('/var/lib/app');
 * try {
 *   console.log(dir.readdirSync());
 * } finally {
 *   void dir.close();
 * }
 * ```
 */
export function openDirSync(path: string, options: OpenDirOptions = {}): SafeDir {
  return pinRoot(path, options, 'openDirSync');
}
