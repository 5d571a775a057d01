import {
  DEFAULT_JSON_MAX_DEPTH,
  HardfsError,
  assertSafeJsonValue,
  encodeKey,
  isBlockedObjectKey,
  isHardfsError,
  parseJsonSafe,
  stableStringify,
} from '../index.js';
import { ENTRY_SUFFIX, isIntentId, isSafeEntryFileName } from './layout.js';

/** An entry: a plain JSON object. */
export type StoreEntry = { [field: string]: unknown };

/**
 * One entry file: `{ "v": 1, "key", "rev", "entry" }`, plus `"txn": "<id>"` when a multi-key
 * commit wrote it (readers that meet it while that commit's intent exists wait for the commit).
 * A multi-key commit that deletes a key first replaces its file by a tombstone
 * (`{ "v": 1, "key", "rev", "deleted": true, "txn" }`) and unlinks it once the commit is whole:
 * a tombstone reads as "no entry".
 */
export interface EntryRecord<E extends StoreEntry = StoreEntry> {
  /** The record format's version: 1. */
  v: 1;
  /** The key, as normalized: the file's name is entryFileName(key). */
  key: string;
  /** The revision: 1 for a new key, one more at each write. */
  rev: number;
  /** undefined for a tombstone. */
  entry: E | undefined;
  /** The multi-key commit that wrote the file, if one did. */
  txn?: string;
  /** With txn: the entry files that commit changed (undefined: too many to list). */
  with?: string[] | undefined;
}

/** The marker a multi-key commit leaves in the files it writes. */
export interface TxnMarker {
  id: string;
  /** Every file of the commit; undefined when too many to list (a reader then reloads all). */
  files: readonly string[] | undefined;
}

const MAX_MARKER_FILES = 32;

function markerText(txn: TxnMarker): string {
  const files = txn.files !== undefined && txn.files.length <= MAX_MARKER_FILES ? JSON.stringify(txn.files) : '"*"';
  return `,"txn":"${txn.id}","v":${RECORD_VERSION},"with":${files}`;
}

export const RECORD_VERSION = 1;

/**
 * The file name of `key`'s entry: encodeKey(key) + `.json`. EBADNAME for a key encodeKey
 * refuses (empty, a lone surrogate). Keys are not normalized here: pass the stored key.
 */
export function entryFileName(key: string): string {
  return `${encodeKey(key)}${ENTRY_SUFFIX}`;
}

/** Normalizes a caller's key and refuses what must never become a key (EBADNAME). */
export function normalizeStoreKey(raw: unknown, normalize: (key: string) => string): string {
  if (typeof raw !== 'string') throw new HardfsError('EBADNAME', 'store key must be a string');
  const key = normalize(raw);
  if (typeof key !== 'string' || key.length === 0) {
    throw new HardfsError('EBADNAME', 'store key is empty after normalization', { path: raw });
  }
  if (isBlockedObjectKey(key)) {
    throw new HardfsError('EBADNAME', 'store key is a blocked object key', { path: key });
  }
  encodeKey(key); // refuses lone surrogates (EBADNAME) before any file is touched
  return key;
}

export function isPlainEntry(value: unknown): value is StoreEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === null || proto === Object.prototype;
}

/**
 * Refuses what cannot be stored as an entry: not a plain object (TypeError: a caller bug), a
 * blocked key at any depth (EBADNAME naming its path), a non-finite number or a non-JSON value
 * anywhere (TypeError), a cycle (ECYCLE), nesting past `maxDepth` (EDEPTH). The rule is the
 * objects layer's assertSafeJsonValue, the one every parseJsonSafe result passes, so that what
 * is refused at read is refused at write; paths are the entry's (`entry.a.b`, not `$.a.b`).
 */
export function assertStorableEntry(value: unknown, key: string, maxDepth: number = DEFAULT_JSON_MAX_DEPTH): asserts value is StoreEntry {
  if (!isPlainEntry(value)) {
    throw new TypeError(`entry for ${JSON.stringify(key)} must be a plain JSON object`);
  }
  try {
    assertSafeJsonValue(value, { maxDepth });
  } catch (error) {
    if (!isHardfsError(error)) throw error;
    const path = entryPath(error.path);
    const said = bareMessage(error);
    if (error.code === 'ECORRUPT') {
      // What JSON cannot carry is a caller bug at write (at read it is a corrupt file).
      throw new TypeError(`entry holds ${said.replace(/ has no JSON form$/, '')} at ${path} (JSON cannot carry it)`, { cause: error });
    }
    const why = error.code === 'EBADNAME' ? `entry holds a blocked object key at ${path}` : said;
    throw new HardfsError(error.code, why, { path, cause: error });
  }
}

/** A validator path (`$.a[1]`) as the entry's (`entry.a[1]`). */
function entryPath(path: string | undefined): string {
  return `entry${(path ?? '$').slice(1)}`;
}

/** An error's message without the code before it and the path after it. */
function bareMessage(error: HardfsError): string {
  const head = `${error.code}: `;
  const tail = error.path === undefined ? '' : `: ${error.path}`;
  let text = error.message.startsWith(head) ? error.message.slice(head.length) : error.message;
  if (tail !== '' && text.endsWith(tail)) text = text.slice(0, -tail.length);
  return text;
}

export function serializeEntry(entry: StoreEntry, maxDepth: number): string {
  const text = stableStringify(entry, { maxDepth });
  // An entry is a plain object, which always serializes; undefined would mean a caller bug.
  if (text === undefined) throw new TypeError('entry does not serialize to JSON');
  return text;
}

export function serializeRecord(key: string, rev: number, entryJson: string, txn?: TxnMarker): string {
  // The entry is already canonical JSON: splice it in rather than stringify it twice.
  const tail = txn === undefined ? `,"v":${RECORD_VERSION}` : markerText(txn);
  return `{"entry":${entryJson},"key":${JSON.stringify(key)},"rev":${rev}${tail}}\n`;
}

export function serializeTombstone(key: string, rev: number, txn: TxnMarker): string {
  return `{"deleted":true,"key":${JSON.stringify(key)},"rev":${rev}${markerText(txn)}}\n`;
}

export interface ParseRecordLimits {
  maxBytes: number;
  maxDepth: number;
}

/**
 * Parses and validates one entry file. Anything unexpected is ECORRUPT — including a file
 * whose name is not encodeKey(key) of the key inside (which would let one file shadow another
 * key), a blocked key at any depth (never silently dropped) and a number that parses as
 * Infinity.
 */
export function parseRecord<E extends StoreEntry>(bytes: Buffer, fileName: string, limits: ParseRecordLimits): EntryRecord<E> {
  const parsed = parseEntryJson(bytes, limits.maxBytes, limits.maxDepth + 2, fileName);
  const { record, expectedFileName } = validateRecord<E>(parsed, fileName);
  if (expectedFileName !== fileName) {
    throw new HardfsError('ECORRUPT', `file name does not match the key inside (expected ${expectedFileName})`, { path: fileName });
  }
  return record;
}

/** parseJsonSafe with blocked keys refused rather than dropped, as ECORRUPT. */
export function parseEntryJson(bytes: Buffer, maxBytes: number, maxDepth: number, where: string): unknown {
  try {
    return parseJsonSafe(bytes, { maxBytes, maxDepth, onBlockedKey: 'throw' });
  } catch (error) {
    if (isHardfsError(error, 'EBADNAME')) {
      throw new HardfsError('ECORRUPT', `holds a blocked object key (${error.path ?? ''}): nothing is dropped silently`, {
        path: where,
        cause: error,
      });
    }
    if (isHardfsError(error)) throw new HardfsError(error.code, error.message, { path: where, cause: error });
    throw error;
  }
}

/** A revision: a positive safe integer (Number.isSafeInteger is false for anything not a number). */
function isRevision(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

/**
 * Checks a record parsed by parseEntryJson (see parseRecord) and returns it with the file name
 * its key must live in. `where` names it in errors. The entry's values need no second walk:
 * parseJsonSafe already refused blocked keys at any depth and numbers that overflow.
 */
export function validateRecord<E extends StoreEntry>(parsed: unknown, where: string): { record: EntryRecord<E>; expectedFileName: string } {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HardfsError('ECORRUPT', 'entry file is not a JSON object', { path: where });
  }
  const record = parsed as Record<string, unknown>;
  if (record['v'] !== RECORD_VERSION) {
    // The version found is file content: not quoted.
    throw new HardfsError('ECORRUPT', `unsupported entry record version (this reader knows ${RECORD_VERSION})`, { path: where });
  }
  const key = record['key'];
  const rev = record['rev'];
  const txn = record['txn'];
  if (typeof key !== 'string' || key.length === 0) {
    throw new HardfsError('ECORRUPT', 'entry record has no key', { path: where });
  }
  if (!isRevision(rev)) {
    throw new HardfsError('ECORRUPT', 'entry record has no valid rev', { path: where });
  }
  if (txn !== undefined && (typeof txn !== 'string' || !isIntentId(txn))) {
    throw new HardfsError('ECORRUPT', 'entry record has an invalid txn', { path: where });
  }
  const withFiles = record['with'];
  if (
    (txn === undefined && withFiles !== undefined) ||
    (txn !== undefined &&
      withFiles !== '*' &&
      !(Array.isArray(withFiles) && withFiles.every((name) => typeof name === 'string' && isSafeEntryFileName(name))))
  ) {
    throw new HardfsError('ECORRUPT', 'entry record has an invalid txn file list', { path: where });
  }
  let entry: E | undefined; // stays undefined for a tombstone
  if (!(record['deleted'] === true && txn !== undefined && !('entry' in record))) {
    if (!isPlainEntry(record['entry'])) {
      throw new HardfsError('ECORRUPT', 'entry record has no entry object', { path: where });
    }
    entry = record['entry'] as E;
  }
  let expectedFileName: string;
  try {
    expectedFileName = entryFileName(key);
  } catch {
    throw new HardfsError('ECORRUPT', 'entry record key cannot be encoded', { path: where });
  }
  if (isBlockedObjectKey(key)) {
    throw new HardfsError('ECORRUPT', 'entry record key is a blocked object key', { path: where });
  }
  const result: EntryRecord<E> = { v: RECORD_VERSION, key, rev, entry };
  if (typeof txn === 'string') {
    result.txn = txn;
    result.with = Array.isArray(withFiles) ? (withFiles as string[]) : undefined;
  }
  return { record: result, expectedFileName };
}
