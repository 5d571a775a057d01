// Fixtures for the compatibility suite, shaped like the gateway's own (a case directory per
// test, a legacy `sessions.json` written as its tests write it). The suite calls only
// `hardfs/session-store/compat`; the store is opened, migrated and closed by it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { closeSessionStores, configureSessionStoreCompat } from '../../../src/session-store/compat/index.js';
import { SessionStore } from '../../../src/session-store/index.js';
import { useTempDirs } from '../../support/tmp.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Whether an open store has loadAllSync/getSync . A store this process
 * has not opened is opened synchronously (openSessionStoreSync), so a test whose first call is a
 * synchronous read runs like any other.
 */
export const SYNC_READS = typeof (SessionStore.prototype as unknown as Record<string, unknown>)['loadAllSync'] === 'function';

/** fsync off and warnings collected: the suite is about behaviour, not durability. */
export const warnings: string[] = [];
const storeOptions = { fsync: false, logger: { warn: (message: string) => void warnings.push(message) } };

export function useCompatFixtures(options: { needsSyncReads?: boolean } = {}): {
  caseDir: (prefix?: string) => Promise<string>;
  storeFixture: (entries: Record<string, unknown> | string, prefix?: string) => Promise<{ dir: string; storePath: string }>;
} {
  const tempDir = useTempDirs();
  configureSessionStoreCompat({ storeOptions });
  if (options.needsSyncReads !== false) {
    beforeEach((context) => {
      if (!SYNC_READS) context.skip('synchronous reads are not in hardfs/session-store yet ');
    });
  }
  afterEach(async () => {
    await closeSessionStores();
    configureSessionStoreCompat({ storeOptions });
    warnings.length = 0;
  });
  let count = 0;
  const caseDir = async (prefix = 'case'): Promise<string> => {
    const dir = join(await tempDir(), `${prefix}-${count++}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const storeFixture = async (entries: Record<string, unknown> | string, prefix?: string) => {
    const dir = await caseDir(prefix);
    const storePath = join(dir, 'sessions.json');
    writeFileSync(storePath, typeof entries === 'string' ? entries : JSON.stringify(entries, null, 2), 'utf8');
    return { dir, storePath };
  };
  return { caseDir, storeFixture };
}

/** Sets the compat config for one test, keeping the suite's store options. */
export function configure(config: Parameters<typeof configureSessionStoreCompat>[0]): void {
  configureSessionStoreCompat({ storeOptions, ...config });
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}
