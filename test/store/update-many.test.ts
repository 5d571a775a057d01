import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editBehindTheStoresBack, open, storeIn } from './support.js';

describe('optimistic concurrency of updateMany', () => {
  it('a key another writer changed and changed back (same content, newer rev) still makes the mutator run again', async () => {
    const { path, store } = await storeIn();
    const other = await open(path);
    await store.update('k', () => ({ n: 1 }));
    let runs = 0;
    await store.updateMany(async (record) => {
      runs += 1;
      const current = record['k'] as { n: number };
      if (runs === 1) {
        await other.update('k', () => ({ n: 2 }));
        await other.update('k', () => ({ n: 1 }));
      }
      record['k'] = { n: current.n + 10 };
    });
    expect(runs).toBe(2);
    expect(await store.get('k')).toEqual({ n: 11 });
  });

  it('a file found changed with no record naming it (a writer died between its rename and its record) is read again, and the mutator runs on it', async () => {
    const { dir, store } = await storeIn();
    await store.update('k', () => ({ n: 1 }));
    expect({ ...(await store.loadAll()) }).toEqual({ k: { n: 1 } });
    editBehindTheStoresBack(dir, 'k', { n: 50 }, 2);
    const seen: number[] = [];
    await store.updateMany((record) => {
      const current = record['k'] as { n: number };
      seen.push(current.n);
      record['k'] = { n: current.n + 1 };
    });
    expect(seen).toEqual([1, 50]);
    expect(await store.get('k')).toEqual({ n: 51 });
  });

  it('a key deleted and created again meanwhile (rev 1 again, other content) makes the mutator run again', async () => {
    const { path, store } = await storeIn();
    const other = await open(path);
    await store.update('k', () => ({ n: 1 }));
    let runs = 0;
    await store.updateMany(async (record) => {
      runs += 1;
      const current = record['k'] as { n: number };
      if (runs === 1) {
        await other.delete('k');
        await other.update('k', () => ({ n: 5 }));
      }
      record['k'] = { n: current.n + 10 };
    });
    expect(runs).toBe(2);
    expect(await store.get('k')).toEqual({ n: 15 });
  });

  it('a mutator that only reads, or writes back what is there, writes nothing: no rev, no change record', async () => {
    const { dir, store, fileOf } = await storeIn();
    await store.update('k', () => ({ n: 1 }));
    const changes = statSync(join(dir, '.changes')).size;
    const before = readFileSync(fileOf('k'), 'utf8');
    expect(await store.updateMany((record) => (record['k'] as { n: number }).n)).toBe(1);
    expect(await store.updateMany((record) => void (record['k'] = { n: 1 }))).toBeUndefined();
    expect(readFileSync(fileOf('k'), 'utf8')).toBe(before);
    expect(statSync(join(dir, '.changes')).size).toBe(changes);
  });
});
