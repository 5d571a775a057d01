import { HardfsError } from '../errors.js';
import { statSync, type BigIntStats } from '../sys/syscalls.js';
import { descriptorPath } from './resolvers/descriptor.js';

export { descriptorPath } from './resolvers/descriptor.js';

/**
 * How a SafeDir turns a path into something the kernel resolves:
 * - `descriptor`: `/proc/self/fd/<fd>/<name>` — resolution starts at the pinned inode, so a
 *   path component swapped for a symlink after openDir changes nothing (Linux with /proc).
 * - `verify`: `<path>/<name>` with the directories' device+inode re-checked around every
 *   operation — best-effort (macOS, Windows, Linux without /proc): see SECURITY.md.
 */
export type Resolution = 'descriptor' | 'verify';
/** `auto` (default): descriptor where it works, verify otherwise (with a one-time warning). */
export type ResolutionRequest = Resolution | 'auto';

/**
 * The environment variable read when `resolution` is not passed to openDir: `auto`,
 * `descriptor` or `verify` (anything else is a TypeError at openDir).
 */
export const RESOLUTION_ENV = 'HARDFS_RESOLUTION';


/** The warning code `auto` emits (once per process) when it falls back to verify resolution. */
export const VERIFY_FALLBACK_WARNING = 'HARDFS_VERIFY_RESOLUTION';

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

export function sameIdentity(a: { dev: bigint; ino: bigint }, b: { dev: bigint; ino: bigint }): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * /proc may be missing (containers, chroots) or mounted without the magic links; only trust
 * descriptor resolution after proving that /proc/self/fd/<fd> reaches the very inode we hold.
 */
export function descriptorResolutionWorks(fd: number | undefined, pinned: BigIntStats): boolean {
  if (process.platform !== 'linux' || fd === undefined) return false;
  try {
    return sameIdentity(statSync(descriptorPath(fd), { bigint: true }), pinned);
  } catch {
    return false;
  }
}

let warned = false;

/** @internal For tests: forget that the fallback warning was emitted. */
export function resetFallbackWarning(): void {
  warned = false;
}

export function chooseResolution(request: ResolutionRequest, fd: number | undefined, pinned: BigIntStats, path: string): Resolution {
  if (request === 'verify') return 'verify';
  if (descriptorResolutionWorks(fd, pinned)) return 'descriptor';
  if (request === 'descriptor') {
    throw new HardfsError('EUNSUPPORTED', 'descriptor-anchored resolution (/proc/self/fd) is unavailable', { path, op: 'openDir' });
  }
  if (!warned) {
    warned = true;
    process.emitWarning(
      'hardfs: descriptor-anchored resolution (/proc/self/fd) is unavailable; using best-effort verify resolution ' +
        '(see SECURITY.md; openDir(path, { resolution: "descriptor" }) refuses to run without it)',
      { code: VERIFY_FALLBACK_WARNING },
    );
  }
  return 'verify';
}
