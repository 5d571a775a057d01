import { isHardfsError } from '../index.js';
import { parseEntryJson, validateRecord, type StoreEntry } from './entry-record.js';

/** The bounds {@link inspectEntryFile} applies, as the store's `maxEntryBytes` and `maxEntryDepth`. */
export interface InspectLimits {
  /** Default 16 MiB, the store's default maxEntryBytes. */
  maxEntryBytes?: number;
  /** Default 256, the store's default maxEntryDepth. */
  maxEntryDepth?: number;
}

/** What {@link inspectEntryFile} makes of an entry file, by `status`. */
export type EntryFileReport =
  /** A valid entry file. */
  | {
      /** `'ok'`: a valid entry; `'tombstone'`, `'corrupt'`, `'mismatch'`: see the other members. */
      status: 'ok';
      /** The key the record holds. */
      key: string;
      /** The record's revision (1 for a new key, one more at each write). */
      rev: number;
      /** The entry, as parsed (null-prototype objects). */
      entry: StoreEntry;
      /** The multi-key commit that wrote it, if one did. */
      txn?: string;
    }
  /** A multi-key commit's tombstone: reads as no entry. */
  | { status: 'tombstone'; key: string; rev: number; txn: string }
  /** Not a valid record at all: what the store would quarantine. */
  | {
      status: 'corrupt';
      /** Why, with positions and codes: never the file's content. */
      detail: string;
      /** Whether the file has a string `key` and an `entry` (a damaged record rather than a foreign file). */
      recordShaped: boolean;
    }
  /** A valid record in a file whose name is not entryFileName(key): also quarantined. */
  | {
      status: 'mismatch';
      detail: string;
      key: string;
      /** The file name the record's key belongs in. */
      expectedFileName: string;
      recordShaped: true;
    };

/**
 * What the store would make of an entry file's bytes, without its side effects (nothing is
 * quarantined) and without throwing: the CLI reports it. The same parser and checks the store
 * uses on every read, so the two cannot disagree. Details carry positions, never file content.
 */
export function inspectEntryFile(bytes: Buffer, fileName: string, limits: InspectLimits = {}): EntryFileReport {
  const maxBytes = limits.maxEntryBytes ?? 16 * 1024 * 1024;
  const maxDepth = limits.maxEntryDepth ?? 256;
  let parsed: unknown;
  try {
    parsed = parseEntryJson(bytes, maxBytes, maxDepth + 2, fileName);
  } catch (error) {
    if (!isHardfsError(error)) throw error;
    return { status: 'corrupt', detail: error.message, recordShaped: false };
  }
  // A primitive has no string `key`; `in` is asked only of what has one.
  const shaped = typeof (parsed as { key?: unknown } | null | undefined)?.key === 'string' && 'entry' in (parsed as object);
  try {
    const { record, expectedFileName } = validateRecord(parsed, fileName);
    if (expectedFileName !== fileName) {
      return {
        status: 'mismatch',
        detail: `file name does not match the key inside (expected ${expectedFileName})`,
        key: record.key,
        expectedFileName,
        recordShaped: true,
      };
    }
    if (record.entry === undefined) return { status: 'tombstone', key: record.key, rev: record.rev, txn: record.txn as string };
    return record.txn === undefined
      ? { status: 'ok', key: record.key, rev: record.rev, entry: record.entry }
      : { status: 'ok', key: record.key, rev: record.rev, entry: record.entry, txn: record.txn };
  } catch (error) {
    if (!isHardfsError(error)) throw error;
    return { status: 'corrupt', detail: error.message, recordShaped: shaped };
  }
}
