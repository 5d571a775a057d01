// Migration of a legacy sessions.json into the sessions.d/ directory layout.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  entryFileName,
  migrateSessionStoreToDirectory,
  openSessionStore,
  type MigrationOptions,
  type SessionEntry,
} from '../../src/session-store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const quiet = { warn: (): void => undefined };
const tempDir = useTempDirs();

async function legacyIn(content: string | Buffer) {
  const base = await tempDir();
  const path = join(base, 'sessions.json');
  writeFileSync(path, content, { mode: 0o600 });
  return { base, path, dir: join(base, 'sessions.d') };
}

function backups(base: string): string[] {
  return readdirSync(base).filter((name) => name.startsWith('sessions.json.bak.'));
}

function entryFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
}

function recordIn(dir: string, key: string): { v: number; key: string; rev: number; entry: SessionEntry } {
  return JSON.parse(readFileSync(join(dir, entryFileName(key)), 'utf8')) as { v: number; key: string; rev: number; entry: SessionEntry };
}

function migrate(path: string, options: MigrationOptions = {}) {
  return migrateSessionStoreToDirectory(path, { logger: quiet, ...options });
}

const HOSTILE_KEYS = ['a/b', 'a\\b', '..', '.', '.hidden', 'x\0y', 'con', 'nul.txt', '%41', '~', '~1', 'ünï', '😀', 'k'.repeat(1000), 'é'.repeat(600)];

describe('a fresh migration', () => {
  it('stages every entry, renames the staging dir into place, then keeps a byte-identical backup', async () => {
    const legacyObject: Record<string, SessionEntry> = {
      'agent:main:main': { updatedAt: 1, model: 'x', nested: { deep: [1, { two: 2 }] } },
      'agent:ops:s1': { updatedAt: 2 },
      plain: { note: 'no updatedAt' },
    };
    const legacy = Buffer.from(`${JSON.stringify(legacyObject, null, 2)}\n`, 'utf8');
    const { base, path, dir } = await legacyIn(legacy);
    const seen: Array<{ done: number; total: number; staging: boolean; final: boolean; legacy: boolean }> = [];
    const result = await migrate(path, {
      onProgress: (done, total) =>
        seen.push({ done, total, staging: existsSync(join(base, 'sessions.d.migrating')), final: existsSync(dir), legacy: existsSync(path) }),
    });
    expect(result).toEqual({ migrated: true, entries: 3, skipped: [], backupPath: expect.stringMatching(/\/sessions\.json\.bak\.[0-9TZ.-]+$/), mode: 'fresh' });
    // While entries were written they went into the staging dir; sessions.d did not exist yet.
    expect(seen).toEqual([1, 2, 3].map((done) => ({ done, total: 3, staging: true, final: false, legacy: true })));
    expect(existsSync(path)).toBe(false);
    expect(existsSync(join(base, 'sessions.d.migrating'))).toBe(false);
    expect(backups(base)).toEqual([(result.backupPath as string).split('/').pop()]);
    expect(readFileSync(result.backupPath as string).equals(legacy)).toBe(true);
    expect(statSync(dir).mode & 0o7777).toBe(0o700);
    expect(existsSync(join(dir, '.stamp'))).toBe(true);
    expect(existsSync(join(dir, '.locks'))).toBe(true);
    expect(entryFiles(dir)).toEqual(Object.keys(legacyObject).map(entryFileName).sort());
    for (const [key, entry] of Object.entries(legacyObject)) {
      expect(recordIn(dir, key)).toEqual({ v: 1, key, rev: 1, entry });
      expect(statSync(join(dir, entryFileName(key))).mode & 0o7777).toBe(0o600);
    }
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual(legacyObject);
    await store.close();
  });

  it('keeps 1,000-character and hostile keys exactly (identity normalization) and normalized (default)', async () => {
    const legacyObject = Object.fromEntries(HOSTILE_KEYS.map((key, i) => [key, { updatedAt: i, key }]));
    const exact = await legacyIn(JSON.stringify(legacyObject));
    const result = await migrate(exact.path, { normalizeKey: (key) => key });
    expect(result.entries).toBe(HOSTILE_KEYS.length);
    expect(result.skipped).toEqual([]);
    const store = await openSessionStore(exact.path, { logger: quiet, fsync: false, normalizeKey: (key) => key });
    const all = await store.loadAll();
    expect(Object.keys(all).sort()).toEqual([...HOSTILE_KEYS].sort());
    for (const key of HOSTILE_KEYS) {
      expect(all[key]).toEqual(legacyObject[key]);
      expect(await store.get(key)).toEqual(legacyObject[key]);
    }
    await store.close();
    for (const name of entryFiles(exact.dir)) expect(name.length).toBeLessThanOrEqual(255);

    const upper = Object.fromEntries(HOSTILE_KEYS.map((key, i) => [` ${key.toUpperCase()} `, { updatedAt: i }]));
    const normalized = await legacyIn(JSON.stringify(upper));
    expect((await migrate(normalized.path)).entries).toBe(HOSTILE_KEYS.length);
    const lower = await openSessionStore(normalized.path, { logger: quiet, fsync: false });
    for (const [i, key] of HOSTILE_KEYS.entries()) expect(await lower.get(key)).toEqual({ updatedAt: i });
    await lower.close();
  });

  it('calls onProgress once per entry with (done, total)', async () => {
    const { path } = await legacyIn(JSON.stringify(Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`s${i}`, { updatedAt: i }]))));
    const calls: Array<[number, number]> = [];
    await migrate(path, { onProgress: (done, total) => calls.push([done, total]) });
    expect(calls).toEqual(Array.from({ length: 25 }, (_, i) => [i + 1, 25]));
  });

  it('openSessionStore migrates automatically; migrateOnOpen: false leaves the legacy file alone', async () => {
    const content = JSON.stringify({ a: { updatedAt: 1 }, B: { updatedAt: 2 } });
    const manual = await legacyIn(content);
    const untouched = await openSessionStore(manual.path, { logger: quiet, fsync: false, migrateOnOpen: false });
    expect(await untouched.loadAll()).toEqual({});
    await untouched.close();
    expect(readFileSync(manual.path, 'utf8')).toBe(content);

    const auto = await legacyIn(content);
    const store = await openSessionStore(auto.path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({ a: { updatedAt: 1 }, b: { updatedAt: 2 } });
    expect(existsSync(auto.path)).toBe(false);
    expect(backups(auto.base)).toHaveLength(1);
    expect(readFileSync(join(auto.base, backups(auto.base)[0] as string), 'utf8')).toBe(content);
    await store.close();
  });

  it('two migrations at once: exactly one migrates, the other finds nothing left to do', async () => {
    const content = JSON.stringify(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`s${i}`, { updatedAt: i }])));
    const { base, path } = await legacyIn(content);
    const results = await Promise.all([migrate(path), migrate(path), openSessionStore(path, { logger: quiet, fsync: false })]);
    const [first, second, store] = results;
    expect(first.migrated && second.migrated).toBe(false);
    expect(Object.keys(await store.loadAll())).toHaveLength(50);
    expect(backups(base)).toHaveLength(1);
    expect(readFileSync(join(base, backups(base)[0] as string), 'utf8')).toBe(content);
    await store.close();
  });
});

describe('what is not migrated is reported, never silently dropped', () => {
  it('case variants merge keeping the newest updatedAt; losers are reported and logged', async () => {
    const { path } = await legacyIn(
      JSON.stringify({
        Key: { updatedAt: 5, v: 'newest' },
        key: { updatedAt: 1, v: 'old' },
        KEY: { v: 'no updatedAt' },
        ' kEy ': { updatedAt: 3, v: 'middle' },
        other: { updatedAt: 1, v: 'alone' },
        OTHER2: { v: 'a' },
        other2: { updatedAt: 0, v: 'b' },
      }),
    );
    const warnings: Array<Record<string, unknown> | undefined> = [];
    const result = await migrateSessionStoreToDirectory(path, { logger: { warn: (_message, details) => warnings.push(details) } });
    expect(result.entries).toBe(3);
    const losers = result.skipped.map((skip) => skip.key).sort();
    expect(losers).toEqual([' kEy ', 'KEY', 'OTHER2', 'key'].sort());
    for (const skip of result.skipped) expect(skip.reason).toMatch(/older case variant/);
    expect(warnings.map((details) => details?.['key']).sort()).toEqual(losers);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({ key: { updatedAt: 5, v: 'newest' }, other: { updatedAt: 1, v: 'alone' }, other2: { updatedAt: 0, v: 'b' } });
    await store.close();
  });

  it('null entries, non-objects, bad updatedAt and keys that cannot be keys are skipped with a reason', async () => {
    const { path } = await legacyIn(
      '{"n":null,"s":"str","num":5,"arr":[1],"t":true,"badAt":{"updatedAt":"x"},"nullAt":{"updatedAt":null},' +
        '"   ":{"updatedAt":1},"\\ud800":{"updatedAt":1},"Prototype":{"updatedAt":1},"ok":{"updatedAt":2}}',
    );
    const warnings: string[] = [];
    const result = await migrateSessionStoreToDirectory(path, { logger: { warn: (message) => warnings.push(message) } });
    expect(result.migrated).toBe(true);
    expect(result.entries).toBe(1);
    const reasons = Object.fromEntries(result.skipped.map((skip) => [skip.key, skip.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['   ', '\ud800', 'Prototype', 'arr', 'badAt', 'n', 'nullAt', 'num', 's', 't'].sort());
    expect(reasons['n']).toBe('null entry');
    for (const key of ['s', 'num', 'arr', 't']) expect(reasons[key]).toMatch(/not a JSON object/);
    for (const key of ['badAt', 'nullAt']) expect(reasons[key]).toMatch(/updatedAt/);
    for (const key of ['   ', '\ud800', 'Prototype']) expect(reasons[key]).toMatch(/invalid key/);
    expect(warnings).toHaveLength(result.skipped.length);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({ ok: { updatedAt: 2 } });
    await store.close();
  });

  // Regression, fixed (was a bug in src/session-store/migration.ts, planMigration): the legacy file is parsed with
  // parseJsonSafe, which drops blocked keys, so legacy entries stored under exactly "__proto__" or
  // "constructor" vanish without a `skipped` record or a warning — while "Prototype" (blocked
  // only after normalization) is reported. DESIGN.md: "every failure is an error or a logged warning".
  it('legacy entries under blocked keys are reported in skipped, not dropped silently', async () => {
    const { path } = await legacyIn('{"__proto__":{"updatedAt":1},"constructor":{"updatedAt":2},"ok":{"updatedAt":3}}');
    const warnings: string[] = [];
    const result = await migrateSessionStoreToDirectory(path, { logger: { warn: (message) => warnings.push(message) } });
    expect(result.entries).toBe(1);
    expect(result.skipped.map((skip) => skip.key).sort()).toEqual(['__proto__', 'constructor']);
    expect(warnings).toHaveLength(2);
  });

  it('legacy blocked keys, at any depth, never pollute a prototype', async () => {
    const { path } = await legacyIn('{"__proto__":{"polluted":1},"a":{"updatedAt":1,"__proto__":{"polluted":2},"constructor":{"prototype":{"polluted":3}},"ok":1}}');
    await migrate(path);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    const all = await store.loadAll();
    expect(Object.keys(all)).toEqual(['a']);
    expect((all['a'] as SessionEntry)['ok']).toBe(1);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    await store.close();
  });

  it('an all-null or empty legacy store is not migrated: legacy untouched, no entry created, a warning when entries were skipped', async () => {
    for (const content of ['{"a":null,"b":null}', '{}', '{"a":[],"B":"x","c":{"updatedAt":"bad"}}']) {
      const { base, path, dir } = await legacyIn(content);
      const before = statSync(path);
      const warnings: string[] = [];
      const logger = { warn: (message: string) => warnings.push(message) };
      const result = await migrateSessionStoreToDirectory(path, { logger });
      expect(result.migrated).toBe(false);
      expect(result.entries).toBe(0);
      expect(result.reason).toMatch(/no valid entry/);
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(statSync(path).ino).toBe(before.ino);
      expect(statSync(path).mtimeMs).toBe(before.mtimeMs);
      expect(readdirSync(base)).toEqual(['sessions.json']);
      expect(warnings.length).toBe(content === '{}' ? 0 : 1);

      // Opening the store keeps it so: an empty directory, the legacy file still there.
      const store = await openSessionStore(path, { logger, fsync: false });
      expect(await store.loadAll()).toEqual({});
      await store.close();
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(entryFiles(dir)).toEqual([]);
      expect(backups(base)).toEqual([]);
    }
  });
});

describe('refusals leave the legacy file untouched', () => {
  it('unparseable legacy JSON is ECORRUPT, the file stays byte-identical, and opening refuses too', async () => {
    const deep = `{"a":${'['.repeat(400)}${']'.repeat(400)}}`;
    for (const content of ['{"a": {', '[1,2]', '"str"', 'null', '', '{"a":1,}', '\u0000', deep]) {
      const { base, path } = await legacyIn(content);
      const error = await caught(migrate(path));
      expect(error.code).toBe('ECORRUPT');
      expect(error.path).toBe(path);
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(readdirSync(base)).toEqual(['sessions.json']);
      expect((await caught(openSessionStore(path, { logger: quiet }))).code).toBe('ECORRUPT');
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(existsSync(join(base, 'sessions.d'))).toBe(false);
    }
  });

  it('a legacy file over maxLegacyBytes is ETOOBIG and untouched', async () => {
    const content = JSON.stringify({ a: { updatedAt: 1, pad: 'x'.repeat(2000) } });
    const { base, path } = await legacyIn(content);
    expect((await caught(migrate(path, { maxLegacyBytes: 1000 }))).code).toBe('ETOOBIG');
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(readdirSync(base)).toEqual(['sessions.json']);
  });

  it('a store directory that is a file is ENOTDIR; a symlinked legacy file is ESYMLINK', async () => {
    const { base, path } = await legacyIn('{"a":{"updatedAt":1}}');
    writeFileSync(join(base, 'sessions.d'), 'not a dir');
    expect((await caught(migrate(path))).code).toBe('ENOTDIR');
    expect(readFileSync(path, 'utf8')).toBe('{"a":{"updatedAt":1}}');
    expect(readFileSync(join(base, 'sessions.d'), 'utf8')).toBe('not a dir');

    const other = await tempDir();
    symlinkSync(path, join(other, 'sessions.json'));
    expect((await caught(migrate(join(other, 'sessions.json')))).code).toBe('ESYMLINK');
    expect(readdirSync(other)).toEqual(['sessions.json']);
    expect(readFileSync(path, 'utf8')).toBe('{"a":{"updatedAt":1}}');
  });

  it('a corrupt entry file where the merge would write is a loud error; nothing is overwritten', async () => {
    const { path, dir } = await legacyIn('{"a":{"updatedAt":9},"b":{"updatedAt":1}}');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, entryFileName('a')), 'garbage');
    expect((await caught(migrate(path))).code).toBe('ECORRUPT');
    expect(readFileSync(join(dir, entryFileName('a')), 'utf8')).toBe('garbage');
    expect(readFileSync(path, 'utf8')).toBe('{"a":{"updatedAt":9},"b":{"updatedAt":1}}');
  });
});

describe('merging into an existing directory', () => {
  it('never overwrites an entry at least as new; takes strictly newer ones; adds missing ones', async () => {
    const content = JSON.stringify({
      keep: { updatedAt: 1, v: 'legacy' },
      tie: { updatedAt: 5, v: 'legacy' },
      same: { updatedAt: 5, v: 'same' },
      take: { updatedAt: 9, v: 'legacy' },
      undated: { v: 'legacy' },
      fresh: { updatedAt: 1 },
    });
    const { base, path, dir } = await legacyIn(content);
    const store = await openSessionStore(path, { migrateOnOpen: false, fsync: false, logger: quiet });
    await store.update('keep', () => ({ updatedAt: 5, v: 'dir' }));
    await store.update('tie', () => ({ updatedAt: 5, v: 'dir' }));
    await store.update('same', () => ({ updatedAt: 5, v: 'same' }));
    await store.update('take', () => ({ updatedAt: 2, v: 'dir' }));
    await store.update('take', () => ({ updatedAt: 3, v: 'dir' }));
    await store.update('undated', () => ({ v: 'dir' }));
    await store.update('dironly', () => ({ updatedAt: 1 }));
    const progress: number[] = [];
    const result = await migrate(path, { onProgress: (done) => progress.push(done) });
    expect(result.mode).toBe('merge');
    expect(result.migrated).toBe(true);
    expect(result.entries).toBe(2);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.skipped.map((skip) => skip.key).sort()).toEqual(['keep', 'tie', 'undated']);
    for (const skip of result.skipped) expect(skip.reason).toMatch(/at least as new/);
    expect(await store.loadAll()).toEqual({
      keep: { updatedAt: 5, v: 'dir' },
      tie: { updatedAt: 5, v: 'dir' },
      same: { updatedAt: 5, v: 'same' },
      take: { updatedAt: 9, v: 'legacy' },
      undated: { v: 'dir' },
      fresh: { updatedAt: 1 },
      dironly: { updatedAt: 1 },
    });
    expect(recordIn(dir, 'take').rev).toBe(3); // the directory's rev moves on
    expect(existsSync(path)).toBe(false);
    expect(readFileSync(join(base, backups(base)[0] as string), 'utf8')).toBe(content);
    await store.close();
  });

  it('is idempotent: a second run finds nothing; a re-run on the restored legacy file changes no entry', async () => {
    const content = JSON.stringify(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`s${i}`, { updatedAt: i, i }])));
    const { base, path, dir } = await legacyIn(content);
    expect((await migrate(path)).mode).toBe('fresh');
    const inodes = entryFiles(dir).map((name) => statSync(join(dir, name)).ino);
    const again = await migrate(path);
    expect(again).toEqual({ migrated: false, entries: 0, skipped: [], reason: 'no legacy store file' });

    // The state a crash between "rename into place" and "back up the legacy file" leaves.
    writeFileSync(path, content);
    const rerun = await migrate(path);
    expect(rerun).toMatchObject({ migrated: true, entries: 0, skipped: [], mode: 'merge' });
    expect(entryFiles(dir).map((name) => statSync(join(dir, name)).ino)).toEqual(inodes);
    expect(backups(base)).toHaveLength(2);
    for (const name of backups(base)) expect(readFileSync(join(base, name), 'utf8')).toBe(content);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(Object.keys(await store.loadAll())).toHaveLength(20);
    await store.close();
  });
});

describe('leftovers of an interrupted migration', () => {
  it('a staging dir beside the legacy file is discarded (never followed) and the migration completes', async () => {
    const content = JSON.stringify({ a: { updatedAt: 1 }, b: { updatedAt: 2 } });
    const { base, path } = await legacyIn(content);
    const outside = await tempDir();
    writeFileSync(join(outside, 'precious'), 'keep me');
    const staging = join(base, 'sessions.d.migrating');
    mkdirSync(join(staging, '.locks'), { recursive: true, mode: 0o700 });
    writeFileSync(join(staging, 'half.json'), '{');
    writeFileSync(join(staging, entryFileName('a')), JSON.stringify({ v: 1, key: 'a', rev: 1, entry: { updatedAt: 0, stale: true } }));
    symlinkSync(outside, join(staging, 'link'));
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({ a: { updatedAt: 1 }, b: { updatedAt: 2 } });
    expect(existsSync(staging)).toBe(false);
    expect(readdirSync(outside)).toEqual(['precious']);
    expect(readFileSync(join(outside, 'precious'), 'utf8')).toBe('keep me');
    expect(backups(base)).toHaveLength(1);
    await store.close();
  });

  it('a staging dir without a legacy file is removed on open, with a warning', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'sessions.d.migrating'));
    writeFileSync(join(base, 'sessions.d.migrating', 'x.json'), '{}');
    const warnings: string[] = [];
    const store = await openSessionStore(join(base, 'sessions.json'), { logger: { warn: (message) => warnings.push(message) } });
    expect(existsSync(join(base, 'sessions.d.migrating'))).toBe(false);
    expect(warnings.some((message) => message.includes('staging'))).toBe(true);
    expect(await store.loadAll()).toEqual({});
    await store.close();
  });
});

describe('dryRun', () => {
  it('plans and reports, writing nothing (fresh)', async () => {
    const content = JSON.stringify({ a: { updatedAt: 1 }, A: { updatedAt: 0 }, b: null });
    const { base, path } = await legacyIn(content);
    const before = statSync(path);
    const progress: number[] = [];
    const result = await migrate(path, { dryRun: true, onProgress: (done) => progress.push(done) });
    expect(result).toEqual({ migrated: false, entries: 1, skipped: expect.any(Array), reason: 'dry run', mode: 'fresh' });
    expect(result.skipped.map((skip) => skip.key).sort()).toEqual(['A', 'b']);
    expect(progress).toEqual([]);
    expect(readdirSync(base)).toEqual(['sessions.json']);
    expect(statSync(path).ino).toBe(before.ino);
    expect(readFileSync(path, 'utf8')).toBe(content);
  });

  it('plans a merge into an existing directory without touching it', async () => {
    const { base, path, dir } = await legacyIn(JSON.stringify({ a: { updatedAt: 9 }, b: { updatedAt: 1 } }));
    const store = await openSessionStore(path, { migrateOnOpen: false, fsync: false, logger: quiet });
    await store.update('a', () => ({ updatedAt: 1 }));
    await store.close();
    const listing = readdirSync(dir).sort();
    const file = statSync(join(dir, entryFileName('a')));
    const result = await migrate(path, { dryRun: true });
    expect(result).toMatchObject({ migrated: false, reason: 'dry run', mode: 'merge' });
    expect(readdirSync(dir).sort()).toEqual(listing);
    expect(statSync(join(dir, entryFileName('a'))).ino).toBe(file.ino);
    expect(recordIn(dir, 'a').entry).toEqual({ updatedAt: 1 });
    expect(readdirSync(base).sort()).toEqual(['sessions.d', 'sessions.json']);
  });
});
