import { stat, type FileHandle } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { HardfsError } from '../errors.js';

/**
 * How a SafeDir turns a name into something the kernel resolves:
 * - `descriptor`: `/proc/self/fd/<fd>/<name>` — resolution starts at the pinned inode, so a
 *   path component swapped for a symlink after openDir changes nothing (Linux with /proc).
 * - `verify`: `<path>/<name>` with the directory's device+inode re-checked before and after
 *   every operation; a mismatch is an error (macOS, Windows, Linux without /proc).
 */
export type Resolution = 'descriptor' | 'verify';
export type ResolutionRequest = Resolution | 'auto';

export const RESOLUTION_ENV = 'HARDFS_RESOLUTION';

export function requestedResolution(explicit: ResolutionRequest | undefined): ResolutionRequest {
  if (explicit !== undefined) return validate(explicit, 'resolution option');
  const fromEnv = process.env[RESOLUTION_ENV];
  if (fromEnv === undefined || fromEnv === '') return 'auto';
  return validate(fromEnv, RESOLUTION_ENV);
}

function validate(value: string, source: string): ResolutionRequest {
  if (value === 'auto' || value === 'descriptor' || value === 'verify') return value;
  throw new TypeError(`${source} must be "auto", "descriptor" or "verify", got ${JSON.stringify(value)}`);
}

export function descriptorPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

export function sameIdentity(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * /proc may be missing (containers, chroots) or mounted without the magic links; only trust
 * descriptor resolution after proving that /proc/self/fd/<fd> reaches the very inode we hold.
 */
export async function descriptorResolutionWorks(
  handle: FileHandle,
  pinned: BigIntStats,
): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  try {
    const viaProc = await stat(descriptorPath(handle.fd), { bigint: true });
    return sameIdentity(viaProc, pinned);
  } catch {
    return false;
  }
}

export async function chooseResolution(
  request: ResolutionRequest,
  handle: FileHandle | undefined,
  pinned: BigIntStats,
  path: string,
): Promise<Resolution> {
  if (request === 'verify') return 'verify';
  const works = handle !== undefined && (await descriptorResolutionWorks(handle, pinned));
  if (works) return 'descriptor';
  if (request === 'descriptor') {
    throw new HardfsError('EINSECURE', 'descriptor-anchored resolution (/proc/self/fd) is unavailable', {
      path,
    });
  }
  return 'verify';
}
