import { errnoCode, isHardfsError, type ChangeLog, type SafeDir } from '../index.js';
import { parseChangeRecord } from './change-records.js';
import { serializeEntry, type StoreEntry } from './entry-record.js';
import { inspectEntryFile } from './inspect.js';
import { SNAPSHOT_FILE, isEntryFileName } from './layout.js';
import type { ResolvedStoreOptions } from './options.js';
import { parseSnapshotBody, readSnapshotFile } from './snapshot-file.js';
import type { StoreView, StoredEntry } from './view.js';

/** What kind of disagreement {@link Store.verify} found. */
export type VerifyProblemKind =
  /** An entry file the store would quarantine (detail says why). */
  | 'bad-entry-file'
  /** The snapshot file cannot be used at all (it would be ignored and replaced). */
  | 'bad-snapshot'
  /** The snapshot file holds a key whose file holds another value or rev, or no entry. */
  | 'snapshot-differs'
  /** An entry file the snapshot file does not hold. */
  | 'snapshot-missing'
  /** This process's cache holds a value that differs from the file. */
  | 'cache-differs';

/** One disagreement found by {@link Store.verify}. */
export interface VerifyProblem {
  /** What kind it is. */
  kind: VerifyProblemKind;
  /** The entry file (or `.snapshot`). */
  file: string;
  /** Why, as file names, revs, codes and positions: never the files' content. */
  detail: string;
}

/** What {@link Store.verify} found; it changes nothing. */
export interface VerifyReport {
  /** True when there are no problems. */
  ok: boolean;
  /** Entry files compared. */
  entries: number;
  /** Whether a snapshot file was there and compared. */
  snapshotChecked: boolean;
  /** Every disagreement found; empty when `ok`. */
  problems: VerifyProblem[];
}

/**
 * Compares, without changing anything, every entry file with (a) the snapshot file, when a new
 * process would start from it (it belongs to the change log's generation): every file no change
 * record names since the snapshot's position must hold what the snapshot holds, and
 * (b) the given view (this process's cache). Uses the store's own parser (inspectEntryFile).
 * Details carry file names and revs, never content.
 */
export async function verifyStore<E extends StoreEntry>(
  dir: SafeDir,
  options: ResolvedStoreOptions,
  view: StoreView<E> | undefined,
  changes: ChangeLog,
): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const files = new Map<string, { rev: number; json: string }>();
  for (const dirent of await dir.entries()) {
    if (!isEntryFileName(dirent.name)) continue;
    let bytes: Buffer;
    try {
      bytes = await dir.readFile(dirent.name, { maxBytes: options.maxEntryBytes });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue;
      const detail = isHardfsError(error) ? error.code : (errnoCode(error) ?? 'unreadable');
      problems.push({ kind: 'bad-entry-file', file: dirent.name, detail });
      continue;
    }
    const report = inspectEntryFile(bytes, dirent.name, options);
    if (report.status === 'ok') {
      files.set(dirent.name, { rev: report.rev, json: serializeEntry(report.entry, options.maxEntryDepth) });
    } else if (report.status !== 'tombstone') {
      // A tombstone is no entry: it is neither listed nor a problem.
      problems.push({ kind: 'bad-entry-file', file: dirent.name, detail: report.detail });
    }
  }
  let snapshotChecked = false;
  try {
    const snapshot = readSnapshotFile(dir, options.maxSnapshotBytes);
    if (snapshot !== undefined) {
      const since = await changedSince(changes, snapshot.header.cursor);
      snapshotChecked = since !== undefined;
      if (since !== undefined) compareSnapshot(parseSnapshotBody<E>(snapshot.body, options, (entry) => entry), since, snapshot.header.inFlight);
    }
  } catch (error) {
    if (!isHardfsError(error)) throw error;
    problems.push({ kind: 'bad-snapshot', file: SNAPSHOT_FILE, detail: error.message });
  }

  /** Every file no change record names since the snapshot's position must hold what the snapshot holds. */
  function compareSnapshot(entries: Map<string, StoredEntry<E>>, since: Set<string>, inFlight: readonly string[]): void {
    for (const [file, stored] of entries) {
      if (since.has(file) || inFlight.includes(file)) continue;
      const onDisk = files.get(file);
      if (onDisk === undefined || onDisk.rev !== stored.rev || onDisk.json !== serializeEntry(stored.entry, options.maxEntryDepth)) {
        problems.push({
          kind: 'snapshot-differs',
          file,
          detail: onDisk === undefined ? `snapshot holds rev ${stored.rev}, no entry file` : `snapshot holds rev ${stored.rev}, file rev ${onDisk.rev}`,
        });
      }
    }
    for (const [file, onDisk] of files) {
      if (since.has(file) || inFlight.includes(file)) continue;
      if (!entries.has(file)) problems.push({ kind: 'snapshot-missing', file, detail: `file rev ${onDisk.rev} not in the snapshot` });
    }
  }
  if (view !== undefined) {
    for (const [file, stored] of view.files()) {
      const onDisk = files.get(file);
      if (onDisk === undefined || onDisk.rev !== stored.rev) {
        problems.push({ kind: 'cache-differs', file, detail: `cache holds rev ${stored.rev}${onDisk === undefined ? ', no entry file' : `, file rev ${onDisk.rev}`}` });
      }
    }
  }
  return { ok: problems.length === 0, entries: files.size, snapshotChecked, problems };
}

/** Entry files named by change records since `cursor`; undefined when the snapshot would not be used. */
async function changedSince(changes: ChangeLog, cursor: { generation: string; offset: number; partial: boolean }): Promise<Set<string> | undefined> {
  const read = await changes.read(cursor);
  if (read.reset) return undefined;
  const names = new Set<string>();
  for (const record of read.records) {
    const parsed = parseChangeRecord(record);
    if (parsed?.files === undefined) return undefined;
    for (const name of parsed.files) names.add(name);
  }
  return names;
}
