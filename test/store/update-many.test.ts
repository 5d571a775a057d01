import { describe, expect, it } from 'vitest';
import { open, storeIn } from './support.js';

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
});
