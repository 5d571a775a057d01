import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir } from '../../src/index.js';
import * as records from '../../src/store/change-records.js';
import { announceAllChanged, changeRecordFor, intentRecordFor, openStoreChangeLog, parseChangeRecord } from '../../src/store/change-records.js';
import { editBehindTheStoresBack, twoStores } from './support.js';
import { importFresh } from '../support/platform.js';
import { useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();
const MODULE = new URL('../../src/store/change-records.ts', import.meta.url);
const ID = '0123456789abcdef01234567';

describe('change records', () => {
  it('no file names, or names over 32 KiB in all, are "*"; names of exactly 32 KiB are listed', () => {
    expect(changeRecordFor([])).toBe('*');
    expect(changeRecordFor(['a.json', 'b.json'])).toBe('a.json/b.json');
    const exact = ['x'.repeat(16 * 1024 - 1), 'y'.repeat(16 * 1024)];
    expect(Buffer.byteLength(exact.join('/'))).toBe(32 * 1024);
    expect(changeRecordFor(exact)).toBe(exact.join('/'));
    expect(changeRecordFor([...exact.slice(0, 1), `${exact[1] as string}z`])).toBe('*');
  });

  it('the marker and the 32 KiB bound as the module loads them (a copy evaluated by this test)', async () => {
    const fresh = await importFresh<typeof records>(MODULE);
    for (const copy of [records, fresh]) {
      expect(copy.ALL_CHANGED).toBe('*');
      expect(copy.changeRecordFor([])).toBe('*');
      const exact = ['x'.repeat(16 * 1024 - 1), 'y'.repeat(16 * 1024)];
      expect(copy.changeRecordFor(exact)).toBe(exact.join('/'));
      expect(copy.changeRecordFor([...exact, 'z'])).toBe('*');
      expect(copy.parseChangeRecord('*')).toStrictEqual({ files: undefined, txn: undefined });
    }
  });

  it('a multi-key commit record of exactly 32 KiB is listed; one byte more says "@<id>/*"', () => {
    const prefix = `@${ID}/`.length;
    const exact = ['x'.repeat(16 * 1024 - prefix - 1), 'y'.repeat(16 * 1024)];
    expect(Buffer.byteLength(intentRecordFor(ID, exact))).toBe(32 * 1024);
    expect(intentRecordFor(ID, exact)).toBe(`@${ID}/${exact.join('/')}`);
    expect(intentRecordFor(ID, [exact[0] as string, `${exact[1] as string}z`])).toBe(`@${ID}/*`);
  });

  it('parses to exactly { files, txn }; "*" only alone after the id; anything else is garbage', () => {
    const table: Array<[string, { files: string[] | undefined; txn: string | undefined } | undefined]> = [
      ['*', { files: undefined, txn: undefined }],
      ['a.json', { files: ['a.json'], txn: undefined }],
      ['a.json/b.json', { files: ['a.json', 'b.json'], txn: undefined }],
      [`@${ID}/a.json`, { files: ['a.json'], txn: ID }],
      [`@${ID}/*`, { files: undefined, txn: ID }],
      [`@${ID}/*/a.json`, undefined],
      [`@${ID}/a.json/*`, undefined],
      [`@${ID}/*/*`, undefined],
      ['*/a.json', undefined],
      ['a.json/*', undefined],
      [`a.json/@${ID}`, undefined],
      [`@${ID.slice(1)}/a.json`, undefined],
      [`@@${ID}/a.json`, undefined],
      [`${ID}/a.json`, undefined],
      ['', undefined],
    ];
    for (const [record, parsed] of table) expect(parseChangeRecord(record), record).toStrictEqual(parsed);
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

describe('a change log under its old name (.stamp)', () => {
  const HEADER = /^hardfs-change-log 1 [0-9a-f]{32}\n/;

  it('is renamed to .changes (same file, one link) with a warning; with both present, .changes wins and .stamp stays', async () => {
    const base = await tempDir();
    const old = `hardfs-change-log 1 ${'ab'.repeat(16)}\nold.json\n`;
    writeFileSync(join(base, '.stamp'), old, { mode: 0o600 });
    const inode = statSync(join(base, '.stamp')).ino;
    const dir = await openDir(base);
    const warnings: string[] = [];
    const details: unknown[] = [];
    const log = await openStoreChangeLog(dir, {
      warn: (message, detail) => {
        warnings.push(message);
        details.push(detail);
      },
    });
    await log.append('a.json');
    await log.close();
    expect(existsSync(join(base, '.stamp'))).toBe(false);
    const renamed = statSync(join(base, '.changes'));
    expect([renamed.ino, renamed.nlink]).toEqual([inode, 1]);
    expect(readFileSync(join(base, '.changes'), 'utf8')).toBe(`${old}a.json\n`);
    expect(warnings).toEqual(['hardfs store: renamed the change log from .stamp to .changes']);
    expect(details).toEqual([{ file: join(base, '.changes') }]);

    writeFileSync(join(base, '.stamp'), old, { mode: 0o600 });
    const again = await openStoreChangeLog(dir, { warn: (message) => warnings.push(message) });
    await again.close();
    expect(readFileSync(join(base, '.stamp'), 'utf8')).toBe(old);
    expect(readFileSync(join(base, '.changes'), 'utf8')).toMatch(HEADER);
    expect(readFileSync(join(base, '.changes'), 'utf8')).toContain('a.json\n');
    expect(warnings).toHaveLength(1);
    await dir.close();
  });
});

describe('openers racing to migrate .stamp', () => {
  it('all open the one log: one renames it (one warning), the others find it renamed already', async () => {
    // Openers of one directory in one process run their lstat and rename calls on the thread
    // pool at once: a loser's rename meets ENOENT (the winner's rename came first), or its
    // lstat already sees .changes. Either way it opens the renamed log.
    for (let round = 0; round < 10; round += 1) {
      const base = await tempDir();
      const old = `hardfs-change-log 1 ${'ef'.repeat(16)}\nold.json\n`;
      writeFileSync(join(base, '.stamp'), old, { mode: 0o600 });
      const inode = statSync(join(base, '.stamp')).ino;
      const handles = await Promise.all(Array.from({ length: 6 }, () => openDir(base)));
      const warnings: string[] = [];
      const logs = await Promise.all(handles.map((dir) => openStoreChangeLog(dir, { warn: (message) => warnings.push(message) })));
      for (const log of logs) await log.close();
      for (const dir of handles) await dir.close();
      expect(warnings).toEqual(['hardfs store: renamed the change log from .stamp to .changes']);
      expect(existsSync(join(base, '.stamp'))).toBe(false);
      expect(statSync(join(base, '.changes')).ino).toBe(inode);
      expect(readFileSync(join(base, '.changes'), 'utf8')).toBe(old);
    }
  });
});

describe('what is at the change log names when a store opens its log', () => {
  const HEADER = /^hardfs-change-log 1 [0-9a-f]{32}\n/;

  it('a directory at .changes is moved to .quarantine whole, a fresh log is opened, and the warning names the file', async () => {
    const base = await tempDir();
    mkdirSync(join(base, '.changes'));
    writeFileSync(join(base, '.changes', 'kept'), 'inside');
    const dir = await openDir(base);
    const warnings: Array<{ message: string; details: unknown }> = [];
    const log = await openStoreChangeLog(dir, { warn: (message, details) => warnings.push({ message, details }) });
    await log.append('a.json');
    await log.close();
    await dir.close();
    expect(readFileSync(join(base, '.changes'), 'utf8')).toMatch(HEADER);
    const moved = readdirSync(join(base, '.quarantine'));
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatch(/^\.changes\.\d+\.\d+$/);
    expect(readFileSync(join(base, '.quarantine', moved[0] as string, 'kept'), 'utf8')).toBe('inside');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain('a directory was at its name');
    expect(warnings[0]?.details).toEqual({ file: join(base, '.changes') });
  });

  it('a .stamp that is not a regular file is left alone and never renamed; a fresh .changes is made', async () => {
    const base = await tempDir();
    mkdirSync(join(base, '.stamp'));
    const dir = await openDir(base);
    const warnings: string[] = [];
    const log = await openStoreChangeLog(dir, { warn: (message) => warnings.push(message) });
    await log.close();
    await dir.close();
    expect(lstatSync(join(base, '.stamp')).isDirectory()).toBe(true);
    expect(readFileSync(join(base, '.changes'), 'utf8')).toMatch(HEADER);
    expect(warnings).toEqual([]);
  });

  it('a .stamp file cannot be renamed over a directory at .changes: the directory is quarantined, .stamp is kept', async () => {
    const base = await tempDir();
    const old = `hardfs-change-log 1 ${'cd'.repeat(16)}\nold.json\n`;
    writeFileSync(join(base, '.stamp'), old, { mode: 0o600 });
    mkdirSync(join(base, '.changes'));
    writeFileSync(join(base, '.changes', 'x'), 'x');
    const dir = await openDir(base);
    const warnings: string[] = [];
    const log = await openStoreChangeLog(dir, { warn: (message) => warnings.push(message) });
    await log.close();
    await dir.close();
    expect(readFileSync(join(base, '.stamp'), 'utf8')).toBe(old);
    expect(statSync(join(base, '.changes')).isFile()).toBe(true);
    expect(readdirSync(join(base, '.quarantine'))).toHaveLength(1);
    expect(warnings).toEqual(['hardfs store: replaced the change log (a directory was at its name; moved to .quarantine)']);
  });
});
