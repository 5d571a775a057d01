export interface SessionStoreLogger {
  warn(message: string, details?: Record<string, unknown>): void;
}

export interface SessionStoreOptions {
  /** Key normalization; default trims and lower-cases, as the legacy store did. */
  normalizeKey?: (key: string) => string;
  /** Largest entry file accepted, in bytes. Default 16 MiB. */
  maxEntryBytes?: number;
  /** Deepest JSON nesting accepted in an entry. Default 256. */
  maxEntryDepth?: number;
  /** fsync every commit (file and directory). Default true. */
  fsync?: boolean;
  /** A cross-process lock whose holder shows no sign of life for this long is taken over. Default 10 s. */
  lockStaleMs?: number;
  /** Waiting longer than this for a lock is ELOCKED. Default 10 s. */
  lockTimeoutMs?: number;
  /** Temp files older than this are crash leftovers and are removed on open. Default 60 s. */
  staleTempMs?: number;
  /** Migrate a legacy `sessions.json` found beside the directory when the store opens. Default true. */
  migrateOnOpen?: boolean;
  /** Where warnings go (quarantined files, skipped legacy entries). Default: process.emitWarning. */
  logger?: SessionStoreLogger;
  /** updateMany retries when a concurrent writer changed a key it read. Default 20. */
  maxUpdateRetries?: number;
}

export interface ResolvedStoreOptions {
  normalizeKey: (key: string) => string;
  maxEntryBytes: number;
  maxEntryDepth: number;
  fsync: boolean;
  lockStaleMs: number;
  lockTimeoutMs: number;
  staleTempMs: number;
  migrateOnOpen: boolean;
  logger: SessionStoreLogger;
  maxUpdateRetries: number;
}

export const defaultNormalizeKey = (key: string): string => key.trim().toLowerCase();

const emitWarningLogger: SessionStoreLogger = {
  warn(message, details) {
    process.emitWarning(details ? `${message} ${JSON.stringify(details)}` : message, {
      code: 'HARDFS_SESSION_STORE',
    });
  },
};

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${String(value)}`);
  }
  return value;
}

export function resolveStoreOptions(options: SessionStoreOptions = {}): ResolvedStoreOptions {
  if (options.normalizeKey !== undefined && typeof options.normalizeKey !== 'function') {
    throw new TypeError('normalizeKey must be a function');
  }
  if (options.logger !== undefined && typeof (options.logger as Partial<SessionStoreLogger>).warn !== 'function') {
    throw new TypeError('logger must have a warn(message, details) method');
  }
  return {
    normalizeKey: options.normalizeKey ?? defaultNormalizeKey,
    maxEntryBytes: positive('maxEntryBytes', options.maxEntryBytes, 16 * 1024 * 1024),
    maxEntryDepth: positive('maxEntryDepth', options.maxEntryDepth, 256),
    fsync: options.fsync ?? true,
    lockStaleMs: positive('lockStaleMs', options.lockStaleMs, 10_000),
    lockTimeoutMs: positive('lockTimeoutMs', options.lockTimeoutMs, 10_000),
    staleTempMs: positive('staleTempMs', options.staleTempMs, 60_000, true),
    migrateOnOpen: options.migrateOnOpen ?? true,
    logger: options.logger ?? emitWarningLogger,
    maxUpdateRetries: positive('maxUpdateRetries', options.maxUpdateRetries, 20),
  };
}
