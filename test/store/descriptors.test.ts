import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir } from '../../src/index.js';
import { announceAllChanged, openStoreChangeLog } from '../../src/store/change-records.js';
import { entryFileName } from '../../src/session-store/index.js';
import { openStore, openStoreSync, type Store } from '../../src/store/index.js';
import { openDescriptors, open, storeIn, quarantined, tempDir } from './support.js';

describe('no descriptor is leaked', () => {
  it('quarantining files closes the quarantine directory handle every time', async () => {
    const { dir, store } = await storeIn();
    writeFileSync(join(dir, entryFileName('bad0')), 'garbage');
    expect(await store.get('bad0')).toBeUndefined(); // first quarantine: anything opened once is open now
    const before = openDescriptors();
    for (let i = 1; i <= 5; i += 1) {
      writeFileSync(join(dir, entryFileName(`bad${i}`)), 'garbage');
      expect(await store.get(`bad${i}`)).toBeUndefined();
    }
    expect(quarantined(dir)).toHaveLength(6);
    expect(openDescriptors()).toBe(before);
  });

  it('moving a directory out of the change log’s name closes the quarantine directory handle', async () => {
    const { dir } = await storeIn();
    const handle = await openDir(dir);
    const before = openDescriptors();
    for (let i = 0; i < 3; i += 1) {
      await rm(join(dir, '.changes'), { recursive: true, force: true });
      mkdirSync(join(dir, '.changes'));
      const log = await openStoreChangeLog(handle, { warn: () => undefined });
      await log.close();
    }
    expect(openDescriptors()).toBe(before);
    await handle.close();
  });

  it('announceAllChanged closes the change log it opened', async () => {
    const { dir } = await storeIn();
    const handle = await openDir(dir);
    await announceAllChanged(handle, { warn: () => undefined });
    const before = openDescriptors();
    for (let i = 0; i < 5; i += 1) await announceAllChanged(handle, { warn: () => undefined });
    expect(openDescriptors()).toBe(before);
    await handle.close();
  });

  it('reads of a writable store and of a read-only one open .locks once, not once per read', async () => {
    const dir = join(await tempDir(), 'store');
    const writable = await openStore(dir, { fsync: false });
    await writable.update('a', () => ({ n: 1 }));
    const readOnly = openStoreSync(dir, { fsync: false }) as Store;
    expect(readOnly.getSync('a')).toEqual({ n: 1 });
    expect(writable.getSync('a')).toEqual({ n: 1 });
    const before = openDescriptors();
    for (let i = 0; i < 5; i += 1) {
      await writable.update('a', () => ({ n: i + 2 }));
      expect(writable.getSync('a')).toEqual({ n: i + 2 });
      expect(await writable.has('a')).toBe(true);
      expect(readOnly.getSync('a')).toEqual({ n: i + 2 });
      expect(await readOnly.keys()).toEqual(['a']);
    }
    expect(openDescriptors()).toBe(before);
    await readOnly.close();
    await writable.close();
  });
});
