import { resolve } from 'node:path';
import { isHardfsError } from '../index.js';
import type { LockCallOptions } from '../store/index.js';
import type { SessionRecord } from './session-store.js';
import type { SessionEntry } from './entry-record.js';
import type { SessionStoreOptions } from './options.js';
import { openSessionStore, type EntryMutator, type SessionStore } from './session-store.js';

/**
 * The function API existing callers use. Each store path gets one long-lived SessionStore per
 * process (opened on first use), so repeated calls pay for a change-log check, not for
 * re-opening and re-validating directories. Lock options (`lockTimeoutMs`, `lockStaleMs`) are
 * honoured per call, not frozen at the first one. A store whose directory was removed or
 * replaced (it closes itself with ECLOSED) is dropped and opened again by the same call.
 */
const openStores = new Map<string, Promise<SessionStore>>();

function storeFor(storePath: string, options?: SessionStoreOptions): Promise<SessionStore> {
  const key = resolve(storePath);
  let store = openStores.get(key);
  if (store === undefined) {
    store = openSessionStore(key, options);
    openStores.set(key, store);
    // A failed open must not poison the path for later calls.
    store.catch(() => openStores.delete(key));
  }
  return store;
}

/** Runs `use` on the path's store; once more on a fresh store if the cached one had to close. */
async function withStore<T>(storePath: string, options: SessionStoreOptions | undefined, use: (store: SessionStore) => Promise<T>): Promise<T> {
  const store = await storeFor(storePath, options);
  try {
    return await use(store);
  } catch (error) {
    if (!isHardfsError(error, 'ECLOSED')) throw error;
    const key = resolve(storePath);
    if (openStores.get(key) !== undefined && (await openStores.get(key)) === store) openStores.delete(key);
    return use(await storeFor(storePath, options));
  }
}

function callOptions(options: SessionStoreOptions | undefined): LockCallOptions {
  const call: LockCallOptions = {};
  if (options?.lockTimeoutMs !== undefined) call.timeoutMs = options.lockTimeoutMs;
  if (options?.lockStaleMs !== undefined) call.staleMs = options.lockStaleMs;
  return call;
}

/**
 * Every entry of the store at `storePath` (`<dir>/sessions.json`; the directory is
 * `<dir>/sessions.d/`), through the path's long-lived SessionStore (opened, and a legacy file
 * migrated, on first use; `options` count at that open, lock options at every call). The
 * result is the frozen, null-prototype entries record shared until the next commit (nothing
 * copied); for a mutable copy, `(await openSessionStore(path)).loadAll({ copy: true })`, which
 * costs one serialize-and-parse of every entry. Refuses what openSessionStore and
 * SessionStore#loadAll refuse (ETOOBIG past `maxTotalEntryBytes` …).
 *
 * @example
 * ```ts
 * import { loadSessionStore } from 'hardfs/session-store';
 *
 * const sessions = await loadSessionStore('/state/agents/main/sessions/sessions.json');
 * for (const [key, entry] of Object.entries(sessions)) console.log(key, entry.updatedAt);
 * ```
 */
export async function loadSessionStore<E extends SessionEntry = SessionEntry>(
  storePath: string,
  options?: SessionStoreOptions,
): Promise<Readonly<Record<string, E>>> {
  return withStore(storePath, options, (store) => store.loadAll() as Promise<Readonly<Record<string, E>>>);
}

/**
 * All-or-nothing update of several entries (SessionStore#updateMany): the mutator gets a record
 * of the whole store (entries copied when read); assigning, `delete record[key]` or assigning
 * `DELETE` changes it, and only changed keys are written, in one commit. Resolves to what the
 * mutator returns. It may run again when another process committed a key it read. Refuses what
 * Store#updateMany refuses: ELOCKED past `lockTimeoutMs` (per call) or after
 * `maxUpdateRetries`, the entry refusals (TypeError, EBADNAME, ECYCLE, EDEPTH, ETOOBIG); an
 * error with `possiblyApplied: true` may have been committed.
 *
 * @example
 * ```ts
 * import { updateSessionStore } from 'hardfs/session-store';
 *
 * const removed = await updateSessionStore(storePath, (record) => {
 *   let count = 0;
 *   for (const key of Object.keys(record)) {
 *     if ((record[key]?.updatedAt ?? 0) < Date.now() - 30 * 86_400_000) {
 *       delete record[key];
 *       count += 1;
 *     }
 *   }
 *   return count;
 * });
 * ```
 */
export async function updateSessionStore<R, E extends SessionEntry = SessionEntry>(
  storePath: string,
  mutator: (store: SessionRecord<E>) => R | Promise<R>,
  options?: SessionStoreOptions,
): Promise<R> {
  return withStore(storePath, options, (store) => (store as unknown as SessionStore<E>).updateMany(mutator, callOptions(options)));
}

/**
 * Read-modify-write of one entry (SessionStore#update): the mutator gets a fresh copy of the
 * entry (or undefined) and returns the new one, `undefined` to keep it, or `DELETE` to remove
 * it. Resolves to the stored entry (undefined when there is none). Refuses what Store#update
 * refuses: EBADNAME for a bad key, ELOCKED past `lockTimeoutMs` (per call), the entry refusals;
 * an error with `possiblyApplied: true` may have been committed.
 *
 * @example
 * ```ts
 * import { updateSessionStoreEntry, DELETE } from 'hardfs/session-store';
 *
 * await updateSessionStoreEntry(storePath, 'agent:main', (entry) => ({ ...entry, updatedAt: Date.now() }));
 * await updateSessionStoreEntry(storePath, 'agent:old', () => DELETE);
 * ```
 */
export async function updateSessionStoreEntry<E extends SessionEntry = SessionEntry>(
  storePath: string,
  key: string,
  mutator: EntryMutator<E>,
  options?: SessionStoreOptions,
): Promise<E | undefined> {
  return withStore(storePath, options, (store) => (store as unknown as SessionStore<E>).update(key, mutator, callOptions(options)));
}

/**
 * The `updatedAt` of one entry, read from its own file (O(1) in the store size): undefined when
 * the key has no entry or its `updatedAt` is not a number. EBADNAME for a bad key; what
 * openSessionStore refuses on first use.
 *
 * @example
 * ```ts
 * import { readSessionUpdatedAt } from 'hardfs/session-store';
 *
 * const at = await readSessionUpdatedAt(storePath, 'agent:main');
 * if (at !== undefined && Date.now() - at > 60_000) console.log('idle for a minute');
 * ```
 */
export async function readSessionUpdatedAt(
  storePath: string,
  key: string,
  options?: SessionStoreOptions,
): Promise<number | undefined> {
  return withStore(storePath, options, (store) => store.getUpdatedAt(key));
}

/** Closes every store the function API opened (for shutdown and tests). */
export async function closeSessionStores(): Promise<void> {
  const stores = [...openStores.values()];
  openStores.clear();
  await Promise.all(stores.map(async (store) => (await store.catch(() => undefined))?.close()));
}
