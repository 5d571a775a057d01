import type { SessionEntry } from '../entry-record.js';
import type { LockCallOptions } from '../../store/index.js';
import { planRetention, prune, type PrunableStore, type RetentionArchiveOptions } from '../../store/retention.js';

/**
 * The gateway's session maintenance (`session.maintenance` in its config), run after a write:
 * - `warn` (the gateway's default): nothing is removed; when the active session would be
 *   pruned or capped, `onWarn` hears of it.
 * - `enforce`: entries older than `pruneAfterMs` are removed, then the count is capped at
 *   `maxEntries` (newest kept), every removal through the store's commit layer; the active
 *   session is never removed; removed entries go to `archive.dir` when one is given.
 * `rotateBytes`, `resetArchiveRetentionMs`, `maxDiskBytes` and `highWaterBytes` concern the
 * legacy single file and transcripts: accepted so a gateway config passes through, not used.
 */
export interface SessionMaintenanceConfig {
  /** `'warn'` (default): remove nothing, tell `onWarn`; `'enforce'`: remove. Anything else is a TypeError. */
  mode: 'warn' | 'enforce';
  /** Entries whose `updatedAt` is older than this many ms are pruned (enforce). Default 30 days. */
  pruneAfterMs: number;
  /** At most this many entries are kept, the newest (enforce). Default 500. */
  maxEntries: number;
  /** hardfs: where enforce-mode removals are archived, and how long archives are kept. */
  archive?: RetentionArchiveOptions;
  /** The legacy file's rotation size: accepted, not used (there is no single file to rotate). */
  rotateBytes?: number;
  /** The gateway's reset-archive retention (transcripts): accepted, not used. */
  resetArchiveRetentionMs?: number | null;
  /** The gateway's transcript disk budget: accepted, not used. */
  maxDiskBytes?: number | null;
  /** The gateway's transcript disk high-water mark: accepted, not used. */
  highWaterBytes?: number | null;
}

/** The gateway's defaults (30 days, 500 entries, warn only). */
export const DEFAULT_SESSION_MAINTENANCE: Readonly<SessionMaintenanceConfig> = Object.freeze({
  mode: 'warn',
  pruneAfterMs: 30 * 24 * 60 * 60 * 1000,
  maxEntries: 500,
});

/** What `onWarn` hears in warn mode: the active session would be removed if maintenance enforced. */
export interface SessionMaintenanceWarning {
  /** The session being written (normalized). */
  activeSessionKey: string;
  /** Its `updatedAt`, when it has a numeric one. */
  activeUpdatedAt?: number;
  /** Entries in the store. */
  totalEntries: number;
  /** The age limit applied. */
  pruneAfterMs: number;
  /** The count limit applied. */
  maxEntries: number;
  /** Whether the age rule would remove the active session. */
  wouldPrune: boolean;
  /** Whether the count rule would remove it. */
  wouldCap: boolean;
}

/** What `onMaintenanceApplied` hears after each write's maintenance. */
export interface SessionMaintenanceApplyReport {
  /** The mode that ran. */
  mode: SessionMaintenanceConfig['mode'];
  /** Entries before maintenance. */
  beforeCount: number;
  /** Entries after it (the same in warn mode). */
  afterCount: number;
  /** Entries removed by the age rule. */
  pruned: number;
  /** Entries removed by the count rule. */
  capped: number;
  /** The gateway's transcript disk budget: not a store concern, always null here. */
  diskBudget: null;
  /** hardfs: the keys removed, and the archive file that holds them. */
  removedKeys: string[];
  /** The archive file holding the removed entries, when `archive` is set and something was removed. */
  archivePath?: string;
}

/** The gateway's `SaveSessionStoreOptions`, plus per-call lock options. */
export interface SaveSessionStoreOptions {
  /** Skip maintenance (e.g. during one-time migrations). */
  skipMaintenance?: boolean;
  /** The session being written: warned about in warn mode, never removed in enforce mode. */
  activeSessionKey?: string;
  /** Told, in warn mode, when the active session would be pruned or capped. */
  onWarn?: (warning: SessionMaintenanceWarning) => void | Promise<void>;
  /** Told what maintenance did after the write (in either mode). */
  onMaintenanceApplied?: (report: SessionMaintenanceApplyReport) => void | Promise<void>;
  /** Fields that replace the configured maintenance for this call only. */
  maintenanceOverride?: Partial<SessionMaintenanceConfig>;
  /** Longest wait for this call's locks, in ms (default the store's, 10 s). */
  timeoutMs?: number;
  /** A lock whose holder shows no sign of life for this long is taken over, for this call (ms). */
  staleMs?: number;
}

export function resolveMaintenance(
  configured: Partial<SessionMaintenanceConfig> | (() => Partial<SessionMaintenanceConfig>) | undefined,
  override: Partial<SessionMaintenanceConfig> | undefined,
): SessionMaintenanceConfig {
  const base = typeof configured === 'function' ? configured() : configured;
  const resolved: SessionMaintenanceConfig = { ...DEFAULT_SESSION_MAINTENANCE, ...base, ...override };
  if (!['warn', 'enforce'].includes(resolved.mode)) {
    throw new TypeError(`maintenance mode must be 'warn' or 'enforce', got ${JSON.stringify(resolved.mode)}`);
  }
  return resolved;
}

/** Runs the maintenance policy on a store after a write. */
export async function runSessionMaintenance<E extends SessionEntry>(
  store: PrunableStore<E>,
  config: SessionMaintenanceConfig,
  options: SaveSessionStoreOptions,
  activeKey: string | undefined,
  lock: LockCallOptions = {},
): Promise<void> {
  if (config.mode === 'warn') {
    const view = await store.loadAll();
    const keys = Object.keys(view);
    const active = activeKey === undefined ? undefined : view[activeKey];
    if (activeKey !== undefined && active !== undefined && options.onWarn !== undefined) {
      const entries = keys.map((key) => [key, view[key] as E] as const);
      const now = Date.now();
      const wouldPrune = planRetention(entries, { olderThan: config.pruneAfterMs }, now).remove.some((r) => r.key === activeKey);
      const wouldCap = planRetention(entries, { maxEntries: config.maxEntries }, now).remove.some((r) => r.key === activeKey);
      if (wouldPrune || wouldCap) {
        const warning: SessionMaintenanceWarning = {
          activeSessionKey: activeKey,
          totalEntries: keys.length,
          pruneAfterMs: config.pruneAfterMs,
          maxEntries: config.maxEntries,
          wouldPrune,
          wouldCap,
        };
        if (typeof active.updatedAt === 'number') warning.activeUpdatedAt = active.updatedAt;
        await options.onWarn(warning);
      }
    }
    await options.onMaintenanceApplied?.({
      mode: 'warn',
      beforeCount: keys.length,
      afterCount: keys.length,
      pruned: 0,
      capped: 0,
      diskBudget: null,
      removedKeys: [],
    });
    return;
  }
  const report = await prune(store, {
    olderThan: config.pruneAfterMs,
    maxEntries: config.maxEntries,
    protect: activeKey === undefined ? [] : [activeKey],
    lock,
    ...(config.archive === undefined ? {} : { archive: config.archive }),
  });
  const applied: SessionMaintenanceApplyReport = {
    mode: 'enforce',
    beforeCount: report.before,
    afterCount: report.after,
    pruned: report.removed.filter((r) => r.reason === 'age').length,
    capped: report.removed.filter((r) => r.reason === 'count').length,
    diskBudget: null,
    removedKeys: report.removed.map((r) => r.key),
  };
  if (report.archivePath !== undefined) applied.archivePath = report.archivePath;
  await options.onMaintenanceApplied?.(applied);
}
