import { dirname, resolve } from 'node:path';
import { ensureRealDir, errnoCode, isHardfsError, openDir } from '../../index.js';
import type { LockCallOptions } from '../../store/index.js';
import * as sessionStoreApi from '../index.js';
import type { SessionEntry } from '../entry-record.js';
import type { SessionStoreOptions } from '../options.js';
import { storeLayout } from '../layout.js';
import type { SessionStore } from '../session-store.js';
import { compatConfig } from './config.js';

/**
 * The stores the compat functions opened, one per store path for the life of the process (or
 * until closeSessionStores). Lock options are not part of a store: each call passes its own
 * `timeoutMs` / `staleMs` to the commit, so no call inherits another's.
 */
const opened = new Map<string, Promise<SessionStore>>();
/** The same stores, resolved: what synchronous reads use. */
const readable = new Map<string, SessionStore>();

export interface LockOptions {
  timeoutMs?: number | undefined;
  staleMs?: number | undefined;
}

/** The lock options of one call, as the store takes them. */
export function lockCall(lock: LockOptions): LockCallOptions {
  const call: LockCallOptions = {};
  if (lock.timeoutMs !== undefined) call.timeoutMs = lock.timeoutMs;
  if (lock.staleMs !== undefined) call.staleMs = lock.staleMs;
  return call;
}

function storeOptions(): SessionStoreOptions {
  // `sync: true` fills the cache at open, so the synchronous reads that follow need no async read first.
  return { ...compatConfig().storeOptions, sync: true };
}

function openFor(path: string): Promise<SessionStore> {
  let store = opened.get(path);
  if (store === undefined) {
    store = (async () => {
      const { root } = compatConfig();
      // The first write for a new agent: its directories are created (0o700, each created one
      // opened without following symlinks; below the configured root when there is one).
      await ensureRealDir(dirname(path), root === undefined ? { mode: 0o700 } : { mode: 0o700, root });
      const open = await sessionStoreApi.openSessionStore(path, storeOptions());
      const previous = readable.get(path);
      readable.set(path, open);
      // A read-only store opened for a first synchronous read is replaced by this one.
      if (previous !== undefined && previous !== open && previous.store.readOnly) void previous.close().catch(() => undefined);
      return open;
    })();
    opened.set(path, store);
    // A failed open must not poison the path for later calls.
    store.catch(() => {
      if (opened.get(path) === store) opened.delete(path);
    });
  }
  return store;
}

function forget(path: string, store: SessionStore): void {
  if (readable.get(path) === store) {
    readable.delete(path);
    opened.delete(path);
    if (store.store.readOnly) void store.close().catch(() => undefined);
  }
}

/**
 * Runs `use` on the path's store for a write, creating the store (and its parent directories)
 * if needed. A store that closed itself because its directory was removed or replaced (ECLOSED)
 * is dropped and `use` runs once more on a freshly opened one.
 */
export async function withStoreForWrite<E extends SessionEntry, T>(storePath: string, use: (store: SessionStore<E>) => Promise<T>): Promise<T> {
  const path = resolve(storePath);
  const store = await openFor(path);
  try {
    return await use(store as unknown as SessionStore<E>);
  } catch (error) {
    if (!isHardfsError(error, 'ECLOSED')) throw error;
    forget(path, store);
    return use((await openFor(path)) as unknown as SessionStore<E>);
  }
}

/** The store for an async read, or undefined when there is none: a read creates nothing. */
export async function storeForRead<E extends SessionEntry>(storePath: string): Promise<SessionStore<E> | undefined> {
  const path = resolve(storePath);
  const known = readable.get(path);
  if (known !== undefined) return known as unknown as SessionStore<E>;
  const layout = storeLayout(path);
  let parent;
  try {
    parent = await openDir(layout.parentPath);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const names = new Set(await parent.list());
    if (!names.has(layout.dirName) && !names.has(layout.legacyName)) return undefined;
  } finally {
    await parent.close();
  }
  return (await openFor(path)) as unknown as SessionStore<E>;
}

/** What a synchronous read needs of a store. */
export interface SyncReader<E extends SessionEntry> {
  loadAllSync(): Readonly<Record<string, E>>;
  getSync(key: string): Readonly<E> | undefined;
}

/**
 * The reader for a synchronous read: the store opened in this process; else the store opened
 * synchronously and read-only (openSessionStoreSync: nothing created, migrated or swept; kept
 * for the next reads until a write opens the store for writing); else, while a legacy
 * `sessions.json` waits to be migrated, that file's entries read through the migration's
 * owner-checked reader (read afresh on every call; the first write migrates it); else
 * undefined (no store: reads as empty, nothing created).
 */
export function storeForSyncRead<E extends SessionEntry>(storePath: string): SyncReader<E> | undefined {
  const path = resolve(storePath);
  const known = readable.get(path);
  if (known !== undefined) return known as unknown as SessionStore<E>;
  const open = sessionStoreApi.openSessionStoreSync<E>(path, storeOptions());
  if (open !== undefined) {
    readable.set(path, open as unknown as SessionStore);
    return open;
  }
  return legacyReader<E>(path);
}

function legacyReader<E extends SessionEntry>(path: string): SyncReader<E> | undefined {
  const read = sessionStoreApi.readLegacySessionsSync<E>(path, storeOptions());
  if (read.kind !== 'read') return undefined;
  const entries = read.entries;
  return {
    loadAllSync: () => Object.fromEntries(entries),
    getSync: (key) => entries.get(key),
  };
}

/** Runs a synchronous read; a store that closed itself (ECLOSED) is forgotten, then the error is the caller's. */
export function syncRead<E extends SessionEntry, T>(storePath: string, use: (store: SyncReader<E> | undefined) => T): T {
  const store = storeForSyncRead<E>(storePath);
  try {
    return use(store);
  } catch (error) {
    if (store !== undefined && isHardfsError(error, 'ECLOSED')) {
      const path = resolve(storePath);
      const known = readable.get(path);
      if (known !== undefined && (known as unknown) === store) forget(path, known);
    }
    throw error;
  }
}

/** Closes every store the compat functions opened (for shutdown and tests). */
export async function closeSessionStores(): Promise<void> {
  const stores = [...opened.values()];
  const readOnly = [...readable.values()].filter((store) => store.store.readOnly);
  opened.clear();
  readable.clear();
  await Promise.all([
    ...stores.map(async (store) => (await store.catch(() => undefined))?.close()),
    ...readOnly.map((store) => store.close()),
  ]);
}

/**
 * The gateway's test helper, by its name: forgets every store at once (synchronously, so the
 * next call opens afresh) and closes them in the background. Prefer awaiting closeSessionStores().
 */
export function clearSessionStoreCacheForTest(): void {
  void closeSessionStores();
}
