import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempFileName } from '../../src/index.js';
import { openStore, openStoreSync } from '../../src/store/index.js';
import { caught } from '../support/tmp.js';
import { openDescriptors, tempDir, type Warning, open, storeIn } from './support.js';

describe('opening a store', () => {
  it('a temp file swept on open is reported with its path', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const first = await open(path);
    await first.update('a', () => ({ n: 1 }));
    const dir = first.directoryPath;
    const tempName = `.hardfs-${'0'.repeat(32)}.tmp`;
    expect(isTempFileName(tempName)).toBe(true);
    writeFileSync(join(dir, tempName), 'half written');
    const anHourAgo = Date.now() / 1000 - 3600; // older than any staleTempMs, whatever the clocks' granularity
    utimesSync(join(dir, tempName), anHourAgo, anHourAgo);
    const warnings: Warning[] = [];
    await open(path, warnings, { staleTempMs: 0 });
    expect(warnings).toEqual([
      { message: expect.stringContaining('removed a temp file') as string, details: { file: join(dir, tempName) } },
    ]);
  });

  it('a garbled change log is replaced with a warning naming it', async () => {
    const { dir, path } = await storeIn();
    writeFileSync(join(dir, '.changes'), 'garbage');
    const warnings: Warning[] = [];
    const store = await open(path, warnings);
    await store.update('a', () => ({ n: 1 }));
    expect(warnings.length).toBeGreaterThan(0);
    for (const warning of warnings) {
      expect(warning.message).toMatch(/^hardfs store: replaced the change log \(/);
      expect(warning.details).toEqual({ file: join(dir, '.changes') });
    }
  });

  it('a .locks that is not a directory fails the open with its own error, leaving no handle open', async () => {
    const dir = join(await tempDir(), 'store');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, '.locks'), 'not a directory', { mode: 0o600 });
    const before = openDescriptors();
    const error = await caught(openStore(dir, { fsync: false }));
    expect(error.code).toBe('ENOTDIR');
    expect(openDescriptors()).toBe(before);
    const sync = await caught(() => openStoreSync(dir, { fsync: false }));
    expect(sync.code).toBe('ENOTDIR');
    expect(openDescriptors()).toBe(before);
  });

  it('openStoreSync of a path that is a file throws (only a missing directory is undefined)', async () => {
    const file = join(await tempDir(), 'file');
    writeFileSync(file, 'x', { mode: 0o600 });
    const error = await caught(() => openStoreSync(file));
    expect(error.code).toBe('ENOTDIR');
  });
});
