import { HardfsError } from '../index.js';
import {
  parseRecord as parseStoreRecord,
  type EntryRecord as StoreEntryRecord,
  type ParseRecordLimits,
  type StoreEntry,
} from '../store/entry-record.js';

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
 * parseRecord of hardfs/store for callers that expect an entry: a tombstone (what a multi-key
 * delete leaves until the key is written again) is ECORRUPT here. Prefer Store#commit, which
 * reads through the store.
 */
export function parseRecord<E extends SessionEntry>(bytes: Buffer, fileName: string, limits: ParseRecordLimits): EntryRecord<E> {
  const record = parseStoreRecord<E>(bytes, fileName, limits);
  if (record.entry === undefined) throw new HardfsError('ECORRUPT', 'entry file is a tombstone (no entry)', { path: fileName });
  return record as EntryRecord<E>;
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
