// Helpers shared by the store tests: stores on real temp directories, a logger that records,
// a held key lock, and what .quarantine holds.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { openDir, withFileLock } from '../../src/index.js';
import {
  entryFileName,
  openSessionStore,
  type SessionStore,
  type SessionStoreOptions,
} from '../../src/session-store/index.js';
import { useTempDirs } from '../support/tmp.js';

export const tempDir = useTempDirs();

/** Open file descriptors of this process (Linux): a leaked handle shows up here. */
export function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

export interface Warning {
  message: string;
  details: Record<string, unknown> | undefined;
}

const opened: SessionStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

export async function open(path: string, warnings: Warning[] = [], options: SessionStoreOptions = {}): Promise<SessionStore> {
  const store = await openSessionStore(path, {
    fsync: false,
    logger: { warn: (message, details) => warnings.push({ message, details }) },
    ...options,
  });
  opened.push(store);
  return store;
}

export async function storeIn(options: SessionStoreOptions = {}) {
  const path = join(await tempDir(), 'sessions.json');
  const warnings: Warning[] = [];
  const store = await open(path, warnings, options);
  const dir = store.directoryPath;
  return { path, dir, store, warnings, fileOf: (key: string): string => join(dir, entryFileName(key)) };
}

/** Rewrites an entry file directly, as a commit would leave it, but announced to nobody. */
export function editBehindTheStoresBack(dir: string, key: string, entry: object, rev: number): void {
  writeFileSync(join(dir, entryFileName(key)), `{"entry":${JSON.stringify(entry)},"key":${JSON.stringify(key)},"rev":${rev},"v":1}\n`);
}

/** A writer and a warm reader on one store holding a, b and c = { n: 1 }. */
export async function twoStores() {
  const path = join(await tempDir(), 'sessions.json');
  const warnings: Warning[] = [];
  const reader = await open(path, warnings);
  const writer = await open(path, warnings);
  for (const key of ['a', 'b', 'c']) await writer.update(key, () => ({ n: 1 }));
  expect(Object.keys(await reader.loadAll()).sort()).toEqual(['a', 'b', 'c']);
  return { path, dir: writer.directoryPath, reader, writer, warnings };
}

/** Holds the cross-process lock of `key` (as another writer would) until the returned release is called. */
export async function holdLock(dir: string, key: string): Promise<() => Promise<void>> {
  const locks = await openDir(join(dir, '.locks'));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let acquired!: () => void;
  const ready = new Promise<void>((resolve) => (acquired = resolve));
  const held = withFileLock(locks, `${entryFileName(key)}.lock`, () => {
    acquired();
    return gate;
  });
  await ready;
  return async () => {
    release();
    await held;
    await locks.close();
  };
}

export function quarantined(dir: string): string[] {
  const path = join(dir, '.quarantine');
  return existsSync(path) ? readdirSync(path) : [];
}
