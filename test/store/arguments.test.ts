// The public Store API's own argument checks: the store directory, the mutator, and the shape of
// an entry (a plain JSON object, checked before anything is written), each refused up front with
// its own error rather than whatever a later step would throw on the bad value.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, openStoreSync, type Store, type StoreEntry } from '../../src/store/index.js';
import { entryFileName } from '../../src/store/entry-record.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

async function freshStore(options: Parameters<typeof openStore>[1] = {}): Promise<{ dir: string; store: Store }> {
  const dir = join(await tempDir(), 'store');
  return { dir, store: await openStore(dir, { fsync: false, ...options }) };
}

describe('the store directory argument', () => {
  it('openStore refuses an empty or non-string directory with EBADNAME, creating nothing', async () => {
    const base = await tempDir();
    // From inside a temp directory: '' must never become the current directory.
    const cwd = process.cwd();
    process.chdir(base);
    try {
      for (const dir of ['', 42, undefined]) {
        const error = await caught(openStore(dir as never));
        expect(error.code).toBe('EBADNAME');
        expect(error.message).toContain('non-empty string');
      }
      expect(readdirSync(base)).toEqual([]);
      // A one-character relative path is a directory like any other (only the empty string is refused).
      const store = await openStore('s', { fsync: false });
      expect(store.path).toBe(join(base, 's'));
      await store.close();
    } finally {
      process.chdir(cwd);
    }
  });

  it('openStoreSync refuses an empty or non-string directory with EBADNAME', async () => {
    const base = await tempDir();
    const cwd = process.cwd();
    process.chdir(base);
    try {
      for (const dir of ['', 42, undefined]) {
        const error = await caught(() => openStoreSync(dir as never));
        expect(error.code).toBe('EBADNAME');
        expect(error.message).toContain('non-empty string');
      }
      expect(openStoreSync('s')).toBeUndefined(); // not there: undefined, not EBADNAME
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('the mutator argument', () => {
  it('update and updateMany refuse a non-function before queueing: no wait behind a busy key', async () => {
    const { store } = await freshStore();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const busy = store.updateMany(async () => {
      await gate;
    });
    for (const call of [() => store.update('k', 'x' as never, { timeoutMs: 50 }), () => store.updateMany(42 as never, { timeoutMs: 50 })]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain('must be a function');
    }
    open();
    await busy;
    await store.close();
  });
});

describe('what an entry must be', () => {
  class Entry {
    n = 1;
  }
  const notPlain: Array<[string, unknown]> = [
    ['null', null],
    ['a number', 5],
    ['a string', 'text'],
    ['an array', [1, 2]],
    ['a class instance', new Entry()],
    ['a Date', new Date(0)],
  ];

  it.each(notPlain)('update refuses %s with a TypeError naming the key; nothing written', async (_, value) => {
    const { dir, store } = await freshStore();
    const error = await caught(store.update('k', () => value as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('"k" must be a plain JSON object');
    expect(existsSync(join(dir, entryFileName('k')))).toBe(false);
    await store.close();
  });

  it('commit refuses an undefined decision (neither an entry nor DELETE) with the same TypeError', async () => {
    const { dir, store } = await freshStore();
    const error = await caught(store.commit(['k'], () => new Map([['k', undefined as never]])));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('"k" must be a plain JSON object');
    expect(existsSync(join(dir, entryFileName('k')))).toBe(false);
    await store.close();
  });

  it('a null-prototype object is a plain entry', async () => {
    const { store } = await freshStore();
    const entry = Object.assign(Object.create(null) as StoreEntry, { n: 1 });
    expect(await store.update('k', () => entry)).toEqual({ n: 1 });
    expect(await store.get('k')).toEqual({ n: 1 });
    await store.close();
  });

  it('normalizeEntry returning something that is not a plain object is refused with that TypeError', async () => {
    const { dir, store } = await freshStore({ normalizeEntry: () => [1] as never });
    const error = await caught(store.update('k', () => ({ n: 1 })));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('"k" must be a plain JSON object');
    expect(existsSync(join(dir, entryFileName('k')))).toBe(false);
    await store.close();
  });

  it('transformEntry returning something that is not a plain object is refused on load: "transformEntry must return a plain object"', async () => {
    const dir = join(await tempDir(), 'store');
    const plain = await openStore(dir, { fsync: false });
    await plain.update('k', () => ({ n: 1 }));
    await plain.close();
    const store = await openStore(dir, { fsync: false, transformEntry: () => [1] as never });
    const error = await caught(store.get('k'));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('transformEntry must return a plain object');
    await store.close();
  });
});
