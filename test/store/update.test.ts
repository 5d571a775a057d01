// update() and delete() of one key: what the mutator's answers mean (a new entry, undefined to
// keep the current one, DELETE), that nothing is written when nothing changes, and what each
// resolves to.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DELETE, openStore, type Store } from '../../src/store/index.js';
import { entryFileName } from '../../src/store/entry-record.js';
import { useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();
type Entry = { n: number };

async function freshStore(): Promise<{ dir: string; store: Store<Entry> }> {
  const dir = join(await tempDir(), 'store');
  return { dir, store: await openStore<Entry>(dir, { fsync: false }) };
}

/** The entry files and the change log's size: what a write changes. */
function onDisk(dir: string): { files: string[]; changes: number } {
  return { files: readdirSync(dir).filter((name) => !name.startsWith('.')).sort(), changes: statSync(join(dir, '.changes')).size };
}

describe('update of one key', () => {
  it('undefined for an absent key keeps it absent: resolves undefined, nothing written', async () => {
    const { dir, store } = await freshStore();
    await store.update('other', () => ({ n: 1 }));
    const before = onDisk(dir);
    let seen: unknown = 'not called';
    expect(await store.update('k', (current) => ((seen = current), undefined))).toBeUndefined();
    expect(seen).toBeUndefined();
    expect(onDisk(dir)).toEqual(before);
    expect(await store.has('k')).toBe(false);
    await store.close();
  });

  it('DELETE of an absent key writes nothing (no tombstone, no change record)', async () => {
    const { dir, store } = await freshStore();
    await store.update('other', () => ({ n: 1 }));
    const before = onDisk(dir);
    expect(await store.update('k', () => DELETE)).toBeUndefined();
    expect(onDisk(dir)).toEqual(before);
    await store.close();
  });

  it('DELETE of a stored key removes it and resolves undefined', async () => {
    const { dir, store } = await freshStore();
    await store.update('k', () => ({ n: 1 }));
    expect(await store.update('k', () => DELETE)).toBeUndefined();
    expect(await store.get('k')).toBeUndefined();
    expect(readdirSync(dir)).not.toContain(entryFileName('k'));
    await store.close();
  });

  it('undefined after changing the entry in place writes the change; returning an equal entry writes nothing', async () => {
    const { dir, store } = await freshStore();
    await store.update('k', () => ({ n: 1 }));
    expect(
      await store.update('k', (current) => {
        (current as Entry).n = 2;
        return undefined;
      }),
    ).toEqual({ n: 2 });
    expect(JSON.parse(readFileSync(join(dir, entryFileName('k')), 'utf8'))).toMatchObject({ rev: 2, entry: { n: 2 } });
    const before = onDisk(dir);
    expect(await store.update('k', () => ({ n: 2 }))).toEqual({ n: 2 });
    expect(onDisk(dir)).toEqual(before);
    expect(JSON.parse(readFileSync(join(dir, entryFileName('k')), 'utf8'))).toMatchObject({ rev: 2 });
    await store.close();
  });
});

describe('delete', () => {
  it('resolves to whether the key existed', async () => {
    const { store } = await freshStore();
    expect(await store.delete('k')).toBe(false);
    await store.update('k', () => ({ n: 1 }));
    expect(await store.delete('k')).toBe(true);
    expect(await store.delete('k')).toBe(false);
    expect(await store.has('k')).toBe(false);
    await store.close();
  });
});
