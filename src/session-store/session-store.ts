import { join } from 'node:path';
import { ensureRealDir, openDir } from '../index.js';
import {
  DELETE,
  openStore,
  type CurrentEntry,
  type LoadAllOptions,
  type LockCallOptions,
  type Store,
  type StoreRecord,
  type VerifyReport,
} from '../store/index.js';
import { assertSessionEntry, type SessionEntry } from './entry-record.js';
import { storeLayout, type StoreLayout } from './layout.js';
import { migrateWithParent, removeLeftoverStaging } from './migration.js';
import { resolveStoreOptions, type ResolvedStoreOptions, type SessionStoreOptions } from './options.js';

/** What updateMany's mutator receives: a record of every entry by key (see Store#updateMany). */
export type SessionRecord<E extends SessionEntry> = StoreRecord<E>;
/**
 * The function {@link SessionStore.update} calls with a fresh copy of the entry (or undefined):
 * return the new entry, `undefined` to keep the current one (as mutated in place), or
 * {@link DELETE} to remove it.
 */
export type EntryMutator<E extends SessionEntry> = (
  current: E | undefined,
) => E | undefined | typeof DELETE | Promise<E | undefined | typeof DELETE>;
/** The function {@link SessionStore.updateMany} calls with the whole store's record; it may run more than once. */
export type StoreMutator<E extends SessionEntry, R> = (store: SessionRecord<E>) => R | Promise<R>;

/**
 * The session store: hardfs/store with the legacy vocabulary — named by `<dir>/sessions.json`
 * (the directory is `<dir>/sessions.d/`), keys trimmed and lower-cased, a numeric `updatedAt`
 * finite (any other reads as no timestamp), a legacy file migrated on open. Everything else is the general store's,
 * refusals included (see {@link Store}): ECLOSED after close(), EBADNAME for a bad key,
 * ELOCKED past the lock timeout, a TypeError for an entry that is not a plain JSON object or
 * whose numeric `updatedAt` is not finite. Made by {@link openSessionStore}.
 */
export class SessionStore<E extends SessionEntry = SessionEntry> {
  readonly #layout: StoreLayout;
  readonly #store: Store<E>;

  /** @internal Use openSessionStore(). */
  constructor(layout: StoreLayout, store: Store<E>) {
    this.#layout = layout;
    this.#store = store;
  }

  /** The absolute legacy path the store was opened with (`<dir>/sessions.json`). */
  get storePath(): string {
    return this.#layout.storePath;
  }

  /** Absolute path of the store directory (`<dir>/sessions.d`). */
  get directoryPath(): string {
    return this.#store.path;
  }

  /** The general store underneath (hardfs/store). */
  get store(): Store<E> {
    return this.#store;
  }

  /** One entry, read from its own file: O(1) in the store size. A fresh, mutable copy. */
  get(key: string): Promise<E | undefined> {
    return this.#store.get(key);
  }

  /** get(), synchronously, from the coherent cache: a frozen entry, not a copy (see Store#getSync). */
  getSync(key: string): Readonly<E> | undefined {
    return this.#store.getSync(key);
  }

  /** `updatedAt` of one entry (undefined when absent or not a number): O(1) in the store size. */
  async getUpdatedAt(key: string): Promise<number | undefined> {
    return updatedAtOf(await this.#store.get(key));
  }

  /** getUpdatedAt(), synchronously, from the coherent cache (see Store#getSync). */
  getUpdatedAtSync(key: string): number | undefined {
    return updatedAtOf(this.#store.getSync(key));
  }

  /** Whether the (normalized) key has an entry; copies nothing. */
  has(key: string): Promise<boolean> {
    return this.#store.has(key);
  }

  /** Every key, as normalized; copies no entry. */
  keys(): Promise<string[]> {
    return this.#store.keys();
  }

  /** See Store#loadAll: frozen null-prototype entries by default, `{ copy: true }` for plain mutable ones. */
  loadAll(options?: LoadAllOptions): Promise<Readonly<Record<string, E>>> {
    return this.#store.loadAll(options);
  }

  /** loadAll(), synchronously (see Store#loadAllSync): frozen by default, `{ copy: true }` for a mutable copy. */
  loadAllSync(options?: LoadAllOptions): Readonly<Record<string, E>> {
    return this.#store.loadAllSync(options);
  }

  /** See Store#update. Return DELETE (from hardfs/store or hardfs/session-store) to delete. */
  update(key: string, mutator: EntryMutator<E>, call?: LockCallOptions): Promise<E | undefined> {
    return this.#store.update(key, mutator, call);
  }

  /** See Store#updateMany (all-or-nothing; keys assigned in any case are normalized). */
  updateMany<R>(mutator: StoreMutator<E, R>, call?: LockCallOptions): Promise<R> {
    return this.#store.updateMany(mutator, call);
  }

  /** Removes one entry under its locks. Resolves to whether it existed. */
  delete(key: string, call?: LockCallOptions): Promise<boolean> {
    return this.#store.delete(key, call);
  }

  /** See Store#commit: the commit entry point for decisions on known keys (migration's merge). */
  commit(
    keys: readonly string[],
    decide: (current: ReadonlyMap<string, CurrentEntry<E> | undefined>) => ReadonlyMap<string, E | typeof DELETE> | Promise<ReadonlyMap<string, E | typeof DELETE>>,
    call?: LockCallOptions,
  ): Promise<number> {
    return this.#store.commit(keys, decide, call);
  }

  /** Compares the snapshot file and this process's cache with the entry files; changes nothing (see Store#verify). */
  verify(): Promise<VerifyReport> {
    return this.#store.verify();
  }

  /** Closes the store underneath (idempotent); later calls are ECLOSED. */
  close(): Promise<void> {
    return this.#store.close();
  }

  /** {@link SessionStore.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function updatedAtOf(entry: Readonly<SessionEntry> | { readonly updatedAt?: unknown } | undefined): number | undefined {
  const updatedAt = (entry as { updatedAt?: unknown } | undefined)?.updatedAt;
  return typeof updatedAt === 'number' ? updatedAt : undefined;
}

/**
 * Opens (creating if needed) the directory store named by its legacy path `<dir>/sessions.json`:
 * the directory is `<dir>/sessions.d/`. A legacy file found beside it is migrated first
 * (`migrateOnOpen`, default true; see migrateSessionStoreToDirectory). The parent `<dir>` must
 * exist unless `createParents: true`. Keys are trimmed and lower-cased by default.
 *
 * Refuses: EBADNAME for an empty path or file name; the native ENOENT for a missing parent;
 * ESYMLINK, ENOTDIR or EINSECURE for a parent or store directory that is a symlink, not a
 * directory, or untrusted; what migration refuses (ECORRUPT for a corrupt legacy file, left
 * untouched; ETOOBIG for one over 128 MiB: migrate it first with a larger `maxLegacyBytes`;
 * ELOCKED while a legacy writer holds its lock);
 * everything openStore refuses. A bad option is a TypeError.
 *
 * @example
 * ```ts
 * import { openSessionStore } from 'hardfs/session-store';
 *
 * await using sessions = await openSessionStore('/state/agents/main/sessions/sessions.json');
 * await sessions.update('Agent:Main', (current) => ({ ...current, updatedAt: Date.now() }));
 * await sessions.getUpdatedAt('agent:main'); // the same key: trimmed and lower-cased
 * ```
 */
export async function openSessionStore<E extends SessionEntry = SessionEntry>(
  storePath: string,
  options: SessionStoreOptions = {},
): Promise<SessionStore<E>> {
  const layout = storeLayout(storePath);
  const resolved = resolveStoreOptions(options);
  if (resolved.createParents) await ensureRealDir(layout.parentPath);
  await prepareParent(layout, resolved);
  const store = await openStore<E>(join(layout.parentPath, layout.dirName), {
    ...options,
    normalizeKey: resolved.normalizeKey,
    normalizeEntry: sessionNormalizer(options.normalizeEntry),
  });
  return new SessionStore<E>(layout, store);
}

/** Migration and leftover staging, with the parent pinned. */
async function prepareParent(layout: StoreLayout, resolved: ResolvedStoreOptions): Promise<void> {
  const parent = await openDir(layout.parentPath);
  try {
    if (resolved.migrateOnOpen) await migrateWithParent(parent, layout, resolved);
    await removeLeftoverStaging(parent, layout, resolved);
  } finally {
    await parent.close();
  }
}

/** @internal The session normalizer (the user hook, then the session entry check), shared with openSessionStoreSync. */
export function sessionNormalizer(
  user: SessionStoreOptions['normalizeEntry'],
): NonNullable<SessionStoreOptions['normalizeEntry']> {
  return (entry, key) => {
    const next = user === undefined ? entry : user(entry, key);
    assertSessionEntry(next, key);
    return next;
  };
}

export { DELETE };
