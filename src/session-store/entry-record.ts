import { HardfsError, encodeKey, isBlockedObjectKey, parseJsonSafe, stableStringify } from '../index.js';
import { ENTRY_SUFFIX } from './layout.js';

/** A session entry: a JSON object, optionally carrying a numeric `updatedAt`. */
export type SessionEntry = { updatedAt?: number } & { [field: string]: unknown };

/** One file on disk: `{ "v": 1, "key", "rev", "entry" }`. */
export interface EntryRecord<E extends SessionEntry = SessionEntry> {
  v: 1;
  key: string;
  rev: number;
  entry: E;
}

export const RECORD_VERSION = 1;

export function entryFileName(key: string): string {
  return `${encodeKey(key)}${ENTRY_SUFFIX}`;
}

/** Normalizes a caller's key and refuses what must never become a key (EBADNAME). */
export function normalizeStoreKey(raw: unknown, normalize: (key: string) => string): string {
  if (typeof raw !== 'string') throw new HardfsError('EBADNAME', 'session key must be a string');
  const key = normalize(raw);
  if (typeof key !== 'string' || key.length === 0) {
    throw new HardfsError('EBADNAME', 'session key is empty after normalization', { path: raw });
  }
  if (isBlockedObjectKey(key)) {
    throw new HardfsError('EBADNAME', 'session key is a blocked object key', { path: key });
  }
  encodeKey(key); // refuses lone surrogates (EBADNAME) before any file is touched
  return key;
}

export function isPlainEntry(value: unknown): value is SessionEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === null || proto === Object.prototype;
}

/** Refuses what cannot be stored as an entry (TypeError: a caller bug, not an attack). */
export function assertStorableEntry(value: unknown, key: string): asserts value is SessionEntry {
  if (!isPlainEntry(value)) {
    throw new TypeError(`entry for ${JSON.stringify(key)} must be a plain JSON object`);
  }
  const updatedAt = (value as { updatedAt?: unknown }).updatedAt;
  if (updatedAt !== undefined && (typeof updatedAt !== 'number' || !Number.isFinite(updatedAt))) {
    throw new TypeError(`entry.updatedAt for ${JSON.stringify(key)} must be a finite number when present`);
  }
}

export function serializeEntry(entry: SessionEntry, maxDepth: number): string {
  const text = stableStringify(entry, { maxDepth });
  // An entry is a plain object, which always serializes; undefined would mean a caller bug.
  if (text === undefined) throw new TypeError('entry does not serialize to JSON');
  return text;
}

export function serializeRecord(key: string, rev: number, entryJson: string): string {
  // The entry is already canonical JSON: splice it in rather than stringify it twice.
  return `{"entry":${entryJson},"key":${JSON.stringify(key)},"rev":${rev},"v":${RECORD_VERSION}}\n`;
}

export interface ParseRecordLimits {
  maxBytes: number;
  maxDepth: number;
}

/**
 * Parses and validates one entry file. Anything unexpected is ECORRUPT — including a file
 * whose name is not encodeKey(key) of the key inside, which would otherwise let one file
 * shadow another key.
 */
export function parseRecord<E extends SessionEntry>(bytes: Buffer, fileName: string, limits: ParseRecordLimits): EntryRecord<E> {
  const parsed = parseJsonSafe(bytes, { maxBytes: limits.maxBytes, maxDepth: limits.maxDepth + 2 });
  const { record, expectedFileName } = validateRecord<E>(parsed, fileName);
  if (expectedFileName !== fileName) {
    throw new HardfsError('ECORRUPT', `file name does not match the key inside (expected ${expectedFileName})`, { path: fileName });
  }
  return record;
}

/**
 * Checks an already parsed record (see parseRecord) and returns it with the file name its key
 * must live in. `where` names it in errors.
 */
export function validateRecord<E extends SessionEntry>(
  parsed: unknown,
  where: string,
): { record: EntryRecord<E>; expectedFileName: string } {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HardfsError('ECORRUPT', 'entry file is not a JSON object', { path: where });
  }
  const record = parsed as Record<string, unknown>;
  if (record['v'] !== RECORD_VERSION) {
    throw new HardfsError('ECORRUPT', `unsupported entry record version ${String(record['v'])}`, { path: where });
  }
  const key = record['key'];
  const rev = record['rev'];
  if (typeof key !== 'string' || key.length === 0) {
    throw new HardfsError('ECORRUPT', 'entry record has no key', { path: where });
  }
  if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 1) {
    throw new HardfsError('ECORRUPT', 'entry record has no valid rev', { path: where });
  }
  if (!isPlainEntry(record['entry'])) {
    throw new HardfsError('ECORRUPT', 'entry record has no entry object', { path: where });
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
  return { record: { v: RECORD_VERSION, key, rev, entry: record['entry'] as E }, expectedFileName };
}
