// The store's commits and the migration take their locks through acquireFileLock, so a lock
// record that cannot be judged by its pid (here: 2147483648, which process.kill refuses with a
// TypeError) must be judged by age on their paths too. The lock names are not assumed: they are
// learnt by watching what a first, normal call creates, so the test follows the store's layout.
import { watch } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHardfsError } from '../../src/errors.js';
import { migrateSessionStoreToDirectory, openSessionStore } from '../../src/session-store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';
import { plantRecord, sleep } from './support.js';

const tempDir = useTempDirs();
const HOUR = 3_600_000;
const impossible = (): string =>
  JSON.stringify({ v: 1, token: 'cd'.repeat(16), pid: 2147483648, host: hostname(), time: 0 });

/** The names ending in `.lock` (relative to `base`) created while `action` runs. */
async function locksCreatedDuring(base: string, action: () => Promise<unknown>): Promise<string[]> {
  const names = new Set<string>();
  const watcher = watch(base, { recursive: true }, (_event, name) => {
    if (name !== null && name.toString().endsWith('.lock')) names.add(name.toString());
  });
  try {
    await sleep(50);
    await action();
    await sleep(200); // let the last events arrive
  } finally {
    watcher.close();
  }
  return [...names];
}

async function plantEverywhere(base: string, names: string[], ageMs: number): Promise<void> {
  for (const name of names) {
    await mkdir(dirname(join(base, name)), { recursive: true });
    await plantRecord(base, name, impossible(), ageMs);
  }
}

describe('store.update and the migration on a lock record with an impossible pid', () => {
  it('store.update: an hour-old record is taken over by age; a fresh one is a typed ELOCKED, never a TypeError', async () => {
    const base = await tempDir();
    const store = await openSessionStore(join(base, 'sessions.json'), { lockTimeoutMs: 300, lockStaleMs: 60_000 });
    try {
      await store.update('k', () => ({ updatedAt: 1, n: 1 }));
      const names = await locksCreatedDuring(base, () => store.update('k', () => ({ updatedAt: 2, n: 2 })));
      expect(names.length).toBeGreaterThan(0);

      await plantEverywhere(base, names, 0);
      const error = await caught(store.update('k', () => ({ updatedAt: 3, n: 3 })));
      expect(isHardfsError(error)).toBe(true);
      expect(error.code).toBe('ELOCKED');
      expect((await store.get('k'))?.['n']).toBe(2);

      await plantEverywhere(base, names, HOUR);
      await store.update('k', () => ({ updatedAt: 4, n: 4 }));
      expect((await store.get('k'))?.['n']).toBe(4);
    } finally {
      await store.close();
    }
  });

  it('migration: an hour-old record at its lock names is taken over by age and the migration completes', async () => {
    const first = await tempDir();
    await writeFile(join(first, 'sessions.json'), JSON.stringify({ a: { updatedAt: 1 } }));
    const names = await locksCreatedDuring(first, () => migrateSessionStoreToDirectory(join(first, 'sessions.json')));
    expect(names.length).toBeGreaterThan(0);

    const base = await tempDir();
    await writeFile(join(base, 'sessions.json'), JSON.stringify({ a: { updatedAt: 1, n: 7 } }));
    await plantEverywhere(base, names, HOUR);
    const result = await migrateSessionStoreToDirectory(join(base, 'sessions.json'));
    expect(result.migrated).toBe(true);
    const store = await openSessionStore(join(base, 'sessions.json'));
    try {
      expect((await store.get('a'))?.['n']).toBe(7);
    } finally {
      await store.close();
    }
  });
});
