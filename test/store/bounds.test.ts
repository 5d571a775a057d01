// What one open store may hold (issue 10 item 9): the total entry bytes and the snapshot file are
// bounded, and the refusal names the option that raises the bound.
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryFileName, openStore } from '../../src/store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

describe('bounds of one open store', () => {
  it('entries totalling more than maxTotalEntryBytes are ETOOBIG naming maxTotalEntryBytes, at a full load and after commits', async () => {
    const dir = join(await tempDir(), 'store');
    const writer = await openStore(dir, { fsync: false });
    for (let i = 0; i < 10; i += 1) await writer.update(`k${i}`, () => ({ pad: 'x'.repeat(1000) }));
    const bounded = await openStore(dir, { fsync: false, maxTotalEntryBytes: 5_000 });
    const error = await caught(bounded.loadAll());
    expect(error.code).toBe('ETOOBIG');
    expect(error.message).toContain('option maxTotalEntryBytes');
    expect(error.path).toBe(bounded.path);
    const roomy = await openStore(dir, { fsync: false, maxTotalEntryBytes: 12_000 });
    expect(Object.keys(await roomy.loadAll())).toHaveLength(10);
    for (let i = 10; i < 14; i += 1) await writer.update(`k${i}`, () => ({ pad: 'x'.repeat(1000) }));
    expect((await caught(roomy.loadAll())).message).toContain('option maxTotalEntryBytes');
    await Promise.all([writer.close(), bounded.close(), roomy.close()]);
  });

  it('maxTotalEntryBytes is the entry files\' bytes: exactly at the bound loads, one byte over is refused, by a full load before it reads on and by a refresh', async () => {
    const dir = join(await tempDir(), 'store');
    const writer = await openStore(dir, { fsync: false });
    for (const key of ['a', 'b', 'c']) await writer.update(key, () => ({ pad: 'x'.repeat(100) }));
    const bytesOf = (keys: string[]): number => keys.reduce((sum, key) => sum + statSync(join(dir, entryFileName(key))).size, 0);
    const three = bytesOf(['a', 'b', 'c']);
    const noSnapshot = (): void => rmSync(join(dir, '.snapshot'), { force: true }); // full loads read the files
    noSnapshot();
    const exact = await openStore(dir, { fsync: false, maxTotalEntryBytes: three });
    expect(Object.keys(await exact.loadAll()).sort()).toEqual(['a', 'b', 'c']);
    noSnapshot();
    const under = await openStore(dir, { fsync: false, maxTotalEntryBytes: three - 1 });
    const full = await caught(under.loadAll());
    expect(full.code).toBe('ETOOBIG');
    expect(full.path).toBe(dir);
    expect(full.message).toContain('entries are over'); // stopped while reading, not after
    // A refresh that grows the view past the bound: ETOOBIG; back at the bound: loads again.
    await writer.update('d', () => ({ pad: 'x' }));
    const grown = await caught(exact.loadAll());
    expect(grown.code).toBe('ETOOBIG');
    expect(grown.path).toBe(dir);
    expect(grown.message).toContain(`entries total ${three + bytesOf(['d'])} bytes`);
    await Promise.all([writer.close(), exact.close(), under.close()]);
  });

  it('rewriting one key again and again counts its current size only: no ETOOBIG from sizes it no longer has', async () => {
    const dir = join(await tempDir(), 'store');
    const store = await openStore(dir, { fsync: false, maxTotalEntryBytes: 3_000 });
    await store.update('other', () => ({ pad: 'y'.repeat(1000) }));
    for (let i = 0; i < 6; i += 1) {
      await store.update('k', () => ({ pad: 'x'.repeat(1000), i }));
      expect(Object.keys(await store.loadAll()).sort()).toEqual(['k', 'other']);
    }
    // Growing it past the bound is still seen after those incremental refreshes.
    await store.update('k', () => ({ pad: 'x'.repeat(2500) }));
    expect((await caught(store.loadAll())).code).toBe('ETOOBIG');
    await store.close();
  });

  it('a snapshot file over maxSnapshotBytes is not read (the files are), and none that large is written', async () => {
    const dir = join(await tempDir(), 'store');
    const writer = await openStore(dir, { fsync: false });
    for (let i = 0; i < 5; i += 1) await writer.update(`k${i}`, () => ({ pad: 'x'.repeat(500) }));
    await writer.close();
    const warnings: string[] = [];
    const small = await openStore(dir, { fsync: false, maxSnapshotBytes: 1_000, logger: { warn: (m) => void warnings.push(m) } });
    expect(Object.keys(await small.loadAll())).toHaveLength(5);
    await small.close();
    // A forged, huge snapshot: refused by its size before it is parsed.
    writeFileSync(join(dir, '.snapshot'), `{"v":1}\n[${'0,'.repeat(600_000)}0]`);
    const again = await openStore(dir, { fsync: false, maxSnapshotBytes: 100_000, logger: { warn: (m) => void warnings.push(m) } });
    expect(Object.keys(await again.loadAll())).toHaveLength(5);
    await again.close();
  });

  it('a bound that is not a positive number is a TypeError naming the option', async () => {
    const dir = join(await tempDir(), 'store');
    for (const [name, value] of [['maxTotalEntryBytes', 0], ['maxSnapshotBytes', -1]] as const) {
      const error = await caught(openStore(dir, { [name]: value }));
      expect(error, name).toBeInstanceOf(TypeError);
      expect(error.message, name).toMatch(new RegExp(`^${name} .*positive`));
    }
  });
});
