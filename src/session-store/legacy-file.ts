import { closeSync, fstatSync, readSync, type Stats } from '../sys/syscalls.js';
import type { FileHandle } from 'node:fs/promises';
import { HardfsError, errnoCode, formatJsonPath, isHardfsError, parseJsonSafe, type SafeDir } from '../index.js';
import { isPlainEntry, normalizeStoreKey, type SessionEntry } from './entry-record.js';
import type { StoreLayout } from './layout.js';
import { isTrustedOwner, type LeftAlone } from './ownership.js';
import type { ResolvedStoreOptions } from './options.js';

/**
 * Largest legacy file a migration reads, by default. Parsing JSON costs several times its size
 * in heap; the default keeps one open of a store well inside a default Node heap. Raised with
 * the `maxLegacyBytes` option (CLI: `--max-legacy-bytes`).
 */
export const DEFAULT_MAX_LEGACY_BYTES = 128 * 1024 * 1024;

/** A legacy entry a migration did not write, and why. */
export interface SkippedLegacyEntry {
  /** Its key as written in the legacy file (before normalization). */
  key: string;
  /** Why: null, not an object, a bad or blocked key, an older case variant, older than the directory's. */
  reason: string;
}

export type LegacyRead =
  | { kind: 'absent' }
  | { kind: 'left-alone'; leftAlone: LeftAlone }
  | { kind: 'read'; bytes: Buffer };

/**
 * Reads the legacy file through one descriptor opened with O_NOFOLLOW|O_NONBLOCK; owner, type,
 * link count and size are judged on that descriptor (fstat), so the bytes read are those of the
 * inode judged. A file owned by someone other than the store's owner or root, or hard-linked,
 * is left alone and reported; so is a symlink or special file planted by another user. One
 * owned by the store's owner that is a symlink or special file is a refusal (ESYMLINK,
 * EINSECURE): the owner made it, and hardfs does not guess what it meant.
 */
export async function readLegacyFile(parent: SafeDir, layout: StoreLayout, maxBytes: number): Promise<LegacyRead> {
  let handle: FileHandle;
  try {
    handle = await parent.openFile(layout.legacyName);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { kind: 'absent' };
    // Not a regular file, or a symlink: whose is it? (lstat by name: in a sticky directory
    // nobody else can replace a name we own, so a foreign answer can only mean foreign.)
    if (isHardfsError(error, 'ESYMLINK') || isHardfsError(error, 'EINSECURE')) {
      const foreign = await foreignAt(parent, layout.legacyName, layout.storePath);
      if (foreign !== undefined) return { kind: 'left-alone', leftAlone: foreign };
    }
    throw error;
  }
  try {
    const stats = await handle.stat();
    const judged = judgeLegacyStats(stats, layout, maxBytes);
    if (judged !== undefined) return judged;
    return { kind: 'read', bytes: await readBounded(handle, stats.size, maxBytes, layout.storePath) };
  } finally {
    await handle.close();
  }
}

/**
 * readLegacyFile, synchronously (a synchronous read of a store whose migration is pending): the
 * same descriptor-judged checks, by the same code; the bytes are read with readSync.
 */
export function readLegacyFileSync(parent: SafeDir, layout: StoreLayout, maxBytes: number): LegacyRead {
  let fd: number;
  try {
    fd = parent.openFileSync(layout.legacyName);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { kind: 'absent' };
    if (isHardfsError(error, 'ESYMLINK') || isHardfsError(error, 'EINSECURE')) {
      const foreign = foreignAtSync(parent, layout.legacyName, layout.storePath);
      if (foreign !== undefined) return { kind: 'left-alone', leftAlone: foreign };
    }
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    const judged = judgeLegacyStats(stats, layout, maxBytes);
    if (judged !== undefined) return judged;
    return { kind: 'read', bytes: readBoundedSync(fd, stats.size, maxBytes, layout.storePath) };
  } finally {
    closeSync(fd);
  }
}

/** What the descriptor's stats say about the legacy file: left alone, too big, or undefined (read it). */
function judgeLegacyStats(stats: Stats, layout: StoreLayout, maxBytes: number): LegacyRead | undefined {
  if (!isTrustedOwner(stats)) {
    return { kind: 'left-alone', leftAlone: notOwned(layout.storePath, stats.uid) };
  }
  if (stats.nlink > 1) {
    return {
      kind: 'left-alone',
      leftAlone: { path: layout.storePath, reason: `hard-linked (${stats.nlink} links): the same file is reachable under other names` },
    };
  }
  if (stats.size > maxBytes) throw tooBig(layout.storePath, `is ${stats.size} bytes`, maxBytes);
  return undefined;
}

function foreignAtSync(parent: SafeDir, name: string, path: string): LeftAlone | undefined {
  try {
    const stats = parent.lstatSync(name);
    return isTrustedOwner(stats) ? undefined : notOwned(path, stats.uid);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** The legacy file (or another name beside the store) when it is not trusted; undefined when it is ours or gone. */
export async function foreignAt(parent: SafeDir, name: string, path: string): Promise<LeftAlone | undefined> {
  try {
    const stats = await parent.lstat(name);
    return isTrustedOwner(stats) ? undefined : notOwned(path, stats.uid);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

export function notOwned(path: string, uid: number | bigint): LeftAlone {
  const ownerUid = Number(uid);
  return { path, reason: `not owned by the store's owner or root (owner uid ${ownerUid})`, ownerUid };
}

function tooBig(path: string, what: string, maxBytes: number): HardfsError {
  return new HardfsError(
    'ETOOBIG',
    `legacy store ${what}, over the ${maxBytes}-byte bound (raise it with the maxLegacyBytes option, or --max-legacy-bytes)`,
    { path },
  );
}

async function readBounded(handle: FileHandle, size: number, maxBytes: number, path: string): Promise<Buffer> {
  // One byte of headroom tells "the size fstat gave" from "grew since".
  let buffer = Buffer.allocUnsafe(Math.min(size, maxBytes) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > maxBytes) throw tooBig(path, 'grew while read', maxBytes);
      const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  if (length > maxBytes) throw tooBig(path, 'grew while read', maxBytes);
  return buffer.subarray(0, length);
}

function readBoundedSync(fd: number, size: number, maxBytes: number, path: string): Buffer {
  // As readBounded: one byte of headroom tells "the size fstat gave" from "grew since".
  let buffer = Buffer.allocUnsafe(Math.min(size, maxBytes) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > maxBytes) throw tooBig(path, 'grew while read', maxBytes);
      const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const bytesRead = readSync(fd, buffer, length, buffer.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  if (length > maxBytes) throw tooBig(path, 'grew while read', maxBytes);
  return buffer.subarray(0, length);
}

export interface LegacyPlan {
  entries: Map<string, SessionEntry>;
  skipped: SkippedLegacyEntry[];
  /** Set when the file holds no store at all: 0 bytes, only whitespace, or `[]`. */
  empty?: string;
}

/**
 * What a crashed writer that did not fsync leaves: a 0-byte (or all-whitespace) file, or `[]`.
 * They hold no entry; the store opens without them and the file is left as it is.
 */
function emptyLegacy(bytes: Buffer): string | undefined {
  const text = bytes.toString('latin1').trim();
  if (text.length === 0) return bytes.length === 0 ? 'legacy store is empty (0 bytes)' : 'legacy store holds only whitespace';
  if (/^\[\s*\]$/.test(text)) return 'legacy store is an empty JSON array';
  return undefined;
}

/**
 * Parses the legacy file and plans what to migrate. Every entry is either planned or reported
 * in `skipped` with its reason; nothing in the file goes unaccounted for.
 */
export function planLegacyEntries(bytes: Buffer, layout: StoreLayout, options: ResolvedStoreOptions): LegacyPlan {
  const empty = emptyLegacy(bytes);
  if (empty !== undefined) return { entries: new Map(), skipped: [], empty };
  let parsed: unknown;
  const droppedTopLevel: string[] = [];
  // Entry (top-level key) → the first blocked key path found inside it, as `.a.b[1].constructor`.
  const withBlockedInside = new Map<string, string>();
  try {
    parsed = parseJsonSafe(bytes, {
      maxBytes: bytes.length,
      maxDepth: options.maxEntryDepth + 1,
      onBlockedKey: 'drop',
      onDroppedKey: (key, topLevel, holder) => {
        if (topLevel) {
          droppedTopLevel.push(key);
          return;
        }
        const entryKey = String(holder[0]);
        if (!withBlockedInside.has(entryKey)) withBlockedInside.set(entryKey, formatJsonPath([...holder.slice(1), key]).slice(1));
      },
    });
  } catch (error) {
    // Unparseable legacy JSON is never "migrated" into an empty store: refuse, touch nothing.
    // So is a number that overflows to Infinity (`1e400`): no JSON writer produces one, so the
    // file is not what a writer left, and guessing which entry to drop would be a silent loss.
    // parseJsonSafe's messages give a position and never quote the file's bytes.
    const detail = isHardfsError(error) ? error.message.slice(`${error.code}: `.length) : 'unreadable';
    const what = isHardfsError(error, 'ECORRUPT') && detail.startsWith('number out of the finite range') ? 'cannot be migrated' : 'is not valid JSON';
    throw new HardfsError('ECORRUPT', `legacy store ${what} (${detail}); left untouched`, {
      path: layout.storePath,
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HardfsError('ECORRUPT', 'legacy store is not a JSON object; left untouched', { path: layout.storePath });
  }
  const entries = new Map<string, SessionEntry>();
  const rawKeyOf = new Map<string, string>();
  // Entries under a blocked key never reach us (the safe parser drops them): report them so
  // that nothing leaves the legacy file unaccounted for.
  const skipped: SkippedLegacyEntry[] = droppedTopLevel.map((key) => ({ key, reason: 'blocked object key' }));
  for (const [rawKey, value] of Object.entries(parsed as Record<string, unknown>)) {
    let key: string;
    try {
      key = normalizeStoreKey(rawKey, options.normalizeKey);
    } catch (error) {
      skipped.push({ key: rawKey, reason: `invalid key: ${(error as Error).message}` });
      continue;
    }
    if (!isPlainEntry(value)) {
      skipped.push({ key: rawKey, reason: value === null ? 'null entry' : 'entry is not a JSON object' });
      continue;
    }
    const blockedPath = withBlockedInside.get(rawKey);
    if (blockedPath !== undefined) {
      // The safe parser dropped it; migrating the rest would lose it silently.
      skipped.push({ key: rawKey, reason: `holds a blocked object key at ${blockedPath}` });
      continue;
    }
    const existing = entries.get(key);
    if (existing !== undefined) {
      // Case variants of one key: the newest updatedAt wins (a missing or non-numeric one counts
      // as oldest); the loser is reported, and stays readable in the byte-identical backup.
      const keepNew = updatedAtOf(value) > updatedAtOf(existing);
      const loser = keepNew ? (rawKeyOf.get(key) ?? key) : rawKey;
      skipped.push({ key: loser, reason: `older case variant of ${JSON.stringify(key)}` });
      if (!keepNew) continue;
    }
    entries.set(key, value);
    rawKeyOf.set(key, rawKey);
  }
  return { entries, skipped };
}

/** updatedAt for merging: absent, null or not a number counts as oldest. */
export function updatedAtOf(entry: SessionEntry): number {
  const value = (entry as { updatedAt?: unknown }).updatedAt;
  return typeof value === 'number' && Number.isFinite(value) ? value : Number.NEGATIVE_INFINITY;
}
