import { isBlockedObjectKey, parseJsonSafe } from '../index.js';
import { entryFileName } from '../session-store/index.js';
import { errorLine } from './output.js';

/** The store's defaults: an entry file is at most 16 MiB and 256 levels deep (plus the record's own two). */
export const ENTRY_MAX_BYTES = 16 * 1024 * 1024;
const ENTRY_MAX_DEPTH = 256 + 2;

export interface EntryFileOk {
  status: 'ok';
  key: string;
  rev: number;
  entry: Record<string, unknown>;
  updatedAt: unknown;
}

export interface EntryFileBad {
  status: 'corrupt' | 'mismatch';
  detail: string;
  /** Whether the content looks like a store record at all ({ key, entry }), for dirs not known to be stores. */
  recordShaped: boolean;
}

/** What a multi-key commit that deletes a key leaves if it is cut short: it reads as "no entry". */
export interface EntryFileTombstone {
  status: 'tombstone';
  key: string;
  rev: number;
}

export type EntryFileCheck = EntryFileOk | EntryFileBad | EntryFileTombstone;

/** A JSON object (parseJsonSafe gives them null prototypes), not an array or null. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shortKey(key: string): string {
  const quoted = JSON.stringify(key);
  return quoted.length > 80 ? `${quoted.slice(0, 77)}..."` : quoted;
}

/**
 * Checks one entry file the way the store does on load ({ v: 1, key, rev, entry }, and the
 * file name must be entryFileName(key)), without the store's side effect: nothing is moved to
 * quarantine, the caller only reports. The store's own parser is not public (see the report in
 * README "For operators"), hence this re-statement of the record format.
 */
export function checkEntryFile(bytes: Buffer, fileName: string): EntryFileCheck {
  let parsed: unknown;
  try {
    parsed = parseJsonSafe(bytes, { maxBytes: Math.max(bytes.length, 1), maxDepth: ENTRY_MAX_DEPTH });
  } catch (error) {
    return { status: 'corrupt', detail: errorLine(error), recordShaped: false };
  }
  if (!isJsonObject(parsed)) return { status: 'corrupt', detail: 'not a JSON object', recordShaped: false };
  const { v, key, rev, entry } = parsed;
  const recordShaped = typeof key === 'string' && 'entry' in parsed;
  const corrupt = (detail: string): EntryFileBad => ({ status: 'corrupt', detail, recordShaped });
  if (v !== 1) return corrupt(v === undefined ? 'record has no version' : `unsupported record version ${JSON.stringify(v)}`);
  if (typeof key !== 'string' || key.length === 0) return corrupt('record has no key');
  if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 1) return corrupt('record has no valid rev');
  if (parsed['deleted'] === true && !('entry' in parsed)) {
    let expectedName: string | undefined;
    try {
      expectedName = entryFileName(key);
    } catch {
      expectedName = undefined;
    }
    if (expectedName === fileName && typeof parsed['txn'] === 'string') return { status: 'tombstone', key, rev };
  }
  if (!isJsonObject(entry)) return corrupt('record has no entry object');
  if (isBlockedObjectKey(key)) return corrupt(`key ${shortKey(key)} is a blocked object key`);
  let expected: string;
  try {
    expected = entryFileName(key);
  } catch (error) {
    return corrupt(`key ${shortKey(key)} cannot be a file name (${errorLine(error)})`);
  }
  if (expected !== fileName) {
    return {
      status: 'mismatch',
      detail: `holds key ${shortKey(key)}, whose file name is ${expected}`,
      recordShaped: true,
    };
  }
  return { status: 'ok', key, rev, entry, updatedAt: entry['updatedAt'] };
}
