// Reading and planning the legacy sessions.json: what is migrated, what is reported, what is
// refused. Nothing in the file goes unaccounted for.
import { execFileSync } from 'node:child_process';
import { existsSync, lchownSync, linkSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateSessionStoreToDirectory, openSessionStore, readLegacySessionsSync, type SessionEntry } from '../../../src/session-store/index.js';
import { caught } from '../../support/tmp.js';
import { backups, entryFiles, legacyStores, migrate, quiet, recordingLogger } from './support.js';

const { legacyIn, tempDir } = legacyStores();
/** An owner that is neither us nor root (only lchown'd to: no process runs as it). */
const FOREIGN_UID = 4_000_123;

describe('what a crashed non-fsyncing writer leaves', () => {
  it('a 0-byte, whitespace-only or [] sessions.json opens an empty store, is left untouched, and is warned about', async () => {
    for (const content of ['', '  \n', '[]', ' [ ]\n']) {
      const { base, path } = await legacyIn(content);
      const before = statSync(path);
      const { warnings, logger } = recordingLogger();
      const store = await openSessionStore(path, { logger, fsync: false });
      expect(await store.loadAll()).toEqual({});
      await store.update('new', () => ({ updatedAt: 1 }));
      await store.close();
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(statSync(path).ino).toBe(before.ino);
      expect(backups(base)).toEqual([]);
      const warning = warnings.find((w) => w.details?.['file'] === path);
      expect(warning?.message).toMatch(/legacy store (is empty|holds only whitespace|is an empty JSON array)/);
      const result = await migrate(path);
      expect(result).toMatchObject({ migrated: false, entries: 0 });
      expect(result.reason).toMatch(/left untouched$/);
    }
  });
});

describe('entries whose updatedAt is missing, null or not a number', () => {
  it('are migrated with their data kept', async () => {
    const legacy = { nullAt: { updatedAt: null, v: 1 }, strAt: { updatedAt: 'x', v: 2 }, objAt: { updatedAt: {}, v: 3 }, none: { v: 4 } };
    const { path, dir } = await legacyIn(JSON.stringify(legacy));
    const result = await migrate(path);
    expect(result).toMatchObject({ migrated: true, entries: 4, skipped: [] });
    expect(entryFiles(dir)).toHaveLength(4);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.get('nullat')).toEqual({ updatedAt: null, v: 1 });
    expect(await store.get('strat')).toEqual({ updatedAt: 'x', v: 2 });
    expect(await store.getUpdatedAt('nullat')).toBeUndefined();
    await store.close();
  });

  it('can be updated afterwards keeping the field as it is; only a numeric updatedAt that is not finite is refused', async () => {
    const { path } = await legacyIn(JSON.stringify({ nullAt: { updatedAt: null, v: 1 }, strAt: { updatedAt: 'x', v: 2 } }));
    await migrate(path);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    await store.update('nullat', (current) => ({ ...current, v: 10 }));
    await store.update('strat', (current) => ({ ...current, v: 20 }));
    await store.updateMany((record) => {
      record['nullat'] = { ...record['nullat'], w: 1 };
    });
    expect(await store.get('nullat')).toEqual({ updatedAt: null, v: 10, w: 1 });
    expect(await store.get('strat')).toEqual({ updatedAt: 'x', v: 20 });
    expect(await store.getUpdatedAt('nullat')).toBeUndefined();
    const refused = await caught(store.update('nullat', (current) => ({ ...current, updatedAt: Number.NaN })));
    expect(refused).toBeInstanceOf(TypeError);
    expect(refused.message).toContain('must be a finite number when it is a number');
    expect(await store.get('nullat')).toEqual({ updatedAt: null, v: 10, w: 1 });
    await store.close();
  });

  it('count as absent (oldest) when case variants are merged', async () => {
    const { path } = await legacyIn(
      JSON.stringify({ K: { updatedAt: null, v: 'null' }, k: { updatedAt: 0, v: 'zero' }, J: { updatedAt: 'late', v: 'str' }, j: { v: 'none' } }),
    );
    const result = await migrate(path);
    expect(result.skipped).toEqual([
      { key: 'K', reason: 'older case variant of "k"' },
      { key: 'j', reason: 'older case variant of "j"' },
    ]);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({ k: { updatedAt: 0, v: 'zero' }, j: { updatedAt: 'late', v: 'str' } });
    await store.close();
  });

  it('a number that overflows to Infinity refuses the whole file (ECORRUPT, untouched): no JSON writer produces one', async () => {
    // Refused as a whole rather than per entry: a file no writer could have left is not trusted to say which entries are whole.
    for (const content of ['{"big":{"updatedAt":1e999},"ok":{"updatedAt":1}}', '{"ok":{"updatedAt":1},"deep":{"n":[{"x":-1e999}]}}']) {
      const { base, path } = await legacyIn(content);
      const error = await caught(migrate(path));
      expect(error.code).toBe('ECORRUPT');
      expect(error.path).toBe(path);
      expect(error.message).toMatch(/out of the finite range at byte \d+ \(line 1, column \d+\)/); // where, never what
      expect(error.message).toContain('left untouched'); // the reassurance is the contract: nothing was changed
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(readdirSync(base)).toEqual(['sessions.json']);
      expect((await caught(openSessionStore(path, { logger: quiet, fsync: false }))).code).toBe('ECORRUPT');
    }
  });
});

describe('blocked object keys', () => {
  it('legacy entries under a blocked key are reported in skipped, not dropped silently', async () => {
    const { path } = await legacyIn('{"__proto__":{"updatedAt":1},"constructor":{"updatedAt":2},"ok":{"updatedAt":3}}');
    const { warnings, logger } = recordingLogger();
    const result = await migrateSessionStoreToDirectory(path, { logger, fsync: false });
    expect(result.entries).toBe(1);
    expect(result.skipped).toEqual([
      { key: '__proto__', reason: 'blocked object key' },
      { key: 'constructor', reason: 'blocked object key' },
    ]);
    expect(warnings.map((w) => w.details?.['key'])).toEqual(['__proto__', 'constructor']);
  });

  it('an entry holding a blocked key at any depth is refused and reported with the key path, not migrated without it', async () => {
    const { path } = await legacyIn(
      '{"a":{"updatedAt":1,"n":{"deep":[{"x":1},{"constructor":{"p":1}}]}},"b":{"__proto__":{"x":1}},"c":{"prototype":1},"ok":{"updatedAt":2}}',
    );
    const result = await migrate(path);
    expect(result.entries).toBe(1);
    expect(result.skipped).toEqual([
      { key: 'a', reason: 'holds a blocked object key at .n.deep[1].constructor' },
      { key: 'b', reason: 'holds a blocked object key at .__proto__' },
      { key: 'c', reason: 'holds a blocked object key at .prototype' },
    ]);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({ ok: { updatedAt: 2 } });
    await store.close();
    // The refused entries are still in the byte-identical backup.
    expect(readFileSync(result.backupPath as string, 'utf8')).toContain('"constructor":{"p":1}');
  });

  it('legacy blocked keys, at any depth, never pollute a prototype', async () => {
    const { path } = await legacyIn('{"__proto__":{"polluted":1},"a":{"updatedAt":1,"__proto__":{"polluted":2}},"b":{"ok":1}}');
    await migrate(path);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    const all = await store.loadAll();
    expect(Object.keys(all)).toEqual(['b']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    await store.close();
  });
});

describe('entries that cannot be migrated', () => {
  it('null entries, non-objects and keys that cannot be keys are skipped with a reason and a warning each', async () => {
    const { path } = await legacyIn(
      '{"n":null,"s":"str","num":5,"arr":[1],"t":true,"   ":{"updatedAt":1},"\\ud800":{"updatedAt":1},"Prototype":{"updatedAt":1},"ok":{"updatedAt":2}}',
    );
    const { warnings, logger } = recordingLogger();
    const result = await migrateSessionStoreToDirectory(path, { logger, fsync: false });
    expect(result).toMatchObject({ migrated: true, entries: 1 });
    const reasons = Object.fromEntries(result.skipped.map((skip) => [skip.key, skip.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['   ', '\ud800', 'Prototype', 'arr', 'n', 'num', 's', 't'].sort());
    expect(reasons['n']).toBe('null entry');
    for (const key of ['s', 'num', 'arr', 't']) expect(reasons[key]).toBe('entry is not a JSON object');
    for (const key of ['   ', '\ud800', 'Prototype']) expect(reasons[key]).toMatch(/^invalid key: /);
    expect(warnings).toEqual(
      result.skipped.map((skip) => ({ message: expect.stringContaining('legacy entry not migrated') as string, details: { file: path, ...skip } })),
    );
  });

  it('an all-null or {} legacy store is not migrated: file untouched, no entry, one warning with the count when entries were skipped', async () => {
    for (const content of ['{"a":null,"b":null}', '{}', '{"a":[],"B":"x"}']) {
      const { base, path, dir } = await legacyIn(content);
      const before = statSync(path);
      const { warnings, logger } = recordingLogger();
      const result = await migrateSessionStoreToDirectory(path, { logger, fsync: false });
      expect(result).toMatchObject({ migrated: false, entries: 0, reason: expect.stringContaining('no valid entry') as string });
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(statSync(path).ino).toBe(before.ino);
      expect(readdirSync(base)).toEqual(['sessions.json']);
      expect(warnings).toEqual(
        content === '{}'
          ? []
          : [{ message: expect.stringContaining('no valid entry') as string, details: { file: path, skipped: 2 } }],
      );
      const store = await openSessionStore(path, { logger: quiet, fsync: false });
      expect(await store.loadAll()).toEqual({});
      await store.close();
      expect(entryFiles(dir)).toEqual([]);
    }
  });
});

describe('refusals leave the legacy file untouched', () => {
  it('unparseable JSON or a non-object is ECORRUPT with the path; the file stays byte-identical and opening refuses too', async () => {
    const deep = `{"a":${'['.repeat(400)}${']'.repeat(400)}}`;
    for (const content of ['{"a": {', '[1,2]', '"str"', 'null', '{"a":1,}', '\u0000', deep]) {
      const { base, path } = await legacyIn(content);
      const error = await caught(migrate(path));
      expect(error.code).toBe('ECORRUPT');
      expect(error.path).toBe(path);
      expect(error.message).toMatch(/legacy store is not (valid JSON|a JSON object)/);
      expect(error.message).toContain('left untouched');
      expect(readdirSync(base)).toEqual(['sessions.json']);
      expect((await caught(openSessionStore(path, { logger: quiet }))).code).toBe('ECORRUPT');
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(existsSync(join(base, 'sessions.d'))).toBe(false);
    }
  });

  it('the parse error gives the position and never quotes the file', async () => {
    const { path } = await legacyIn('{"token":"sk-SECRET123", oops}');
    const error = await caught(migrate(path));
    expect(error.code).toBe('ECORRUPT');
    expect(error.message).toMatch(/not valid JSON .*at byte \d+ \(line 1, column \d+\)/);
    expect(error.message).not.toContain('SECRET');
    expect(error.message).not.toMatch(/ECORRUPT: .*ECORRUPT:/);
    expect((error.cause as { code?: string } | undefined)?.code).toBe('ECORRUPT');
  });

  it('a legacy file over maxLegacyBytes is ETOOBIG naming the option that raises the bound; untouched', async () => {
    const content = JSON.stringify({ a: { updatedAt: 1, pad: 'x'.repeat(2000) } });
    const { base, path } = await legacyIn(content);
    const error = await caught(migrate(path, { maxLegacyBytes: 1000 }));
    expect(error.code).toBe('ETOOBIG');
    expect(error.path).toBe(path);
    expect(error.message).toContain('maxLegacyBytes');
    expect(error.message).toContain('1000-byte bound');
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(readdirSync(base)).toEqual(['sessions.json']);
    expect(await migrate(path, { maxLegacyBytes: content.length })).toMatchObject({ migrated: true, entries: 1 });
  });

  it('reads legacy entries exactly as deep as maxEntryDepth allows', async () => {
    const entry = { updatedAt: 1, x: { y: { z: 1 } } };
    const { path } = await legacyIn(JSON.stringify({ a: entry }));
    expect(await migrate(path, { maxEntryDepth: 3 })).toMatchObject({ migrated: true, entries: 1, skipped: [] });
    const store = await openSessionStore(path, { logger: quiet, fsync: false, maxEntryDepth: 3 });
    expect(await store.get('a')).toEqual(entry);
    await store.close();
  });

  it('a symlinked legacy file of our own is ESYMLINK; a hard-linked one is left alone and reported', async () => {
    const { path } = await legacyIn('{"a":{"updatedAt":1}}');
    const other = await tempDir();
    symlinkSync(path, join(other, 'sessions.json'));
    const error = await caught(migrate(join(other, 'sessions.json')));
    expect(error.code).toBe('ESYMLINK');
    expect(readdirSync(other)).toEqual(['sessions.json']);

    const linked = await tempDir();
    linkSync(path, join(linked, 'sessions.json'));
    const result = await migrate(join(linked, 'sessions.json'));
    expect(result.migrated).toBe(false);
    expect(result.leftAlone).toEqual([{ path: join(linked, 'sessions.json'), reason: expect.stringContaining('hard-linked') as string }]);
    expect(readFileSync(path, 'utf8')).toBe('{"a":{"updatedAt":1}}');
  });

  it('a directory or FIFO of our own at sessions.json is EINSECURE, async and sync; one owned by another uid is left alone', async () => {
    for (const kind of ['directory', 'fifo'] as const) {
      const base = await tempDir();
      const path = join(base, 'sessions.json');
      if (kind === 'directory') mkdirSync(path);
      else execFileSync('mkfifo', [path]);
      const error = await caught(migrate(path));
      expect([kind, error.code, error.path]).toEqual([kind, 'EINSECURE', path]);
      const sync = await caught(() => readLegacySessionsSync(path, { logger: quiet }));
      expect([kind, sync.code, sync.path]).toEqual([kind, 'EINSECURE', path]);

      lchownSync(path, FOREIGN_UID, FOREIGN_UID);
      const result = await migrate(path);
      expect(result.migrated).toBe(false);
      expect(result.leftAlone).toEqual([{ path, reason: expect.stringContaining("not owned by the store's owner") as string, ownerUid: FOREIGN_UID }]);
      const read = readLegacySessionsSync(path, { logger: quiet });
      expect(read).toEqual({ kind: 'left-alone', leftAlone: { path, reason: expect.stringContaining('owner uid 4000123') as string, ownerUid: FOREIGN_UID } });
      expect(readdirSync(base)).toEqual(['sessions.json']);
    }
  });

  it('a symlink owned by another uid at sessions.json is left alone by the sync reader too; ours is ESYMLINK', async () => {
    const base = await tempDir();
    const path = join(base, 'sessions.json');
    symlinkSync('elsewhere.json', path);
    expect((await caught(() => readLegacySessionsSync(path, { logger: quiet }))).code).toBe('ESYMLINK');
    lchownSync(path, FOREIGN_UID, FOREIGN_UID);
    expect(readLegacySessionsSync(path, { logger: quiet })).toMatchObject({ kind: 'left-alone', leftAlone: { path, ownerUid: FOREIGN_UID } });
  });

  it('keeps every other JSON value of an entry exactly', async () => {
    const entry: SessionEntry = { updatedAt: 1, model: 'x', nested: { deep: [1, { two: 2 }], u: 'ünï 😀' }, n: null, f: 1.5 };
    const { path } = await legacyIn(`\uFEFF${JSON.stringify({ k: entry })}`);
    await migrate(path);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.get('k')).toEqual(entry);
    await store.close();
  });
});
