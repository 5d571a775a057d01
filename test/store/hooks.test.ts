// Issue 13's store features: normalizeEntry on every write, transformEntry on every load,
// deletion through a mutator with DELETE, loadAll({ copy: true }), the frozen null-prototype
// default, synchronous reads over the same cache, and creating nothing when asked not to.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DELETE, entryFileName, openStore, type StoreEntry } from '../../src/store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

describe('hooks', () => {
  it('normalizeEntry runs on every write (update, updateMany, commit) before the value check', async () => {
    const dir = join(await tempDir(), 'store');
    const seen: string[] = [];
    const store = await openStore(dir, {
      fsync: false,
      normalizeEntry: (entry, key) => {
        seen.push(key);
        return { ...entry, normalized: true };
      },
    });
    await store.update('a', () => ({ n: 1 }));
    await store.updateMany((record) => void (record['b'] = { n: 2 }));
    await store.commit(['c'], () => new Map([['c', { n: 3 }]]));
    expect({ ...(await store.loadAll()) }).toEqual({ a: { n: 1, normalized: true }, b: { n: 2, normalized: true }, c: { n: 3, normalized: true } });
    expect(seen.sort()).toEqual(['a', 'b', 'c']);
    await store.close();
  });

  it('transformEntry runs on every load (get, loadAll, getSync, the mutator’s input); the file keeps its bytes', async () => {
    const dir = join(await tempDir(), 'store');
    const plain = await openStore(dir, { fsync: false });
    await plain.update('a', () => ({ provider: 'x' }));
    await plain.close();
    const rename = (entry: StoreEntry): StoreEntry => {
      const { provider, ...rest } = entry;
      return provider === undefined ? entry : { ...rest, channel: provider };
    };
    const store = await openStore(dir, { fsync: false, transformEntry: rename, sync: true });
    expect(await store.get('a')).toEqual({ channel: 'x' });
    expect({ ...(await store.loadAll()) }).toEqual({ a: { channel: 'x' } });
    expect(store.getSync('a')).toEqual({ channel: 'x' });
    await store.update('a', (current) => {
      expect(current).toEqual({ channel: 'x' });
      return undefined; // unchanged after the transform: nothing written
    });
    expect(JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(dir, entryFileName('a')), 'utf8'))).entry).toEqual({ provider: 'x' });
    await store.close();
  });
});

describe('deletion through a mutator', () => {
  it('returning DELETE from update removes the entry; returning undefined keeps it', async () => {
    const dir = join(await tempDir(), 'store');
    const store = await openStore(dir, { fsync: false });
    await store.update('a', () => ({ n: 1 }));
    expect(await store.update('a', () => undefined)).toEqual({ n: 1 });
    expect(await store.update('a', () => DELETE)).toBeUndefined();
    expect(await store.get('a')).toBeUndefined();
    expect(existsSync(join(dir, entryFileName('a')))).toBe(false);
    expect(await store.update('absent', () => DELETE)).toBeUndefined();
    await store.updateMany((record) => {
      record['x'] = { n: 1 };
      record['y'] = { n: 1 };
    });
    await store.updateMany((record) => void (record['x'] = DELETE as unknown as StoreEntry));
    expect(await store.keys()).toEqual(['y']);
    await store.close();
  });
});

describe('what loadAll returns', () => {
  it('by default the frozen null-prototype entries record; { copy: true } mutable plain objects equal to it', async () => {
    const dir = join(await tempDir(), 'store');
    const store = await openStore(dir, { fsync: false });
    await store.update('a', () => ({ n: 1, nested: { m: 2 } }));
    const shared = await store.loadAll();
    expect(Object.isFrozen(shared)).toBe(true);
    expect(Object.getPrototypeOf(shared)).toBeNull();
    expect(Object.isFrozen(shared['a'])).toBe(true);
    const copy = (await store.loadAll({ copy: true })) as Record<string, { n: number; nested: { m: number } }>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(copy['a'])).toBe(Object.prototype);
    expect(copy).toStrictEqual({ a: { n: 1, nested: { m: 2 } } });
    (copy['a'] as { n: number }).n = 5;
    (copy['a'] as { nested: { m: number } }).nested.m = 6;
    expect(shared['a']).toEqual({ n: 1, nested: { m: 2 } });
    expect(await store.get('a')).toEqual({ n: 1, nested: { m: 2 } });
    await store.close();
  });
});

describe('synchronous reads', () => {
  it('getSync and loadAllSync see a commit made by another store object on the very next call', async () => {
    const dir = join(await tempDir(), 'store');
    const writer = await openStore(dir, { fsync: false });
    const reader = await openStore(dir, { fsync: false, sync: true });
    expect(reader.loadAllSync()).toEqual({});
    await writer.update('a', () => ({ n: 1 }));
    expect(reader.getSync('a')).toEqual({ n: 1 });
    await writer.updateMany((record) => {
      record['a'] = { n: 2 };
      record['b'] = { n: 2 };
    });
    expect({ ...reader.loadAllSync() }).toEqual({ a: { n: 2 }, b: { n: 2 } });
    await writer.delete('b');
    expect(reader.getSync('b')).toBeUndefined();
    expect(reader.loadAllSync({ copy: true })).toStrictEqual({ a: { n: 2 } });
    await writer.close();
    await reader.close();
  });

  it('a store opened without { sync: true } answers synchronously from a full synchronous load; a closed one is ECLOSED', async () => {
    const dir = join(await tempDir(), 'store');
    const store = await openStore(dir, { fsync: false });
    await store.update('a', () => ({ n: 1 }));
    // A store opened without sync: true answers from a synchronous full listing.
    expect(store.getSync('a')).toEqual({ n: 1 });
    await store.close();
    expect((await caught(() => store.getSync('a'))).code).toBe('ECLOSED');
  });
});

describe('creating the store directory', () => {
  it('create: true (default) makes missing parents 0o700; create: false creates nothing and is ENOENT', async () => {
    const base = await tempDir();
    const error = await caught(openStore(join(base, 'a', 'b', 'store'), { create: false }));
    expect(error.code).toBe('ENOENT');
    expect(existsSync(join(base, 'a'))).toBe(false);
    const store = await openStore(join(base, 'a', 'b', 'store'), { fsync: false });
    const { statSync } = await import('node:fs');
    expect(statSync(join(base, 'a')).mode & 0o777).toBe(0o700);
    expect(statSync(join(base, 'a', 'b', 'store')).mode & 0o777).toBe(0o700);
    await store.close();
  });
});
