import { HardfsError, errnoCode, type ChangeLogCursor, type SafeDir } from '../index.js';
import { parseEntryJson, validateRecord, type StoreEntry } from './entry-record.js';
import { SNAPSHOT_FILE, isSafeEntryFileName } from './layout.js';
import type { StoredEntry } from './view.js';

/**
 * The snapshot file (`.snapshot`): what a full load read, saved so that the next process to
 * open the store can start from one file instead of thousands. Like the change log it is a
 * cache, never a source of truth: it is only used when it belongs to the change log's current
 * generation, every record in it is checked exactly like an entry file, the change records
 * appended after its position are applied on top (and the files locked when it was taken are
 * re-read), and anything wrong with it means the entry files are read instead. `verify` (see
 * verify.ts) compares it with the files.
 *
 * Format: one header line of JSON — `{"v":1,"generation","offset","partial","inFlight":[…]}` —
 * then a JSON array of the entry files' own bytes, spliced in as read (no re-serialization;
 * a UTF-8 byte order mark, which a lone file may start with but an array element may not, is
 * dropped first).
 */
export interface SnapshotHeader {
  cursor: ChangeLogCursor;
  /** Entry files whose lock existed when the snapshot was taken: re-read them. */
  inFlight: string[];
}

export interface SnapshotLimits {
  maxEntryBytes: number;
  maxEntryDepth: number;
  maxSnapshotBytes: number;
}

const VERSION = 1;
const MAX_HEADER_BYTES = 64 * 1024;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export async function writeSnapshotFile(dir: SafeDir, header: SnapshotHeader, files: readonly Buffer[]): Promise<void> {
  const head = `${JSON.stringify({
    v: VERSION,
    generation: header.cursor.generation,
    offset: header.cursor.offset,
    partial: header.cursor.partial,
    inFlight: header.inFlight,
  })}\n[`;
  const parts: Buffer[] = [Buffer.from(head)];
  for (const [index, bytes] of files.entries()) {
    if (index > 0) parts.push(COMMA);
    parts.push(withoutBom(bytes));
  }
  parts.push(CLOSE);
  // No fsync: after a power loss it is as good as the change log it points into, which is
  // not fsynced either; a snapshot that does not match is simply not used. Exact mode: the
  // snapshot holds every entry, it must not take a looser mode from the umask.
  await dir.writeFileAtomic(SNAPSHOT_FILE, Buffer.concat(parts), { fsync: false, mode: 0o600, exactMode: true });
}

export function withoutBom(bytes: Buffer): Buffer {
  return bytes.subarray(0, 3).equals(BOM) ? bytes.subarray(3) : bytes;
}

const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** Only the header (a short read): enough to know whether the snapshot can be used at all. */
export async function readSnapshotHeader(dir: SafeDir): Promise<SnapshotHeader | undefined> {
  let handle;
  try {
    handle = await dir.openFile(SNAPSHOT_FILE);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(MAX_HEADER_BYTES), 0, MAX_HEADER_BYTES, 0);
    const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
    if (newline < 0) throw corrupt('no header line');
    return parseHeader(buffer.subarray(0, newline));
  } finally {
    await handle.close();
  }
}

/** The snapshot's header and its undecoded body, or undefined when there is none. */
export function readSnapshotFile(dir: SafeDir, maxSnapshotBytes: number): { header: SnapshotHeader; body: Buffer } | undefined {
  let bytes: Buffer;
  try {
    bytes = dir.readFileSync(SNAPSHOT_FILE, { maxBytes: maxSnapshotBytes });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const newline = bytes.subarray(0, MAX_HEADER_BYTES).indexOf(0x0a);
  if (newline < 0) throw corrupt('no header line');
  return { header: parseHeader(bytes.subarray(0, newline)), body: bytes.subarray(newline + 1) };
}

function parseHeader(bytes: Buffer): SnapshotHeader {
  const header = parseEntryJson(bytes, MAX_HEADER_BYTES, 3, SNAPSHOT_FILE) as Record<string, unknown> | null;
  // A primitive header has no `v` either.
  if (header === null || header['v'] !== VERSION) throw corrupt('unknown header');
  const { generation, offset, partial, inFlight } = header;
  if (
    typeof generation !== 'string' ||
    // Stryker disable next-line ConditionalExpression: !Number.isSafeInteger(offset) on the next line is true for every non-number
    typeof offset !== 'number' ||
    !Number.isSafeInteger(offset) ||
    offset < 0 ||
    typeof partial !== 'boolean' ||
    !Array.isArray(inFlight) ||
    !inFlight.every((name): name is string => typeof name === 'string' && isSafeEntryFileName(name))
  ) {
    throw corrupt('malformed header');
  }
  return { cursor: { generation, offset, partial }, inFlight };
}

/**
 * Every record of the body, checked like an entry file, by the file name it belongs in. One
 * parse of the whole body (not one per record): opening from a snapshot costs about one
 * JSON.parse of it. Entry sizes are not stored: each counts as its share of the body.
 */
export function parseSnapshotBody<E extends StoreEntry>(
  body: Buffer,
  limits: SnapshotLimits,
  prepare: (entry: E, key: string) => E,
): Map<string, StoredEntry<E>> {
  const records = parseEntryJson(body, limits.maxSnapshotBytes, limits.maxEntryDepth + 3, SNAPSHOT_FILE);
  if (!Array.isArray(records)) throw corrupt('body is not an array');
  const size = Math.ceil(body.length / records.length); // Infinity for no records: then unused
  const entries = new Map<string, StoredEntry<E>>();
  for (const parsed of records) {
    const { record, expectedFileName } = validateRecord<E>(parsed, SNAPSHOT_FILE);
    if (record.entry === undefined) throw corrupt('holds a tombstone');
    if (entries.has(expectedFileName)) throw corrupt(`two records for ${expectedFileName}`);
    entries.set(expectedFileName, { key: record.key, entry: prepare(record.entry, record.key), rev: record.rev, size });
  }
  return entries;
}

function corrupt(why: string): HardfsError {
  return new HardfsError('ECORRUPT', `unusable snapshot: ${why}`, { path: SNAPSHOT_FILE });
}
