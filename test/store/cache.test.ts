import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChangeLog, openDir } from '../../src/index.js';
import { entryFileName } from '../../src/session-store/index.js';
import { editBehindTheStoresBack, twoStores, quarantined } from './support.js';

describe('which files a refresh re-reads', () => {
  it('a rotated change log makes a warm cache read every file again', async () => {
    const { dir, reader } = await twoStores();
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.rotate();
    await log.close();
    await handle.close();
    expect((await reader.loadAll())['b']).toEqual({ n: 99 });
  });

  it('a delete announces only the deleted file', async () => {
    const { dir, reader, writer } = await twoStores();
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    expect(await writer.delete('a')).toBe(true);
    const all = await reader.loadAll();
    expect(Object.keys(all).sort()).toEqual(['b', 'c']);
    expect(all['b']).toEqual({ n: 1 }); // not announced: not re-read
  });

  it('a quarantine announces only the quarantined file', async () => {
    const { dir, reader, writer } = await twoStores();
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    writeFileSync(join(dir, entryFileName('a')), 'garbage');
    expect(await writer.get('a')).toBeUndefined();
    const all = await reader.loadAll();
    expect(Object.keys(all).sort()).toEqual(['b', 'c']);
    expect(all['b']).toEqual({ n: 1 });
  });

  it('files in .locks that only resemble entry locks make nothing re-read, and never a non-entry file', async () => {
    const { dir, reader, writer, warnings } = await twoStores();
    // Five characters after the entry file name, like ".lock", but not ".lock".
    writeFileSync(join(dir, '.locks', `${entryFileName('b')}.LOCK`), 'x');
    writeFileSync(join(dir, '.locks', '.changes.lock'), 'x');
    writeFileSync(join(dir, '.locks', '.snapshot.lock'), 'x');
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    await writer.update('a', () => ({ n: 2 }));
    const all = await reader.loadAll();
    expect(all['a']).toEqual({ n: 2 });
    expect(all['b']).toEqual({ n: 1 });
    expect(quarantined(dir)).toEqual([]);
    expect(warnings).toEqual([]);
    expect(existsSync(join(dir, '.changes'))).toBe(true);
  });

  it('concurrent loadAll calls share one refresh even while a lock makes every refresh re-read a file', async () => {
    const { dir, reader } = await twoStores();
    writeFileSync(join(dir, '.locks', `${entryFileName('b')}.lock`), 'a commit under way');
    const all = await Promise.all([reader.loadAll(), reader.loadAll(), reader.loadAll()]);
    expect(all[1]).toBe(all[0]);
    expect(all[2]).toBe(all[0]);
  });

  it('a change record naming no entry file is reported with the change log path', async () => {
    const { dir, reader, warnings } = await twoStores();
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.append('not-an-entry');
    await log.close();
    await handle.close();
    await reader.loadAll();
    expect(warnings).toEqual([
      {
        message: expect.stringContaining('reloading every entry') as string,
        details: { file: join(dir, '.changes') },
      },
    ]);
  });
});
