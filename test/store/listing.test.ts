// Listing keys copies no entry (issue 10 item 17): Object.keys, for…in, `in` and has over the
// updateMany record, store.keys() and store.has() parse nothing; reading one entry copies that one.
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

afterEach(() => {
  vi.restoreAllMocks();
});

async function storeWith(count: number) {
  const store = await openStore(join(await tempDir(), 'store'), { fsync: false });
  await store.updateMany((record) => {
    for (let i = 0; i < count; i += 1) record[`key-${i}`] = { n: i, pad: 'x'.repeat(100) };
  });
  await store.loadAll(); // warm: what follows must not need to read the files again
  return store;
}

describe('listing keys', () => {
  it('Object.keys, for…in, Object.getOwnPropertyNames, `in` over the updateMany record parse no entry', async () => {
    const store = await storeWith(200);
    const parse = vi.spyOn(JSON, 'parse');
    let listed: string[] = [];
    let parsesWhileListing = -1;
    await store.updateMany((record) => {
      const before = parse.mock.calls.length;
      listed = Object.keys(record);
      const viaForIn: string[] = [];
      for (const key in record) viaForIn.push(key);
      expect(viaForIn.sort()).toEqual([...listed].sort());
      expect(Object.getOwnPropertyNames(record)).toHaveLength(200);
      expect('key-7' in record).toBe(true);
      expect('absent' in record).toBe(false);
      parsesWhileListing = parse.mock.calls.length - before;
      // Reading one entry copies exactly that one.
      const one = record['key-3'];
      expect(one).toEqual({ n: 3, pad: 'x'.repeat(100) });
      expect(parse.mock.calls.length - before).toBe(1);
    });
    expect(parsesWhileListing).toBe(0);
    expect(listed).toHaveLength(200);
    await store.close();
  });

  it('store.keys() and store.has() parse no entry on a warm cache', async () => {
    const store = await storeWith(100);
    const parse = vi.spyOn(JSON, 'parse');
    const keys = await store.keys();
    expect(keys).toHaveLength(100);
    expect(await store.has('key-5')).toBe(true);
    expect(await store.has('nope')).toBe(false);
    expect(parse).not.toHaveBeenCalled();
    await store.close();
  });

  it('an updateMany touching one key of many writes one file and copies one entry', async () => {
    const store = await storeWith(300);
    const parse = vi.spyOn(JSON, 'parse');
    await store.updateMany((record) => {
      for (const key of Object.keys(record)) if (key === 'key-9') (record[key] as { n: number }).n = -1;
    });
    // One copy for the mutator, one read of the file under its lock for the commit check; the
    // other 299 entries are never parsed.
    expect(parse.mock.calls.length).toBeLessThanOrEqual(3);
    expect(await store.get('key-9')).toMatchObject({ n: -1 });
    await store.close();
  });
});
