import type { SessionEntry } from '../entry-record.js';
import type { SessionStoreOptions } from '../options.js';
import type { SessionMaintenanceConfig } from './maintenance.js';

/**
 * Process-wide settings of the compatibility entry point: what the gateway's own store module
 * did around every read and write (its field migrations on load, its normalization on save, its
 * maintenance config from `openclaw.json`). Set once at startup; every call reads them.
 */
export interface SessionStoreCompatConfig {
  /** Run on every entry a write stores (values assigned or read-and-possibly-mutated by a mutator). */
  normalizeEntry?: (entry: SessionEntry, key: string) => SessionEntry;
  /** Run on every entry a read returns and on every entry a mutator is handed (old field names → new). */
  transformOnLoad?: (entry: SessionEntry, key: string) => SessionEntry;
  /** `updateSessionStoreEntry`'s merge of a patch; default mergeSessionEntryPatch. */
  mergeEntry?: (existing: SessionEntry, patch: Partial<SessionEntry>) => SessionEntry;
  /** Maintenance run after writes, as the gateway resolves it (a function is called per write). */
  maintenance?: Partial<SessionMaintenanceConfig> | (() => Partial<SessionMaintenanceConfig>);
  /**
   * The state directory every store lives under (the gateway's OPENCLAW_STATE_DIR). When set,
   * the first write for a new agent creates the missing directories below it and refuses a
   * symlink or foreign directory anywhere between it and the store (`ensureRealDir` with
   * `root`). Unset, the deepest directory that already exists is trusted as the OS resolves it.
   */
  root?: string;
  /** Options every store opened by the compat functions gets (lock options can be overridden per call). */
  storeOptions?: SessionStoreOptions;
}

let current: SessionStoreCompatConfig = {};

/** Replaces the compat settings (not merged with earlier ones). */
export function configureSessionStoreCompat(config: SessionStoreCompatConfig): void {
  for (const name of ['normalizeEntry', 'transformOnLoad', 'mergeEntry'] as const) {
    if (config[name] !== undefined && typeof config[name] !== 'function') throw new TypeError(`${name} must be a function`);
  }
  current = { ...config };
}

export function compatConfig(): Readonly<SessionStoreCompatConfig> {
  return current;
}
