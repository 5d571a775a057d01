import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempFileName } from '../../src/index.js';
import { tempDir, type Warning, open, storeIn } from './support.js';

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
});
