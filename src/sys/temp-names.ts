import { randomBytes } from 'node:crypto';

/**
 * Temp files are hidden, carry 128 random bits (so O_EXCL collisions are practically
 * impossible and an attacker cannot pre-plant the name), and have one recognizable shape so
 * that a store or an audit can find what a crash left behind.
 */
const TEMP_PATTERN = /^\.hardfs-[0-9a-f]{32}\.tmp$/;

export function makeTempFileName(): string {
  return `.hardfs-${randomBytes(16).toString('hex')}.tmp`;
}

/**
 * True for a name of the shape hardfs gives its temp files (`.hardfs-<32 hex>.tmp`): what a
 * crash during an atomic write can leave beside its target, safe to remove once no write is in
 * flight.
 */
export function isTempFileName(name: string): boolean {

  return TEMP_PATTERN.test(name);
}
