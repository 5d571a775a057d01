import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChangeLog, openDir } from '../../src/index.js';
import { tempDir, type Warning, open, storeIn, twoStores } from './support.js';

describe('the .snapshot file', () => {
  it('an empty store saves no snapshot', async () => {
    const { dir, store } = await storeIn();
    expect(await store.loadAll()).toEqual({});
    expect(existsSync(join(dir, '.snapshot'))).toBe(false);
  });

  it('is saved once per generation: a full load in a generation it already saved does not write it again', async () => {
    const { dir, reader } = await twoStores(); // the reader's first load saved it
    const snapshotPath = join(dir, '.snapshot');
    expect(existsSync(snapshotPath)).toBe(true);
    rmSync(snapshotPath);
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.append('*');
    await log.close();
    await handle.close();
    expect(Object.keys(await reader.loadAll()).sort()).toEqual(['a', 'b', 'c']);
    expect(existsSync(snapshotPath)).toBe(false);
  });

  it('a full load does not rewrite a snapshot another store already saved for the current generation', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const late = await open(path);
    expect(await late.loadAll()).toEqual({}); // seeded (no snapshot): cached, empty
    const writer = await open(path);
    await writer.update('a', () => ({ n: 1 }));
    const first = await open(path);
    await first.loadAll(); // full load: saves the snapshot
    const snapshotPath = join(writer.directoryPath, '.snapshot');
    const before = statSync(snapshotPath).ino;
    const handle = await openDir(writer.directoryPath);
    const log = await openChangeLog(handle, '.changes');
    await log.append('*');
    await log.close();
    await handle.close();
    expect(Object.keys(await late.loadAll())).toEqual(['a']); // full load, same generation
    expect(statSync(snapshotPath).ino).toBe(before);
  });

  it('a store that replaced an unusable snapshot does not rewrite one saved by another store for a later generation', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const writer = await open(path);
    await writer.update('a', () => ({ n: 1 }));
    const dir = writer.directoryPath;
    writeFileSync(join(dir, '.snapshot'), 'garbage without a header line');
    const warnings: Warning[] = [];
    const replacer = await open(path, warnings);
    await replacer.loadAll(); // reports it and saves a good one
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.details).toEqual({ file: join(dir, '.snapshot'), reason: expect.any(String) as unknown });
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.rotate();
    await log.close();
    await handle.close();
    const other = await open(path);
    await other.loadAll(); // new generation: saves its snapshot
    const before = statSync(join(dir, '.snapshot')).ino;
    await replacer.loadAll(); // a full load in the same new generation
    expect(statSync(join(dir, '.snapshot')).ino).toBe(before);
  });

  it('a snapshot that cannot be saved is reported with its path and the reason', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const writer = await open(path);
    await writer.update('a', () => ({ n: 1 }));
    mkdirSync(join(writer.directoryPath, '.snapshot'));
    const warnings: Warning[] = [];
    const reader = await open(path, warnings);
    await reader.loadAll();
    const saving = warnings.find((warning) => warning.message === 'hardfs store: could not save the snapshot file');
    expect(saving?.details).toEqual({ file: join(writer.directoryPath, '.snapshot'), reason: expect.any(String) as unknown });
  });
});
