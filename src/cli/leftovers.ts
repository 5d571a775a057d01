import type { Stats } from 'node:fs';
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
      if (typeof pid === 'number' && typeof host === 'string') return `, holder pid ${pid} on ${JSON.stringify(host)}`;
    }
    return ', no valid owner record';
  } catch {
    return ', owner record unreadable';
  }
}
