import type { Stats } from 'node:fs';
import { hostname } from 'node:os';
import { parseJsonSafe, type SafeDir } from '../index.js';
import { STALE_AFTER_MS, formatAge } from './age.js';
import type { FindingKind, Severity } from './findings.js';

export interface LeftoverFinding {
  kind: FindingKind;
  severity: Severity;
  detail: string;
}

/**
 * A temp file (isTempFileName) older than the stale bound is what a crashed write left; a
 * younger one is probably a write in progress in another process and is only a note.
 */
export function classifyTempFile(stats: Stats, now: number): LeftoverFinding {
  const age = now - stats.mtimeMs;
  if (age >= STALE_AFTER_MS) {
    return { kind: 'stale-temp', severity: 'problem', detail: `temp file left by a crashed write, age ${formatAge(age)}` };
  }
  return { kind: 'temp-file', severity: 'note', detail: `temp file, age ${formatAge(age)}: probably a write in progress` };
}

/**
 * A lock file in a .locks directory, with its age (the mtime is the holder's heartbeat) and
 * the holder its owner record names. Stale locks are problems; the lock layer takes them over
 * itself once their holder is gone, so --fix leaves them alone.
 */
export async function classifyLockFile(dir: SafeDir, name: string, stats: Stats, now: number): Promise<LeftoverFinding> {
  const age = now - stats.mtimeMs;
  const holder = await lockHolder(dir, name);
  if (age >= STALE_AFTER_MS) {
    return { kind: 'stale-lock', severity: 'problem', detail: `lock not refreshed for ${formatAge(age)}${holder}` };
  }
  return { kind: 'lock', severity: 'note', detail: `lock held, age ${formatAge(age)}${holder}` };
}

async function lockHolder(dir: SafeDir, name: string): Promise<string> {
  try {
    const record = parseJsonSafe(await dir.readFile(name, { maxBytes: 4096 }), { maxBytes: 4096, maxDepth: 4 });
    if (typeof record === 'object' && record !== null && !Array.isArray(record)) {
      const { pid, host } = record as Record<string, unknown>;
      // The host is file content: compared, never quoted.
      if (isPid(pid) && typeof host === 'string') return `, holder pid ${pid} on ${host === hostname() ? 'this host' : 'another host'}`;
    }
    return ', no valid owner record';
  } catch {
    return ', owner record unreadable';
  }
}

export type MigrationLockKind = 'migration' | 'legacy-writer';

/**
 * Lock files a migration leaves beside a store when it is interrupted: its own
 * (`.<stem>.migrate.lock`, a hardfs owner record) and the legacy writer's (`<stem>.json.lock`,
 * the gateway's `{pid, createdAt}` record, which the migration takes too).
 */
export function classifyMigrationLockName(name: string): MigrationLockKind | undefined {
  if (/^\..+\.migrate\.lock$/.test(name)) return 'migration';
  if (/^[^.].*\.json\.lock$/.test(name)) return 'legacy-writer';
  return undefined;
}

export async function classifyMigrationLock(
  dir: SafeDir,
  name: string,
  stats: Stats,
  now: number,
  which: MigrationLockKind,
): Promise<LeftoverFinding> {
  const age = now - stats.mtimeMs;
  const holder = which === 'migration' ? await lockHolder(dir, name) : await legacyHolder(dir, name);
  const store = which === 'migration' ? `${name.slice(1, -'.migrate.lock'.length)}.json` : name.slice(0, -'.lock'.length);
  if (which === 'migration') {
    if (age >= STALE_AFTER_MS) {
      return {
        kind: 'stale-lock',
        severity: 'problem',
        detail:
          `migration lock left by an interrupted migration, age ${formatAge(age)}${holder}: the next open of the store or ` +
          `'hardfs sessions migrate ${store}' takes it over; remove it by hand only if no hardfs process runs`,
      };
    }
    return { kind: 'lock', severity: 'note', detail: `migration lock held, age ${formatAge(age)}${holder}: a migration of ${store} is running` };
  }
  if (age >= STALE_AFTER_MS) {
    return {
      kind: 'stale-lock',
      severity: 'problem',
      detail:
        `legacy writer lock, age ${formatAge(age)}${holder}: left by a crashed gateway or migration; the next migration ` +
        `removes it once stale; remove it by hand only if nothing writes ${store}`,
    };
  }
  return { kind: 'lock', severity: 'note', detail: `legacy writer lock held, age ${formatAge(age)}${holder}: something is writing ${store}` };
}

async function legacyHolder(dir: SafeDir, name: string): Promise<string> {
  try {
    const record = parseJsonSafe(await dir.readFile(name, { maxBytes: 4096 }), { maxBytes: 4096, maxDepth: 4 });
    if (typeof record === 'object' && record !== null && !Array.isArray(record)) {
      const { pid } = record as Record<string, unknown>;
      if (isPid(pid)) return `, holder pid ${pid}`;
    }
    return ', no valid owner record';
  } catch {
    return ', owner record unreadable';
  }
}

/** A pid as a lock record holds one: a positive safe integer (anything else is not shown). */
function isPid(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
