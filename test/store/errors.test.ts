import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { caught } from '../support/tmp.js';
import { tempDir, open, storeIn } from './support.js';

describe('refusals name themselves', () => {
  it('after close every method is ECLOSED "store is closed" naming the store path; a second close is a no-op', async () => {
    const { store } = await storeIn();
    await store.update('k', () => ({ v: 1 }));
    await store.close();
    await store.close();
    const calls: Array<() => Promise<unknown>> = [
      () => store.get('k'),
      () => store.loadAll(),
      () => store.update('k', () => ({ v: 2 })),
      () => store.updateMany(() => undefined),
      () => store.delete('k'),
    ];
    for (const call of calls) {
      const error = await caught(call);
      expect(error.code).toBe('ECLOSED');
      expect(error.message).toContain('store is closed');
      expect(error.path).toBe(store.directoryPath);
    }
  });

  it('Symbol.asyncDispose closes the store (for `await using`): later calls are ECLOSED', async () => {
    const dir = join(await tempDir(), 'store');
    const store = await openStore(dir, { fsync: false });
    await store.update('k', () => ({ v: 1 }));
    await store[Symbol.asyncDispose]();
    const error = await caught(store.get('k'));
    expect(error.code).toBe('ECLOSED');
    expect(error.path).toBe(dir);
    const again = await openStore(dir, { fsync: false }); // nothing of it stays held
    expect(await again.get('k')).toEqual({ v: 1 });
    await again.close();
  });

  it('update and updateMany refuse a mutator that is not a function with "mutator must be a function"', async () => {
    const { store, fileOf } = await storeIn();
    for (const call of [() => store.update('k', 'x' as never), () => store.updateMany(42 as never)]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/^mutator /); // names the argument
    }
    expect(existsSync(fileOf('k'))).toBe(false);
  });

  it('updateMany that gives up says how many attempts it made and names the store directory', async () => {
    const { path, dir, store } = await storeIn({ maxUpdateRetries: 2 });
    const other = await open(path);
    let runs = 0;
    const error = await caught(
      store.updateMany(async (record) => {
        runs += 1;
        await other.update('hot', () => ({ n: runs }));
        record['hot'] = { mine: true };
      }),
    );
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain('after 3 attempts');
    expect(runs).toBe(3); // maxUpdateRetries: 2 retries after the first attempt
    // The wording that is the contract: the refusal names the option that raises the limit.
    expect(error.message).toContain('maxUpdateRetries');
    expect(error.path).toBe(dir);
  });

  it('an entry over maxEntryBytes is ETOOBIG naming the bound and the key; an entry of exactly maxEntryBytes is stored', async () => {
    const probe = await storeIn();
    await probe.store.update('k1', () => ({ pad: 'xxxx' }));
    const exact = statSync(probe.fileOf('k1')).size;
    const { store, fileOf } = await storeIn({ maxEntryBytes: exact });
    expect(await store.update('k2', () => ({ pad: 'yyyy' }))).toEqual({ pad: 'yyyy' });
    expect(statSync(fileOf('k2')).size).toBe(exact);
    const error = await caught(store.update('k3', () => ({ pad: 'zzzzz' })));
    expect(error.code).toBe('ETOOBIG');
    expect(error.message).toContain(`${exact}-byte bound`);
    // The wording that is the contract: the refusal names the option that raises the bound.
    expect(error.message).toContain('maxEntryBytes');
    expect(error.path).toBe('k3');
    const many = await caught(store.updateMany((record) => void (record['k4'] = { pad: 'zzzzz' })));
    expect(many.code).toBe('ETOOBIG');
    expect(existsSync(fileOf('k3'))).toBe(false);
    expect(existsSync(fileOf('k4'))).toBe(false);
  });

  it('keys of one update that normalize alike are named both in the TypeError', async () => {
    const { store } = await storeIn();
    const error = await caught(
      store.updateMany((record) => {
        record['X'] = { v: 1 };
        record['x'] = { v: 2 };
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    // Both raw keys are named, so the caller can tell which two collide.
    expect(error.message).toContain('"x"');
    expect(error.message).toContain('"X"');
    expect(error.message).toContain('normalize to the same key');
  });

  it('a stored key that the current normalizeKey would change cannot be updated through updateMany (TypeError), nothing written', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const exact = await open(path, [], { normalizeKey: (key) => key });
    await exact.update('Mixed', () => ({ v: 1 }));
    const store = await open(path);
    const error = await caught(
      store.updateMany((record) => {
        (record['Mixed'] as { v: number }).v = 2;
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('"Mixed"');
    expect(error.message).toContain('not normalized');
    expect(await exact.get('Mixed')).toEqual({ v: 1 });
    expect(await exact.get('mixed')).toBeUndefined();
  });
});
