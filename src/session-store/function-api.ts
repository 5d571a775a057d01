import { resolve } from 'node:path';
import type { SessionRecord } from './session-store.js';
import type { SessionEntry } from './entry-record.js';
import type { SessionStoreOptions } from './options.js';
import { openSessionStore, type EntryMutator, type SessionStore } from './session-store.js';

/**
 * The function API existing callers use. Each store path gets one long-lived SessionStore per
 * process (opened on first use, with the options of that first call), so repeated calls pay
 * for a stamp check, not for re-opening and re-validating directories.
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

export async function loadSessionStore<E extends SessionEntry = SessionEntry>(
  storePath: string,
  options?: SessionStoreOptions,
): Promise<Readonly<Record<string, E>>> {
  return (await storeFor(storePath, options)).loadAll() as Promise<Readonly<Record<string, E>>>;
}

export async function updateSessionStore<R, E extends SessionEntry = SessionEntry>(
  storePath: string,
  mutator: (store: SessionRecord<E>) => R | Promise<R>,
  options?: SessionStoreOptions,
): Promise<R> {
  const store = (await storeFor(storePath, options)) as unknown as SessionStore<E>;
  return store.updateMany(mutator);
}

export async function updateSessionStoreEntry<E extends SessionEntry = SessionEntry>(
  storePath: string,
  key: string,
  mutator: EntryMutator<E>,
  options?: SessionStoreOptions,
): Promise<E | undefined> {
  const store = (await storeFor(storePath, options)) as unknown as SessionStore<E>;
  return store.update(key, mutator);
}

export async function readSessionUpdatedAt(
  storePath: string,
  key: string,
  options?: SessionStoreOptions,
): Promise<number | undefined> {
  return (await storeFor(storePath, options)).getUpdatedAt(key);
}

/** Closes every store the function API opened (for shutdown and tests). */
export async function closeSessionStores(): Promise<void> {
  const stores = [...openStores.values()];
  openStores.clear();
  await Promise.all(stores.map(async (store) => (await store.catch(() => undefined))?.close()));
}
