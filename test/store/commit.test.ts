import { existsSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { DELETE, entryFileName, isPossiblyApplied } from '../../src/store/index.js';
import { describe, expect, it } from 'vitest';
import { fcParams } from '../support/fc.js';
import { caught } from '../support/tmp.js';
import { open, storeIn, holdLock, twoStores } from './support.js';

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

/** The records of the store's change log after its header line, one per commit (or announcement). */
function changeRecords(dir: string): string[] {
  return readFileSync(join(dir, '.changes'), 'utf8').split('\n').slice(1, -1);
}

describe('isPossiblyApplied(error)', () => {
  it('is true exactly for an Error whose possiblyApplied is true', () => {
    fc.assert(
      fc.property(fc.anything(), fc.boolean(), (mark, isError) => {
        const error: unknown = isError ? Object.assign(new Error('x'), { possiblyApplied: mark }) : { possiblyApplied: mark, message: 'x' };
        expect(isPossiblyApplied(error)).toBe(isError && mark === true);
      }),
      fcParams(),
    );
    expect(isPossiblyApplied(Object.assign(new Error('x'), { possiblyApplied: true }))).toBe(true);
    expect(isPossiblyApplied(new Error('x'))).toBe(false);
  });
});

describe('what one commit announces in the change log', () => {
  it('a shared single-key commit: one record naming its file, before the change; a commit that changes nothing: none', async () => {
    const { dir, store } = await storeIn();
    await store.update('k', () => ({ v: 1 }));
    const before = changeRecords(dir);
    await store.update('k', () => ({ v: 2 }));
    expect(changeRecords(dir).slice(before.length)).toEqual([entryFileName('k')]);
    expect(await store.commit(['k'], () => new Map())).toBe(0);
    expect(await store.commit(['k'], () => new Map([['k', { v: 2 }]]))).toBe(0);
    await store.update('k', () => ({ v: 2 }));
    expect(changeRecords(dir).length).toBe(before.length + 1);
  });

  it('a multi-key commit: its intent record; one with deletes announces it again before unlinking its tombstones, which leave no file', async () => {
    const { dir, store, fileOf } = await storeIn();
    await store.updateMany((record) => {
      record['a'] = { v: 1 };
      record['b'] = { v: 1 };
    });
    const files = [entryFileName('a'), entryFileName('b')];
    const first = changeRecords(dir);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(new RegExp(`^@[0-9a-f]{24}/${files.join('/')}$`));
    await store.updateMany((record) => {
      record['a'] = { v: 2 };
      delete record['b'];
    });
    const second = changeRecords(dir).slice(1);
    expect(second).toHaveLength(2);
    expect(second[1]).toBe(second[0]);
    expect(second[0]).toMatch(new RegExp(`^@[0-9a-f]{24}/${files.join('/')}$`));
    expect(existsSync(fileOf('b'))).toBe(false);
    expect(readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual(['.changes', '.locks']);
    expect({ ...(await store.loadAll()) }).toEqual({ a: { v: 2 } });
    const reopened = await open(join(dir, '..', 'sessions.json'));
    expect({ ...(await reopened.loadAll()) }).toEqual({ a: { v: 2 } });
  });

  it("an exclusive writer's commit is announced before and again after the change (it takes no lock files readers could see)", async () => {
    const { dir, store } = await storeIn({ writer: 'exclusive' });
    await store.update('k', () => ({ v: 1 }));
    expect(changeRecords(dir)).toEqual([entryFileName('k'), entryFileName('k')]);
    await store.updateMany((record) => {
      record['a'] = { v: 1 };
      record['b'] = { v: 1 };
    });
    const many = changeRecords(dir).slice(2);
    expect(many).toHaveLength(2);
    expect(many[0]).toMatch(new RegExp(`^@[0-9a-f]{24}/${entryFileName('a')}/${entryFileName('b')}$`));
    expect(many[1]).toBe(`${entryFileName('a')}/${entryFileName('b')}`);
  });
});

describe('key locks, taken in order and given back', () => {
  it('locks are taken in sorted order whatever the order of the keys: the first is held while the commit waits on the second', async () => {
    const { dir, store } = await storeIn({ lockTimeoutMs: 20_000 });
    const release = await holdLock(dir, 'b');
    let written: Promise<number> | undefined;
    try {
      written = store.commit(['b', 'a'], () => new Map([['a', { v: 1 }], ['b', { v: 1 }]]));
      const aLock = join(dir, '.locks', `${entryFileName('a')}.lock`);
      await poll(() => existsSync(aLock), 5_000, 'the lock of a, taken before the lock of b');
    } finally {
      await release();
    }
    expect(await written).toBe(2);
  }, 30_000);

  it("a call's staleMs judges a lock's staleness instead of the store's lockStaleMs", async () => {
    const { dir, store } = await storeIn({ lockStaleMs: 600_000, lockTimeoutMs: 1_500 });
    const lock = join(dir, '.locks', `${entryFileName('k')}.lock`);
    writeFileSync(lock, JSON.stringify({ v: 1, token: 'cd'.repeat(16), pid: 4242, host: 'another-host', time: 0 }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const error = await caught(store.update('k', () => ({ v: 1 })));
    expect(error.code).toBe('ELOCKED');
    expect(await store.update('k', () => ({ v: 1 }), { staleMs: 5_000 })).toEqual({ v: 1 });
  }, 10_000);

  it('a lock taken over while its commit ran makes the commit reject ELOCKLOST (the last lock taken is heard first)', async () => {
    const { dir, store, fileOf } = await storeIn();
    const lockOf = (key: string) => join(dir, '.locks', `${entryFileName(key)}.lock`);
    const error = await caught(
      store.update('k', () => {
        rmSync(lockOf('k'));
        return { v: 1 };
      }),
    );
    expect(error.code).toBe('ELOCKLOST');
    expect(error.path).toBe(lockOf('k'));
    expect(existsSync(fileOf('k'))).toBe(true); // done, without exclusion: that is what the caller hears
    const many = await caught(
      store.commit(['a', 'b'], () => {
        for (const key of ['a', 'b']) {
          rmSync(lockOf(key)); // another process took it over: a new file at the name
          writeFileSync(lockOf(key), JSON.stringify({ v: 1, token: 'ef'.repeat(16), pid: 4242, host: 'another-host', time: 0 }));
        }
        return new Map([['a', { v: 1 }], ['b', { v: 1 }]]);
      }),
    );
    expect(many.code).toBe('ELOCKLOST');
    expect(many.path).toBe(lockOf('b'));
  });
});

describe('a reader meeting a multi-key commit another store finished', () => {
  it('reads it whole once its intent is gone (no intent left is no error)', async () => {
    const { reader, writer } = await twoStores();
    await writer.updateMany((record) => {
      record['a'] = { n: 2 };
      record['b'] = { n: 2 };
    });
    expect({ ...(await reader.loadAll()) }).toEqual({ a: { n: 2 }, b: { n: 2 }, c: { n: 1 } });
  });

  it.each([
    ['', false],
    [' (an exclusive writer is opening meanwhile: writer.lock is there)', true],
  ])("a file carrying a finished commit's marker, locked by a writer: the reader waits for that lock before it answers%s", async (_, exclusiveOpening) => {
    const { dir, reader, writer } = await twoStores();
    await writer.updateMany((record) => {
      record['a'] = { n: 2 };
      record['b'] = { n: 2 };
    });
    const release = await holdLock(dir, 'a');
    if (exclusiveOpening) writeFileSync(join(dir, '.locks', 'writer.lock'), 'an exclusive writer draining shared commits');
    let answered = false;
    const read = reader.loadAll().then((all) => {
      answered = true;
      return all;
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered).toBe(false); // a locked file may be mid-commit: never answered from before its lock goes
    } finally {
      await release();
    }
    expect({ ...(await read) }).toEqual({ a: { n: 2 }, b: { n: 2 }, c: { n: 1 } });
  });
});

async function poll(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
