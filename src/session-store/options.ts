import {
  resolveStoreOptions as resolveGeneralOptions,
  type ResolvedStoreOptions as ResolvedGeneralOptions,
  type StoreLogger,
  type StoreOptions,
} from '../store/options.js';

/** Where the session store's warnings go: the general store's {@link StoreLogger}. */
export type SessionStoreLogger = StoreLogger;

/**
 * Options of openSessionStore and the function API: every {@link StoreOptions} field (same
 * defaults), with the session defaults below. A bad option is a TypeError.
 */
export interface SessionStoreOptions extends StoreOptions {
  /** Fill the cache at open, for synchronous reads from the first call (see hardfs/store's openStore). */
  sync?: boolean;
  /** Key normalization; default trims and lower-cases, as the legacy store did. */
  normalizeKey?: (key: string) => string;
  /** Migrate a legacy `sessions.json` found beside the directory when the store opens. Default true. */
  migrateOnOpen?: boolean;
  /**
   * Create the store's parent directories (ensureRealDir semantics: through pinned handles, never
   * through a symlink) when they are missing. Default false: a missing parent is ENOENT.
   */
  createParents?: boolean;
}

export interface ResolvedStoreOptions extends ResolvedGeneralOptions {
  migrateOnOpen: boolean;
  createParents: boolean;
}

/** The session store's default `normalizeKey`: trims and lower-cases, as the legacy store did. */
export const defaultNormalizeKey = (key: string): string => key.trim().toLowerCase();

export function resolveStoreOptions(options: SessionStoreOptions = {}): ResolvedStoreOptions {
  if (options.normalizeKey !== undefined && typeof options.normalizeKey !== 'function') {
    throw new TypeError('normalizeKey must be a function');
  }
  const general = resolveGeneralOptions({ ...options, normalizeKey: options.normalizeKey ?? defaultNormalizeKey });
  return { ...general, migrateOnOpen: options.migrateOnOpen ?? true, createParents: options.createParents ?? false };
}
