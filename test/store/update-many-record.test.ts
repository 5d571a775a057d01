import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caught } from '../support/tmp.js';
import { ChangeTracker } from '../../src/store/change-tracker.js';
import { entryFileName } from '../../src/store/entry-record.js';
import { StoreView } from '../../src/store/view.js';
import { storeIn } from './support.js';

describe('the updateMany record (a Proxy over the store)', () => {
  it('reads of an assigned key return the very object assigned; reads of a stored key return one copy, kept across reads', async () => {
    const { store } = await storeIn();
    await store.update('a', () => ({ n: 1 }));
    await store.update('b', () => ({ n: 1 }));
    await store.updateMany((record) => {
      const assigned = { n: 2 };
      record['a'] = assigned;
      expect(record['a']).toBe(assigned);
      const first = record['b'] as { n: number; m?: number };
      first.n = 5;
      expect(record['b']).toBe(first);
      (record['b'] as { m?: number }).m = 6;
    });
    expect(await store.get('a')).toEqual({ n: 2 });
    expect(await store.get('b')).toEqual({ n: 5, m: 6 });
  });

  it('a deleted key reads as undefined, also when it is stored', async () => {
    const { store } = await storeIn();
    await store.update('a', () => ({ n: 1 }));
    await store.updateMany((record) => {
      delete record['a'];
      expect(record['a']).toBeUndefined();
      expect(record['a']).toBeUndefined();
    });
    expect(await store.get('a')).toBeUndefined();
  });

  it('property descriptors: stored and assigned keys are enumerable accessors (no copy until read); absent keys and symbols have none', async () => {
    const { store } = await storeIn();
    await store.update('a', () => ({ n: 1 }));
    await store.updateMany((record) => {
      const descriptor = Object.getOwnPropertyDescriptor(record, 'a');
      expect(descriptor).toMatchObject({ enumerable: true, configurable: true });
      expect(descriptor?.get?.()).toEqual({ n: 1 });
      expect(Object.getOwnPropertyDescriptor(record, 'zz')).toBeUndefined();
      expect(Object.getOwnPropertyDescriptor(record, Symbol.iterator)).toBeUndefined();
      expect(Object.hasOwn(record, 'a')).toBe(true);
      expect(Object.hasOwn(record, 'zz')).toBe(false);
      expect(Object.hasOwn(record, Symbol.iterator)).toBe(false);
      expect(Symbol.iterator in record).toBe(false);
      expect((record as unknown as Record<symbol, unknown>)[Symbol.iterator]).toBeUndefined();
      expect(Object.keys(record)).toEqual(['a']);
      expect({ ...record }).toEqual({ a: { n: 1 } });
    });
  });

  it('Object.defineProperty with a value assigns; an accessor is refused with "store entries cannot be accessor properties"', async () => {
    const { store } = await storeIn();
    await store.updateMany((record) => {
      Object.defineProperty(record, 'd', { value: { v: 1 }, enumerable: true, configurable: true, writable: true });
      expect(record['d']).toEqual({ v: 1 });
      expect(Reflect.defineProperty(record, 'e', { value: { v: 2 } })).toBe(true);
    });
    expect(await store.get('d')).toEqual({ v: 1 });
    expect(await store.get('e')).toEqual({ v: 2 });
    const error = await caught(
      store.updateMany((record) => {
        Object.defineProperty(record, 'g', { get: () => ({}) });
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('accessor');
  });

  it('deleting a symbol property is allowed and changes nothing; assigning one is "store keys must be strings"', async () => {
    const { dir, store } = await storeIn();
    await store.update('a', () => ({ n: 1 }));
    const stamp = readFileSync(join(dir, '.changes'));
    expect(
      await store.updateMany((record) => {
        return delete (record as unknown as Record<symbol, unknown>)[Symbol.iterator];
      }),
    ).toBe(true);
    expect(readFileSync(join(dir, '.changes'))).toEqual(stamp);
    const error = await caught(
      store.updateMany((record) => {
        (record as unknown as Record<symbol, unknown>)[Symbol('s')] = { n: 1 };
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('keys must be strings');
  });

  it('its prototype cannot be set: Reflect.setPrototypeOf is false and Object.setPrototypeOf throws', async () => {
    const { store } = await storeIn();
    await store.updateMany((record) => {
      expect(Reflect.setPrototypeOf(record, Object.prototype)).toBe(false);
      expect(() => Object.setPrototypeOf(record, Object.prototype)).toThrow(TypeError);
      expect(Object.getPrototypeOf(record)).toBeNull();
    });
  });

  it('assigning a blocked object key throws EBADNAME at the assignment itself, inside the mutator', async () => {
    const { store } = await storeIn();
    const seen: Array<{ code: string | undefined; blocked: boolean; path: string | undefined }> = [];
    await store.updateMany((record) => {
      for (const key of ['__proto__', 'constructor']) {
        try {
          record[key] = { polluted: true };
        } catch (error) {
          const { code, message, path } = error as { code: string | undefined; message: string; path: string | undefined };
          seen.push({ code, blocked: message.includes('blocked object key'), path });
        }
      }
    });
    expect(seen).toEqual([
      { code: 'EBADNAME', blocked: true, path: '__proto__' },
      { code: 'EBADNAME', blocked: true, path: 'constructor' },
    ]);
    expect(Object.keys(await store.loadAll())).toEqual([]);
  });

  it('a deleted or undefined-assigned key is gone from `in`, Object.keys and spread, and is deleted at commit', async () => {
    const { store } = await storeIn();
    for (const key of ['a', 'b', 'c']) await store.update(key, () => ({ n: 1 }));
    await store.updateMany((record) => {
      delete record['a'];
      (record as Record<string, unknown>)['b'] = undefined;
      (record as Record<string, unknown>)['new'] = undefined;
      expect('a' in record).toBe(false);
      expect('b' in record).toBe(false);
      expect('new' in record).toBe(false);
      expect('c' in record).toBe(true);
      expect(Object.keys(record)).toEqual(['c']);
      expect(Reflect.ownKeys(record)).toEqual(['c']);
      expect({ ...record }).toEqual({ c: { n: 1 } });
    });
    expect({ ...(await store.loadAll()) }).toEqual({ c: { n: 1 } });
  });

  it('the setter of a key’s property descriptor assigns to that key', async () => {
    const { store } = await storeIn();
    await store.update('a', () => ({ n: 1 }));
    await store.updateMany((record) => {
      Object.getOwnPropertyDescriptor(record, 'a')?.set?.({ n: 2 });
      expect(record['a']).toEqual({ n: 2 });
    });
    expect(await store.get('a')).toEqual({ n: 2 });
  });

  it('copies counts the entries copied: one per stored key read, none for listing or assigning', () => {
    const view = new StoreView<{ n: number }>(
      new Map([
        [entryFileName('a'), { key: 'a', entry: Object.freeze({ n: 1 }), rev: 1, size: 10 }],
        [entryFileName('b'), { key: 'b', entry: Object.freeze({ n: 2 }), rev: 1, size: 10 }],
      ]),
    );
    const tracker = new ChangeTracker(view, (entry) => ({ ...entry }));
    expect(Object.keys(tracker.record).sort()).toEqual(['a', 'b']);
    expect(tracker.copies).toBe(0);
    expect(tracker.record['a']).toEqual({ n: 1 });
    expect(tracker.record['a']).toEqual({ n: 1 });
    expect(tracker.copies).toBe(1);
    tracker.record['c'] = { n: 3 };
    expect(tracker.record['c']).toEqual({ n: 3 });
    expect(tracker.record['b']).toEqual({ n: 2 });
    expect(tracker.copies).toBe(2);
  });
});
