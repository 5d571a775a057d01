import { existsSync, readFileSync } from 'node:fs';
import { DELETE } from '../../src/store/index.js';
import { describe, expect, it } from 'vitest';
import { caught } from '../support/tmp.js';
import { storeIn, holdLock } from './support.js';

describe('key locks', () => {
  it('delete waits for the key lock: it times out with ELOCKED while another writer holds it, and deletes nothing', async () => {
    const { dir, store, fileOf } = await storeIn({ lockTimeoutMs: 300 });
    await store.update('k', () => ({ v: 1 }));
    const release = await holdLock(dir, 'k');
    try {
      const error = await caught(store.delete('k'));
      expect(error.code).toBe('ELOCKED');
      expect(error.message).toMatch(/within \d+ ms/); // what is left of lockTimeoutMs: it bounds the whole wait
      expect(existsSync(fileOf('k'))).toBe(true);
    } finally {
      await release();
    }
    expect(await store.delete('k')).toBe(true);
  }, 8_000);

  it('updateMany takes the lock of every key it writes, the second one too', async () => {
    const { dir, store, fileOf } = await storeIn({ lockTimeoutMs: 300 });
    for (const locked of ['a', 'b']) {
      const release = await holdLock(dir, locked);
      try {
        const error = await caught(
          store.updateMany((record) => {
            record['a'] = { v: 1 };
            record['b'] = { v: 1 };
          }),
        );
        expect(error.code).toBe('ELOCKED');
        expect(error.message).toMatch(/within \d+ ms/); // what is left of lockTimeoutMs: it bounds the whole wait
      } finally {
        await release();
      }
      expect(existsSync(fileOf('a'))).toBe(false);
      expect(existsSync(fileOf('b'))).toBe(false);
    }
  }, 8_000);

  it('update waits for the key lock and honours lockTimeoutMs', async () => {
    const { dir, store, fileOf } = await storeIn({ lockTimeoutMs: 200 });
    const release = await holdLock(dir, 'k');
    try {
      const error = await caught(store.update('k', () => ({ v: 1 })));
      expect(error.code).toBe('ELOCKED');
      // the lock's own wait is what is left of the call's lockTimeoutMs: at most 200 ms
      expect(Number(/within (\d+) ms/.exec(error.message)?.[1])).toBeLessThanOrEqual(200);
    } finally {
      await release();
    }
    expect(existsSync(fileOf('k'))).toBe(false);
  }, 8_000);

  it('two updateMany calls writing the same keys in opposite orders both commit (locks are taken in sorted order)', async () => {
    const { store } = await storeIn();
    const both = Promise.all([
      store.updateMany((record) => {
        record['a'] = { from: 1 };
        record['b'] = { from: 1 };
      }),
      store.updateMany((record) => {
        record['b'] = { from: 2 };
        record['a'] = { from: 2 };
      }),
    ]);
    let timer: NodeJS.Timeout | undefined;
    const deadlock = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('the two commits wait on each other')), 4_000);
    });
    await Promise.race([both, deadlock]).finally(() => clearTimeout(timer));
    const all = await store.loadAll();
    expect(all['a']).toEqual(all['b']);
  }, 8_000);
});

describe('store.commit(keys, decide)', () => {
  it('decide gets the current entries and revs; DELETE of a present key deletes it, of an absent key writes nothing', async () => {
    const { store, fileOf } = await storeIn();
    await store.update('a', () => ({ v: 1 }));
    let seen: unknown;
    await store.commit(['a', 'b'], (current) => {
      seen = [...current.entries()].map(([key, value]) => [key, value === undefined ? undefined : { entry: { ...value.entry }, rev: value.rev }]);
      return new Map([
        ['a', DELETE],
        ['b', DELETE],
      ]);
    });
    expect(seen).toEqual([
      ['a', { entry: { v: 1 }, rev: 1 }],
      ['b', undefined],
    ]);
    expect(existsSync(fileOf('a'))).toBe(false);
    expect(existsSync(fileOf('b'))).toBe(false);
    expect(await store.loadAll()).toEqual({});
  });

  it('an entry equal to the stored one is not written again (its rev stays); keys decide omits stay as they are', async () => {
    const { store, fileOf } = await storeIn();
    await store.update('a', () => ({ v: 1 }));
    await store.update('b', () => ({ v: 1 }));
    const before = readFileSync(fileOf('a'), 'utf8');
    await store.commit(['a', 'b'], () => new Map([['a', { v: 1 }]]));
    expect(readFileSync(fileOf('a'), 'utf8')).toBe(before);
    await store.commit(['a', 'b'], () => new Map([['b', { v: 2 }]]));
    expect({ ...(await store.loadAll()) }).toEqual({ a: { v: 1 }, b: { v: 2 } });
    expect(JSON.parse(readFileSync(fileOf('b'), 'utf8'))).toMatchObject({ rev: 2 });
  });

  it('deciding on a key it was not given is a TypeError naming it, and nothing is written', async () => {
    const { store, fileOf } = await storeIn();
    const error = await caught(
      store.commit(['a'], () =>
        new Map([
          ['a', { v: 1 }],
          ['intruder', { v: 1 }],
        ]),
      ),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('"intruder"');
    expect(existsSync(fileOf('a'))).toBe(false);
    expect(existsSync(fileOf('intruder'))).toBe(false);
  });

  it('resolves to the number of keys written: DELETE of an absent key and an equal entry count for nothing', async () => {
    const { store, fileOf } = await storeIn();
    await store.update('a', () => ({ v: 1 }));
    expect(await store.commit(['b'], () => new Map([['b', DELETE]]))).toBe(0);
    expect(existsSync(fileOf('b'))).toBe(false);
    expect(await store.commit(['a', 'b'], () => new Map<string, { v: number } | typeof DELETE>([['a', { v: 1 }], ['b', DELETE]]))).toBe(0);
    expect(await store.commit(['a', 'c'], () => new Map<string, { v: number } | typeof DELETE>([['a', DELETE], ['c', { v: 3 }]]))).toBe(2);
    expect({ ...(await store.loadAll()) }).toEqual({ c: { v: 3 } });
  });
});
