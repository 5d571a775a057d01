import { type EntryRecord as StoreEntryRecord, type StoreEntry } from '../store/entry-record.js';

// The record format belongs to hardfs/store; the session store only adds its vocabulary.
export {
  entryFileName,
  normalizeStoreKey,
  isPlainEntry,
  serializeEntry,
  serializeRecord,
  validateRecord,
  RECORD_VERSION,
  type ParseRecordLimits,
} from '../store/entry-record.js';

/** A session entry: a JSON object, optionally carrying a numeric `updatedAt`. */
export type SessionEntry = {
  /** Milliseconds since the epoch; a number here must be finite (TypeError at write). */
  updatedAt?: number;
} & StoreEntry;

/** One file on disk: `{ "v": 1, "key", "rev", "entry" }`. */
export interface EntryRecord<E extends SessionEntry = SessionEntry> extends Omit<StoreEntryRecord<E>, 'entry'> {
  /** The entry (never a tombstone here). */
  entry: E;
}

/**
 * The session vocabulary's own rule on top of the store's: an `updatedAt` that is a number is a
 * finite one. Any other `updatedAt` (null, a string, absent) is kept as it is and reads as no
 * timestamp (getUpdatedAt answers undefined, retention and merges count it as oldest): a
 * migration keeps such entries with their data, so a later update that keeps the field must
 * be accepted too.
 */
export function assertSessionEntry(value: StoreEntry, key: string): void {
  const updatedAt = (value as { updatedAt?: unknown }).updatedAt;
  if (typeof updatedAt === 'number' && !Number.isFinite(updatedAt)) {
    throw new TypeError(`entry.updatedAt for ${JSON.stringify(key)} must be a finite number when it is a number`);
  }
}
