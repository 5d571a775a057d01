import { HardfsError, errnoCode, parseJsonSafe, type ChangeLogCursor, type SafeDir } from '../index.js';
import { validateRecord, type SessionEntry } from './entry-record.js';
import { SNAPSHOT_FILE, isSafeEntryFileName } from './layout.js';
import type { StoredEntry } from './snapshot.js';

/**
 * `.snapshot`: what a full load read, saved so that the next process to open the store can
 * start from one file instead of thousands. Like the change log it is a cache, never a source
 * of truth: it is only used when it belongs to the change log's current generation, every
 * record in it is checked exactly like an entry file, the change records appended after its
 * position are applied on top (and the files locked when it was taken are re-read), and
 * anything wrong with it means the entry files are read instead.
 *
 * Format: one header line of JSON — `{"v":1,"generation","offset","partial","inFlight":[…]}` —
 * then a JSON array of the entry files' own bytes, spliced in as read (no re-serialization).
 */
export interface SnapshotHeader {
  cursor: ChangeLogCursor;
  /** Entry files whose lock existed when the snapshot was taken: re-read them. */
  inFlight: string[];
}

export interface SnapshotLimits {
  maxEntryBytes: number;
  maxEntryDepth: number;
}

const VERSION = 1;
const MAX_HEADER_BYTES = 64 * 1024;
/** Above this, no snapshot is written (it would double a large store's memory during a load). */
export const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;

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
    parts.push(bytes);
  }
  parts.push(CLOSE);
  // No fsync: after a power loss it is as good as the change log it points into, which is
  // not fsynced either; a snapshot that does not match is simply not used.
  await dir.writeFileAtomic(SNAPSHOT_FILE, Buffer.concat(parts), { fsync: false });
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
export function readSnapshotFile(dir: SafeDir): { header: SnapshotHeader; body: Buffer } | undefined {
  let bytes: Buffer;
  try {
    bytes = dir.readFileSync(SNAPSHOT_FILE, { maxBytes: MAX_SNAPSHOT_BYTES });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const newline = bytes.subarray(0, MAX_HEADER_BYTES).indexOf(0x0a);
  if (newline < 0) throw corrupt('no header line');
  return { header: parseHeader(bytes.subarray(0, newline)), body: bytes.subarray(newline + 1) };
}

function parseHeader(bytes: Buffer): SnapshotHeader {
  const header = parseJsonSafe(bytes, { maxBytes: MAX_HEADER_BYTES, maxDepth: 3 }) as Record<string, unknown> | null;
  if (typeof header !== 'object' || header === null || header['v'] !== VERSION) throw corrupt('unknown header');
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

/** Every record of the body, checked like an entry file, by the file name it belongs in. */
export function parseSnapshotBody<E extends SessionEntry>(
  body: Buffer,
  limits: SnapshotLimits,
  freeze: (entry: E) => E,
): Map<string, StoredEntry<E>> {
  const records = parseJsonSafe(body, { maxBytes: MAX_SNAPSHOT_BYTES, maxDepth: limits.maxEntryDepth + 3 });
  if (!Array.isArray(records)) throw corrupt('body is not an array');
  const entries = new Map<string, StoredEntry<E>>();
  for (const parsed of records) {
    const { record, expectedFileName } = validateRecord<E>(parsed, SNAPSHOT_FILE);
    if (entries.has(expectedFileName)) throw corrupt(`two records for ${expectedFileName}`);
    entries.set(expectedFileName, { key: record.key, entry: freeze(record.entry), rev: record.rev });
  }
  return entries;
}

function corrupt(why: string): HardfsError {
  return new HardfsError('ECORRUPT', `unusable snapshot: ${why}`, { path: SNAPSHOT_FILE });
}
