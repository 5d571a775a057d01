import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir } from '../../src/index.js';
import { announceAllChanged, changeRecordFor } from '../../src/store/change-records.js';
import { editBehindTheStoresBack, twoStores } from './support.js';

describe('change records', () => {
  it('no file names, or names over 32 KiB in all, are "*"; names of exactly 32 KiB are listed', () => {
    expect(changeRecordFor([])).toBe('*');
    expect(changeRecordFor(['a.json', 'b.json'])).toBe('a.json/b.json');
    const exact = ['x'.repeat(16 * 1024 - 1), 'y'.repeat(16 * 1024)];
    expect(Buffer.byteLength(exact.join('/'))).toBe(32 * 1024);
    expect(changeRecordFor(exact)).toBe(exact.join('/'));
    expect(changeRecordFor([...exact.slice(0, 1), `${exact[1] as string}z`])).toBe('*');
  });

  it('announceAllChanged appends "*" for every reader', async () => {
    const { dir, reader } = await twoStores();
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    const handle = await openDir(dir);
    await announceAllChanged(handle, { warn: () => undefined });
    await handle.close();
    expect(readFileSync(join(dir, '.changes'), 'utf8').endsWith('\n*\n')).toBe(true);
    expect((await reader.loadAll())['b']).toEqual({ n: 99 });
  });
});
