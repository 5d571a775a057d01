import type { StoreEntry } from './entry-record.js';

/** Where a store's warnings go (a quarantined file, a replaced change log …). */
export interface StoreLogger {
  /** One warning; `details` holds names, paths and codes, never entry content. Should not throw. */
  warn(message: string, details?: Record<string, unknown>): void;
}

/** Who may write a store: see {@link StoreOptions.writer}. */
export type WriterMode = 'shared' | 'exclusive';

/**
 * Options of a store (openStore). A value of the wrong type, a non-positive bound or an
 * unknown `writer` is a TypeError at open.
 */
export interface StoreOptions {
  /**
   * 'shared' (default): any process may write; every commit takes per-key lock files.
   * 'exclusive': this process owns the store while it is open (one store-wide lock taken at
   * open, kept alive by a heartbeat); commits take no lock files; other processes still read,
   * and their writes are ELOCKED naming the owner.
   */
  writer?: WriterMode;
  /**
   * Key normalization applied to every key a caller passes. Default: none (keys are
   * case-sensitive and used as given).
   */
  normalizeKey?: (key: string) => string;
  /** Run on every entry about to be written (after the mutator); returns the entry to store. */
  normalizeEntry?: (entry: StoreEntry, key: string) => StoreEntry;
  /**
   * Run on every entry as it is loaded from a file (get, loadAll, the mutator's input): e.g.
   * renaming old field names. What it returns is what callers see; the file is not rewritten.
   */
  transformEntry?: (entry: StoreEntry, key: string) => StoreEntry;
  /** Create the store directory (and missing parents, safely: ensureRealDir) if needed. Default true. */
  create?: boolean;
  /** Largest entry file accepted, in bytes. Default 16 MiB. */
  maxEntryBytes?: number;
  /** Deepest JSON nesting accepted in an entry. Default 256. */
  maxEntryDepth?: number;
  /** Largest `.snapshot` file read or written, in bytes. Default 256 MiB. */
  maxSnapshotBytes?: number;
  /** Most entry bytes one open store holds in memory (sum of entry file sizes). Default 1 GiB. */
  maxTotalEntryBytes?: number;
  /** fsync every commit (file and directory). Default true. */
  fsync?: boolean;
  /** A cross-process lock whose holder shows no sign of life for this long is taken over. Default 10 s. */
  lockStaleMs?: number;
  /** Waiting longer than this for a key (in-process queue and lock files together) is ELOCKED. Default 10 s. */
  lockTimeoutMs?: number;
  /** Temp files older than this are crash leftovers and are removed on open. Default 60 s. */
  staleTempMs?: number;
  /** Where warnings go (quarantined files, replaced change log). Default: process.emitWarning. */
  logger?: StoreLogger;
  /** updateMany re-runs when another process changed a key it read. Default 20. */
  maxUpdateRetries?: number;
  /** Open a store on NFS/SMB/FUSE and similar filesystems anyway. Default false. */
  allowNetworkFilesystem?: boolean;
}

/** Options one call may override. */
export interface LockCallOptions {
  /** Longest wait for the keys (queue and lock files together) before ELOCKED. Default the store's `lockTimeoutMs`. */
  timeoutMs?: number;
  /** A lock holder silent this long is taken over. Default the store's `lockStaleMs`. */
  staleMs?: number;
}

export interface ResolvedStoreOptions {
  writer: WriterMode;
  normalizeKey: (key: string) => string;
  normalizeEntry: ((entry: StoreEntry, key: string) => StoreEntry) | undefined;
  transformEntry: ((entry: StoreEntry, key: string) => StoreEntry) | undefined;
  create: boolean;
  maxEntryBytes: number;
  maxEntryDepth: number;
  maxSnapshotBytes: number;
  maxTotalEntryBytes: number;
  fsync: boolean;
  lockStaleMs: number;
  lockTimeoutMs: number;
  staleTempMs: number;
  logger: StoreLogger;
  maxUpdateRetries: number;
  allowNetworkFilesystem: boolean;
}

const identity = (key: string): string => key;

const emitWarningLogger: StoreLogger = {
  warn(message, details) {
    process.emitWarning(details ? `${message} ${JSON.stringify(details)}` : message, { code: 'HARDFS_STORE' });
  },
};

export function positiveOption(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  // Number.isFinite is false for anything that is not a number (it does not coerce).
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${String(value)}`);
  }
  return value;
}

function optionalFunction<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`${name} must be a function`);
  return value;
}

export function resolveStoreOptions(options: StoreOptions = {}): ResolvedStoreOptions {
  if (options.logger !== undefined && typeof (options.logger as Partial<StoreLogger>).warn !== 'function') {
    throw new TypeError('logger must have a warn(message, details) method');
  }
  const writer: unknown = options.writer ?? 'shared';
  if (writer !== 'shared' && writer !== 'exclusive') throw new TypeError(`writer must be 'shared' or 'exclusive', got ${String(writer)}`);
  return {
    writer,
    normalizeKey: optionalFunction('normalizeKey', options.normalizeKey) ?? identity,
    normalizeEntry: optionalFunction('normalizeEntry', options.normalizeEntry),
    transformEntry: optionalFunction('transformEntry', options.transformEntry),
    create: options.create ?? true,
    maxEntryBytes: positiveOption('maxEntryBytes', options.maxEntryBytes, 16 * 1024 * 1024),
    maxEntryDepth: positiveOption('maxEntryDepth', options.maxEntryDepth, 256),
    maxSnapshotBytes: positiveOption('maxSnapshotBytes', options.maxSnapshotBytes, 256 * 1024 * 1024),
    maxTotalEntryBytes: positiveOption('maxTotalEntryBytes', options.maxTotalEntryBytes, 1024 * 1024 * 1024),
    fsync: options.fsync ?? true,
    lockStaleMs: positiveOption('lockStaleMs', options.lockStaleMs, 10_000),
    lockTimeoutMs: positiveOption('lockTimeoutMs', options.lockTimeoutMs, 10_000),
    staleTempMs: positiveOption('staleTempMs', options.staleTempMs, 60_000, true),
    logger: options.logger ?? emitWarningLogger,
    maxUpdateRetries: positiveOption('maxUpdateRetries', options.maxUpdateRetries, 20),
    allowNetworkFilesystem: options.allowNetworkFilesystem ?? false,
  };
}
