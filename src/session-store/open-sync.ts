import { join } from 'node:path';
import { errnoCode, isHardfsError, openDirSync, type SafeDir } from '../index.js';
import { openStoreSync } from '../store/index.js';
import type { SessionEntry } from './entry-record.js';
import { storeLayout } from './layout.js';
import { DEFAULT_MAX_LEGACY_BYTES, planLegacyEntries, readLegacyFileSync } from './legacy-file.js';
import type { LeftAlone } from './ownership.js';
import { resolveStoreOptions, type SessionStoreOptions } from './options.js';
import { SessionStore, sessionNormalizer } from './session-store.js';

/**
 * Opens the session store named by `<dir>/sessions.json` for synchronous reads, read-only (see
 * hardfs/store's openStoreSync): the parent and `sessions.d/` are opened as openSessionStore
 * opens them (a symlink is ESYMLINK, owner and mode judged on the descriptor), and nothing is
 * created, migrated or swept. Returns undefined when `sessions.d/` does not exist — also when a
 * legacy `sessions.json` waits to be migrated: a synchronous open never migrates (read that
 * file's entries with readLegacySessionsSync; the first openSessionStore migrates it). Writes on
 * the returned store are EUNSUPPORTED.
 */
export function openSessionStoreSync<E extends SessionEntry = SessionEntry>(
  storePath: string,
  options: SessionStoreOptions = {},
): SessionStore<E> | undefined {
  const layout = storeLayout(storePath);
  const resolved = resolveStoreOptions(options);
  const parent = openParentSync(layout.parentPath);
  if (parent === undefined) return undefined;
  void parent.close();
  const store = openStoreSync<E>(join(layout.parentPath, layout.dirName), {
    ...options,
    normalizeKey: resolved.normalizeKey,
    normalizeEntry: sessionNormalizer(options.normalizeEntry),
  });
  return store === undefined ? undefined : new SessionStore<E>(layout, store);
}

/** What readLegacySessionsSync found: the entries, or why there are none to read. */
export type LegacySessionsRead<E extends SessionEntry> =
  /** No legacy file (or no parent directory). */
  | {
      /** `'absent'`, `'left-alone'` or `'read'`: which of the three this is. */
      kind: 'absent';
    }
  /** A legacy file that is not trusted (another user's, or hard-linked): not read. */
  | {
      kind: 'left-alone';
      /** What was left alone, and why. */
      leftAlone: LeftAlone;
    }
  /** The file's entries. */
  | {
      kind: 'read';
      /** The entries a migration would write, by normalized key. */
      entries: Map<string, E>;
    };

/**
 * The entries of a legacy `sessions.json` not migrated yet, synchronously and read-only: read by
 * the migration's own owner-checked reader (one O_NOFOLLOW descriptor, owner, link count and
 * size judged on it; a file not owned by the store's owner or hard-linked is left alone) and
 * planned as a migration would plan them (keys normalized, invalid entries skipped). Invalid
 * JSON is ECORRUPT, the file untouched. Nothing is written.
 */
export function readLegacySessionsSync<E extends SessionEntry = SessionEntry>(
  storePath: string,
  options: SessionStoreOptions & { maxLegacyBytes?: number } = {},
): LegacySessionsRead<E> {
  const layout = storeLayout(storePath);
  const resolved = resolveStoreOptions(options);
  const parent = openParentSync(layout.parentPath);
  if (parent === undefined) return { kind: 'absent' };
  try {
    const read = readLegacyFileSync(parent, layout, options.maxLegacyBytes ?? DEFAULT_MAX_LEGACY_BYTES);
    if (read.kind !== 'read') return read;
    const plan = planLegacyEntries(read.bytes, layout, resolved);
    return { kind: 'read', entries: plan.entries as Map<string, E> };
  } finally {
    void parent.close();
  }
}

function openParentSync(path: string): SafeDir | undefined {
  try {
    return openDirSync(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' && !isHardfsError(error)) return undefined;
    throw error;
  }
}
