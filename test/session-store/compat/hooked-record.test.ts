// hookedRecord: the record an updateStore mutator sees — string keys normalized, the compat hooks
// run on what the mutator reads or assigns; every other property (symbols, accessors) is the
// plain record's, untouched by the hooks.
import { describe, expect, it } from 'vitest';
import { hookedRecord } from '../../../src/session-store/compat/hooked-record.js';
import type { SessionEntry } from '../../../src/session-store/index.js';

const lower = (key: string): string => key.toLowerCase();

function setup() {
  const record: Record<string, SessionEntry> = { 'agent:main': { updatedAt: 1, v: 'stored' } as SessionEntry };
  const loaded: string[] = [];
  const normalized: string[] = [];
  const hooked = hookedRecord(
    record,
    (entry, key) => {
      loaded.push(key);
      return { ...entry, loaded: true } as SessionEntry;
    },
    (entry, key) => {
      normalized.push(key);
      return { ...entry, normalized: true } as SessionEntry;
    },
    lower,
  );
  return { plain: record, loaded, normalized, proxy: hooked.record, finish: hooked.finish };
}

describe('hookedRecord', () => {
  it('reading a key that is not there gives undefined, runs no hook, and leaves nothing to normalize', () => {
    const { proxy, finish, loaded, normalized, plain: record } = setup();
    expect(proxy['Agent:Other']).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(proxy, 'agent:other')).toBeUndefined();
    expect('agent:other' in proxy).toBe(false);
    finish();
    expect(loaded).toEqual([]);
    expect(normalized).toEqual([]);
    expect(Object.keys(record)).toEqual(['agent:main']);
  });

  it('a case variant reads the stored entry once through transformOnLoad; finish normalizes it', () => {
    const { proxy, finish, loaded, normalized, plain: record } = setup();
    expect(proxy['Agent:Main']).toMatchObject({ v: 'stored', loaded: true });
    expect(Object.getOwnPropertyDescriptor(proxy, 'AGENT:MAIN')?.value).toMatchObject({ loaded: true });
    expect(loaded).toEqual(['agent:main']);
    finish();
    expect(normalized).toEqual(['agent:main']);
    expect(record['agent:main']).toMatchObject({ loaded: true, normalized: true });
  });

  it('symbol properties and accessor definitions go to the plain record, outside the hooks', () => {
    const { proxy, finish, normalized, plain: record } = setup();
    const tag = Symbol('tag');
    (proxy as unknown as Record<symbol, unknown>)[tag] = 'kept';
    expect((record as unknown as Record<symbol, unknown>)[tag]).toBe('kept');
    expect((proxy as unknown as Record<symbol, unknown>)[tag]).toBeUndefined(); // reads of symbols give nothing
    expect(tag in proxy).toBe(true);
    expect(delete (proxy as unknown as Record<symbol, unknown>)[tag]).toBe(true);
    expect(tag in record).toBe(false);
    Object.defineProperty(proxy, 'agent:computed', { get: () => ({ updatedAt: 2 }), enumerable: true, configurable: true });
    expect(Object.getOwnPropertyDescriptor(record, 'agent:computed')?.get).toBeTypeOf('function');
    finish();
    expect(normalized).toEqual([]);
  });

  it('a key assigned undefined or deleted is not normalized; defineProperty with a value is an assignment', () => {
    const { proxy, finish, normalized, plain: record } = setup();
    proxy['Agent:Gone'] = undefined as unknown as SessionEntry;
    Object.defineProperty(proxy, 'Agent:Defined', { value: { updatedAt: 3 }, enumerable: true, configurable: true, writable: true });
    proxy['agent:deleted'] = { updatedAt: 4 } as SessionEntry;
    expect(delete proxy['Agent:Deleted']).toBe(true);
    finish();
    expect(normalized).toEqual(['agent:defined']);
    expect(record['agent:gone']).toBeUndefined();
    expect('agent:deleted' in record).toBe(false);
    expect(record['agent:defined']).toMatchObject({ updatedAt: 3, normalized: true });
    expect(Object.getPrototypeOf(proxy)).toBeNull();
    expect(Object.setPrototypeOf.bind(null, proxy, {})).toThrow(TypeError);
  });

  it('without hooks, reads and writes pass through unchanged', () => {
    const record: Record<string, SessionEntry> = { k: { updatedAt: 1 } as SessionEntry };
    const entry = record['k'];
    const { record: proxy, finish } = hookedRecord(record, undefined, undefined, lower);
    expect(proxy['K']).toBe(entry);
    proxy['n'] = { updatedAt: 2 } as SessionEntry;
    finish();
    expect(record['k']).toBe(entry);
    expect(record['n']).toEqual({ updatedAt: 2 });
  });
});
