import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryFileName } from '../../src/session-store/index.js';
import { open, storeIn, editBehindTheStoresBack, quarantined } from './support.js';

describe('entry files that cannot be read are quarantined, whichever method meets them', () => {
  it('get() of a key whose file is a symlink or a directory moves it to .quarantine and warns', async () => {
    const { dir, store, warnings } = await storeIn();
    symlinkSync('/etc/hostname', join(dir, entryFileName('link')));
    mkdirSync(join(dir, entryFileName('sub')));
    expect(await store.get('link')).toBeUndefined();
    expect(await store.get('sub')).toBeUndefined();
    expect(existsSync(join(dir, entryFileName('link')))).toBe(false);
    expect(existsSync(join(dir, entryFileName('sub')))).toBe(false);
    expect(quarantined(dir)).toHaveLength(2);
    expect(warnings.map((warning) => warning.message)).toEqual([
      `hardfs store: quarantined ${entryFileName('link')}`,
      `hardfs store: quarantined ${entryFileName('sub')}`,
    ]);
  });

  it('a file nested deeper than maxEntryDepth is quarantined (EDEPTH), by get() and by loadAll()', async () => {
    const { dir, store, warnings } = await storeIn({ maxEntryDepth: 3 });
    const deep = { a: { b: { c: { d: { e: { f: 1 } } } } } };
    editBehindTheStoresBack(dir, 'deep', deep, 1);
    expect(await store.get('deep')).toBeUndefined();
    expect(quarantined(dir)).toHaveLength(1);
    editBehindTheStoresBack(dir, 'deep2', deep, 1);
    expect(Object.keys(await store.loadAll())).toEqual([]);
    expect(quarantined(dir)).toHaveLength(2);
    expect(warnings).toHaveLength(2);
  });

  it('the quarantine warning names the file, where it went, and why', async () => {
    const { dir, store, warnings } = await storeIn();
    writeFileSync(join(dir, entryFileName('bad')), 'not json');
    expect(await store.get('bad')).toBeUndefined();
    const [moved] = quarantined(dir);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain(`quarantined ${entryFileName('bad')}`);
    expect(warnings[0]?.details).toEqual({
      file: join(dir, entryFileName('bad')),
      movedTo: join(dir, '.quarantine', moved as string),
      reason: expect.any(String) as unknown,
    });
    expect(String(warnings[0]?.details?.['reason']).length).toBeGreaterThan(0);
  });

  it('a directory found by a full load is quarantined as "not a regular file (directory)"', async () => {
    const { dir, store, warnings } = await storeIn();
    await store.update('a', () => ({ n: 1 }));
    mkdirSync(join(dir, entryFileName('sub')));
    const fresh = await open(join(dir, '..', 'sessions.json'), warnings);
    expect(Object.keys(await fresh.loadAll())).toEqual(['a']);
    expect(quarantined(dir)).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.details?.['reason']).toBe('EINSECURE: not a regular file (directory)');
  });
  it('a file over maxEntryBytes is refused by its size before it is read, by get() and by a full load', async () => {
    const { dir, path, warnings } = await storeIn();
    const big = { pad: 'x'.repeat(300) };
    editBehindTheStoresBack(dir, 'big', big, 1);
    const small = await open(path, warnings, { maxEntryBytes: 100 });
    expect(await small.get('big')).toBeUndefined();
    editBehindTheStoresBack(dir, 'big2', big, 1);
    const fresh = await open(path, warnings, { maxEntryBytes: 100 });
    expect(await fresh.loadAll()).toEqual({});
    expect(quarantined(dir)).toHaveLength(2);
    expect(warnings.map((warning) => String(warning.details?.['reason']))).toEqual([
      expect.stringMatching(/^ETOOBIG: file is \d+ bytes, over the 100-byte bound/) as unknown,
      expect.stringMatching(/^ETOOBIG: file is \d+ bytes, over the 100-byte bound/) as unknown,
    ]);
  });
});
