import { dirname, resolve } from 'node:path';
import { ensureRealDir, errnoCode, openDir } from '../../index.js';
import * as sessionStoreApi from '../index.js';
import type { SessionEntry } from '../entry-record.js';
import type { SessionStoreOptions } from '../options.js';
import { storeLayout } from '../layout.js';
import type { SessionStore } from '../session-store.js';
import { compatConfig } from './config.js';

/**
 * The stores the compat functions opened, one per store path and lock-option pair: a call that
 * passes its own `timeoutMs` / `staleMs` gets a store with exactly those, never the options of
 * whichever call came first for the path.
 */
const opened = new Map<string, Promise<SessionStore>>();
/** The first store opened for each path, resolved: what synchronous reads use. */
const readable = new Map<string, SessionStore>();

export interface LockOptions {
  timeoutMs?: number | undefined;
  staleMs?: number | undefined;
}

function storeOptions(lock: LockOptions): SessionStoreOptions {
  // `sync: true` fills the cache at open, so the synchronous reads that follow need no async
  // read first (stores without synchronous reads ignore it).
  const options = { ...compatConfig().storeOptions, sync: true } as SessionStoreOptions;
  if (lock.timeoutMs !== undefined) options.lockTimeoutMs = lock.timeoutMs;
  if (lock.staleMs !== undefined) options.lockStaleMs = lock.staleMs;
  return options;
}

/**
 * The store for a write, creating its parent directories first (0o700, each created one opened
 * without following symlinks: `ensureRealDir`, below the configured root when there is one), as
 * the gateway's first write for a new agent expects.
 */
export async function storeForWrite<E extends SessionEntry>(storePath: string, lock: LockOptions): Promise<SessionStore<E>> {
  const path = resolve(storePath);
  const options = storeOptions(lock);
  const id = `${path}\0${options.lockTimeoutMs ?? ''}\0${options.lockStaleMs ?? ''}`;
  let store = opened.get(id);
  if (store === undefined) {
    store = (async () => {
      const { root } = compatConfig();
      await ensureRealDir(dirname(path), root === undefined ? { mode: 0o700 } : { mode: 0o700, root });
      const open = await sessionStoreApi.openSessionStore(path, options);
      if (!readable.has(path)) readable.set(path, open);
      return open;
    })();
    opened.set(id, store);
    // A failed open must not poison the path for later calls.
    store.catch(() => opened.delete(id));
  }
  return (await store) as unknown as SessionStore<E>;
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
  return storeForWrite<E>(path, {});
}

interface SyncReads<E> {
  loadAllSync(options?: { copy?: boolean }): Readonly<Record<string, E>>;
  getSync?(key: string): E | undefined;
}

type OpenSync = (storePath: string, options?: SessionStoreOptions & { create?: boolean }) => SessionStore | undefined;

function hasSyncReads<E>(store: unknown): store is SyncReads<E> {
  return typeof (store as Partial<SyncReads<E>>).loadAllSync === 'function';
}

export class SyncReadUnavailableError extends Error {
  readonly code = 'ERR_HARDFS_SYNC_READ_UNAVAILABLE';
  constructor(path: string) {
    super(`synchronous session store reads need openSessionStoreSync and loadAllSync from hardfs/session-store: ${path}`);
    this.name = 'SyncReadUnavailableError';
  }
}

/**
 * The store for a synchronous read: one already opened in this process, else one opened
 * synchronously without creating anything (undefined when the store does not exist).
 */
export function storeForSyncRead<E extends SessionEntry>(storePath: string): SyncReads<E> | undefined {
  const path = resolve(storePath);
  let store: unknown = readable.get(path);
  if (store === undefined) {
    const openSync = (sessionStoreApi as Record<string, unknown>)['openSessionStoreSync'] as OpenSync | undefined;
    if (typeof openSync !== 'function') throw new SyncReadUnavailableError(path);
    const open = openSync(path, { ...storeOptions({}), create: false });
    if (open === undefined) return undefined;
    readable.set(path, open);
    opened.set(`${path}\0${storeOptions({}).lockTimeoutMs ?? ''}\0${storeOptions({}).lockStaleMs ?? ''}`, Promise.resolve(open));
    store = open;
  }
  if (!hasSyncReads<E>(store)) throw new SyncReadUnavailableError(path);
  return store;
}

/** Closes every store the compat functions opened (for shutdown and tests). */
export async function closeSessionStores(): Promise<void> {
  const stores = [...opened.values()];
  opened.clear();
  readable.clear();
  await Promise.all(stores.map(async (store) => (await store.catch(() => undefined))?.close()));
}
