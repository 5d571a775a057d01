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

export async function loadSessionStore<E extends SessionEntry = SessionEntry>(
  storePath: string,
  options?: SessionStoreOptions,
): Promise<Readonly<Record<string, E>>> {
  return withStore(storePath, options, (store) => store.loadAll() as Promise<Readonly<Record<string, E>>>);
}

export async function updateSessionStore<R, E extends SessionEntry = SessionEntry>(
  storePath: string,
  mutator: (store: SessionRecord<E>) => R | Promise<R>,
  options?: SessionStoreOptions,
): Promise<R> {
  return withStore(storePath, options, (store) => (store as unknown as SessionStore<E>).updateMany(mutator, callOptions(options)));
}

export async function updateSessionStoreEntry<E extends SessionEntry = SessionEntry>(
  storePath: string,
  key: string,
  mutator: EntryMutator<E>,
  options?: SessionStoreOptions,
): Promise<E | undefined> {
  return withStore(storePath, options, (store) => (store as unknown as SessionStore<E>).update(key, mutator, callOptions(options)));
}

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
