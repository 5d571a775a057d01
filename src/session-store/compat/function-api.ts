import { join, resolve } from 'node:path';
import type { SessionEntry } from '../entry-record.js';
import { defaultNormalizeKey } from '../options.js';
import { storeLayout } from '../layout.js';
import type { SessionStore } from '../session-store.js';
import { compatConfig } from './config.js';
import { hookedRecord } from './hooked-record.js';
import { resolveMaintenance, runSessionMaintenance, type SaveSessionStoreOptions } from './maintenance.js';
import { mergeSessionEntryPatch } from './merge-patch.js';
import { lockCall, storeForRead, syncRead, withStoreForWrite } from './open-stores.js';

/**
 * The gateway's store functions, with its names and call shapes, over `hardfs/session-store`.
 * Reads are synchronous and return plain mutable copies (the gateway mutates what it loads and
 * saves it back); writes are async, go through the store's commit layer, and run the
 * maintenance policy afterwards unless `skipMaintenance`.
 */

function copyOut<E extends SessionEntry>(entry: E, key: string): E {
  const copy = structuredClone<E>(entry);
  const transform = compatConfig().transformOnLoad;
  return transform === undefined ? copy : (transform(copy, key) as E);
}

function normalizeKey(key: string): string {
  return (compatConfig().storeOptions?.normalizeKey ?? defaultNormalizeKey)(key);
}

/**
 * Every entry, as a plain mutable object (`{}` when the store does not exist; nothing is
 * created). The gateway's `{ skipCache }` is accepted and needs no effect: every read here is
 * already revalidated against the change log. Synchronous: a store this process has not opened
 * yet is opened synchronously and read-only (openSessionStoreSync); a legacy `sessions.json`
 * not migrated yet is read as it is (the first write migrates it). Each call copies every entry
 * (structuredClone), so it costs time in proportion to the store size. Refuses what opening the
 * store and loadAllSync refuse (ECORRUPT for a corrupt legacy file, ETOOBIG …).
 *
 * @example
 * ```ts
 * import { loadSessionStore, saveSessionStore } from 'hardfs/session-store/compat';
 *
 * const store = loadSessionStore(storePath);
 * store['agent:main'] = { ...store['agent:main'], updatedAt: Date.now() };
 * await saveSessionStore(storePath, store);
 * ```
 */
export function loadSessionStore<E extends SessionEntry = SessionEntry>(
  storePath: string,
  options?: { skipCache?: boolean },
): Record<string, E>;
export function loadSessionStore<E extends SessionEntry = SessionEntry>(storePath: string): Record<string, E> {
  return syncRead<E, Record<string, E>>(storePath, (store) => {
    const result: Record<string, E> = {};
    if (store === undefined) return result;
    const view = store.loadAllSync();
    for (const key of Object.keys(view)) result[key] = copyOut(view[key] as E, key);
    return result;
  });
}

/**
 * `updatedAt` of one session, or undefined when it is absent (or has none). Synchronous, as
 * loadSessionStore; the key is normalized as the store's keys are (trim, lower-case by default).
 *
 * @example
 * ```ts
 * import { readSessionUpdatedAt } from 'hardfs/session-store/compat';
 *
 * const at = readSessionUpdatedAt({ storePath, sessionKey: 'agent:main' });
 * ```
 */
export function readSessionUpdatedAt(params: { storePath: string; sessionKey: string }): number | undefined {
  return syncRead(params.storePath, (store) => {
    if (store === undefined) return undefined;
    const key = normalizeKey(params.sessionKey);
    const entry = store.getSync(key);
    const updatedAt = entry === undefined ? undefined : copyOut(entry, key).updatedAt;
    return typeof updatedAt === 'number' ? updatedAt : undefined;
  });
}

/** loadSessionStore for async callers: the same result, without needing synchronous reads. */
export async function loadSessionStoreAsync<E extends SessionEntry = SessionEntry>(storePath: string): Promise<Record<string, E>> {
  const store = await storeForRead<E>(storePath);
  const result: Record<string, E> = {};
  if (store === undefined) return result;
  const view = await store.loadAll();
  for (const key of Object.keys(view)) result[key] = copyOut(view[key] as E, key);
  return result;
}

/** readSessionUpdatedAt for async callers. */
export async function readSessionUpdatedAtAsync(params: { storePath: string; sessionKey: string }): Promise<number | undefined> {
  const store = await storeForRead(params.storePath);
  if (store === undefined) return undefined;
  const key = normalizeKey(params.sessionKey);
  const entry = await store.get(key);
  const updatedAt = entry === undefined ? undefined : copyOut(entry, key).updatedAt;
  return typeof updatedAt === 'number' ? updatedAt : undefined;
}

/** Directory store of a legacy store path (`<dir>/sessions.json` → `<dir>/sessions.d`). */
export function resolveSessionStoreDir(storePath: string): string {
  const layout = storeLayout(resolve(storePath));
  return join(layout.parentPath, layout.dirName);
}

async function afterWrite<E extends SessionEntry>(
  store: SessionStore<E>,
  options: SaveSessionStoreOptions,
  activeKey: string | undefined,
): Promise<void> {
  if (options.skipMaintenance === true) return;
  const config = resolveMaintenance(compatConfig().maintenance, options.maintenanceOverride);
  await runSessionMaintenance(store, config, options, activeKey, lockCall(options));
}

function activeKeyOf(options: SaveSessionStoreOptions): string | undefined {
  const raw = options.activeSessionKey?.trim();
  return raw === undefined || raw === '' ? undefined : normalizeKey(raw);
}

/**
 * Replaces the store's content with `record`: keys absent from it are removed, the others
 * written (only those whose content changed reach the disk), in one all-or-nothing commit; then
 * maintenance runs unless `skipMaintenance`. Creates the store (and its parent directories,
 * 0o700) if needed. A `record` that is not an object is a TypeError; otherwise it refuses what
 * Store#updateMany refuses (ELOCKED past `timeoutMs`, the entry refusals).
 */
export async function saveSessionStore<E extends SessionEntry = SessionEntry>(
  storePath: string,
  record: Record<string, E>,
  options: SaveSessionStoreOptions = {},
): Promise<void> {
  if ((record as unknown) === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new TypeError('saveSessionStore needs a record of session entries');
  }
  const normalize = compatConfig().normalizeEntry;
  const wanted = new Map<string, E>();
  for (const [rawKey, entry] of Object.entries(record)) {
    if ((entry as E | undefined) === undefined) continue;
    const key = normalizeKey(rawKey);
    wanted.set(key, normalize === undefined ? entry : (normalize(entry, key) as E));
  }
  await withStoreForWrite(storePath, async (store: SessionStore<E>) => {
    await store.updateMany((current) => {
      for (const key of Object.keys(current)) if (!wanted.has(key)) Reflect.deleteProperty(current, key);
      for (const [key, entry] of wanted) current[key] = entry;
    }, lockCall(options));
    await afterWrite(store, options, activeKeyOf(options));
  });
}

/**
 * Read-modify-write of the whole store. The mutator may read, assign, mutate in place and
 * delete keys; only the keys whose content changed are written, all-or-nothing. Resolves to
 * what the mutator returned; maintenance runs after it unless `skipMaintenance`. The mutator
 * may run again when another process committed a key it read. A mutator that is not a function
 * is a TypeError; otherwise it refuses what Store#updateMany refuses (ELOCKED past `timeoutMs`
 * or `maxUpdateRetries`, the entry refusals); an error with `possiblyApplied: true` may have
 * been committed.
 *
 * @example
 * ```ts
 * import { updateSessionStore } from 'hardfs/session-store/compat';
 *
 * await updateSessionStore(storePath, (store) => {
 *   delete store['agent:old'];
 *   store['agent:new'] = { updatedAt: Date.now() };
 * }, { activeSessionKey: 'agent:new' });
 * ```
 */
export async function updateSessionStore<R, E extends SessionEntry = SessionEntry>(
  storePath: string,
  mutator: (store: Record<string, E>) => R | Promise<R>,
  options: SaveSessionStoreOptions = {},
): Promise<R> {
  if (typeof mutator !== 'function') throw new TypeError('mutator must be a function');
  const { transformOnLoad, normalizeEntry } = compatConfig();
  return withStoreForWrite<E, R>(storePath, async (store) => {
    const result = await store.updateMany(async (current) => {
      const hooked = hookedRecord(current, transformOnLoad, normalizeEntry, normalizeKey);
      const value = await mutator(hooked.record);
      hooked.finish();
      return value;
    }, lockCall(options));
    await afterWrite(store, options, activeKeyOf(options));
    return result;
  });
}

/**
 * Patches one existing session: `update(entry)` returns the fields to change (merged, and
 * `updatedAt` bumped) or null for no change. A missing session is never created: the result is
 * null. Resolves to the stored entry. An `update` that is not a function is a TypeError;
 * otherwise it refuses what Store#update refuses (EBADNAME for a bad key, ELOCKED past
 * `timeoutMs`, the entry refusals).
 *
 * @example
 * ```ts
 * import { updateSessionStoreEntry } from 'hardfs/session-store/compat';
 *
 * const entry = await updateSessionStoreEntry({
 *   storePath,
 *   sessionKey: 'agent:main',
 *   update: (entry) => ({ turns: Number(entry['turns'] ?? 0) + 1 }),
 * }); // null when agent:main does not exist
 * ```
 */
export async function updateSessionStoreEntry<E extends SessionEntry = SessionEntry>(
  params: {
    storePath: string;
    sessionKey: string;
    update: (entry: E) => Partial<E> | null | undefined | Promise<Partial<E> | null | undefined>;
  } & SaveSessionStoreOptions,
): Promise<E | null> {
  const { storePath, sessionKey, update, ...options } = params;
  if (typeof update !== 'function') throw new TypeError('update must be a function');
  const key = normalizeKey(sessionKey);
  const { mergeEntry, normalizeEntry } = compatConfig();
  let kept: E | undefined;
  return withStoreForWrite(storePath, async (store: SessionStore<E>) => {
    const stored = await store.update(
      key,
      async (current) => {
        kept = undefined;
        if (current === undefined) return undefined;
        const existing = copyOut(current, key);
        const patch = await update(existing);
        if (patch === null || patch === undefined) {
          kept = existing;
          return current;
        }
        const merged = (mergeEntry === undefined ? mergeSessionEntryPatch(existing, patch) : mergeEntry(existing, patch)) as E;
        return (normalizeEntry === undefined ? merged : normalizeEntry(merged, key)) as E;
      },
      lockCall(options),
    );
    if (stored === undefined) return null;
    await afterWrite(store, { ...options, activeSessionKey: key }, key);
    return kept ?? structuredClone(stored);
  });
}

/** The gateway's own store-key normalization (trim, lower-case), as the store applies it. */
export function normalizeStoreSessionKey(sessionKey: string): string {
  return normalizeKey(sessionKey);
}
