// Writing the planned entries: fresh (staged, fsynced, renamed into place in one step) or merged
// into an existing directory (never overwriting an entry at least as new).
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STAMP_FILE, entryFileName, openSessionStore, type SessionEntry } from '../../../src/session-store/index.js';
import { caught } from '../../support/tmp.js';
import { backups, entryFiles, legacyStores, migrate, quiet, recordIn } from './support.js';

const { legacyIn, tempDir } = legacyStores();
const HOSTILE_KEYS = ['a/b', 'a\\b', '..', '.', '.hidden', 'x\0y', 'con', 'nul.txt', '%41', '~', '~1', 'ünï', '😀', 'k'.repeat(1000), 'é'.repeat(600)];

function recordText(key: string, rev: number, entry: SessionEntry): string {
  return JSON.stringify({ v: 1, key, rev, entry });
}

describe('a fresh migration', () => {
  it('stages every entry, renames the staging dir into place, then keeps a byte-identical backup', async () => {
    const legacyObject: Record<string, SessionEntry> = {
      'agent:main:main': { updatedAt: 1, model: 'x', nested: { deep: [1, { two: 2 }] } },
      'agent:ops:s1': { updatedAt: 2 },
      plain: { note: 'no updatedAt' },
    };
    const legacy = Buffer.from(`${JSON.stringify(legacyObject, null, 2)}\n`, 'utf8');
    const { base, path, dir, staging } = await legacyIn(legacy);
    const seen: Array<{ done: number; total: number; staging: boolean; final: boolean; legacy: boolean }> = [];
    const phases: string[] = [];
    const result = await migrate(path, {
      onPhase: (phase) => phases.push(phase),
      onProgress: (done, total) => seen.push({ done, total, staging: existsSync(staging), final: existsSync(dir), legacy: existsSync(path) }),
    });
    expect(result).toEqual({
      migrated: true,
      entries: 3,
      skipped: [],
      backupPath: expect.stringMatching(/\/sessions\.json\.bak\.[0-9TZ.-]+$/) as string,
      mode: 'fresh',
      leftAlone: [],
      prunedBackups: [],
    });
    expect(phases).toEqual(['reading', 'staging', 'published', 'backed-up']);
    expect(seen).toEqual([1, 2, 3].map((done) => ({ done, total: 3, staging: true, final: false, legacy: true })));
    expect(existsSync(path)).toBe(false);
    expect(existsSync(staging)).toBe(false);
    expect(backups(base)).toEqual([(result.backupPath as string).split('/').pop()]);
    expect(readFileSync(result.backupPath as string).equals(legacy)).toBe(true);
    expect(statSync(dir).mode & 0o7777).toBe(0o700);
    expect(existsSync(join(dir, STAMP_FILE))).toBe(true);
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
    expect(result).toMatchObject({ entries: HOSTILE_KEYS.length, skipped: [] });
    const store = await openSessionStore(exact.path, { logger: quiet, fsync: false, normalizeKey: (key) => key });
    const all = await store.loadAll();
    expect(Object.keys(all).sort()).toEqual([...HOSTILE_KEYS].sort());
    for (const key of HOSTILE_KEYS) expect(await store.get(key)).toEqual(legacyObject[key]);
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
    expect(readFileSync(join(auto.base, backups(auto.base)[0] as string), 'utf8')).toBe(content);
    await store.close();
  });
});

describe('the normalizeEntry write hook', () => {
  it('runs on every migrated entry, fresh (staged) or merged (through the commit layer)', async () => {
    const hook = (entry: Record<string, unknown>) => ({ ...entry, hooked: true });
    const fresh = await legacyIn(JSON.stringify({ a: { updatedAt: 1 } }));
    await migrate(fresh.path, { normalizeEntry: hook });
    expect(recordIn(fresh.dir, 'a').entry).toEqual({ updatedAt: 1, hooked: true });
    const merged = await legacyIn(JSON.stringify({ b: { updatedAt: 2 } }));
    mkdirSync(merged.dir, { mode: 0o700 });
    expect(await migrate(merged.path, { normalizeEntry: hook })).toMatchObject({ mode: 'merge', entries: 1 });
    expect(recordIn(merged.dir, 'b').entry).toEqual({ updatedAt: 2, hooked: true });
  });
});

describe('case variants of one key', () => {
  it('merge keeping the newest updatedAt; losers are reported', async () => {
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
    const result = await migrate(path);
    expect(result.entries).toBe(3);
    expect(result.skipped.map((skip) => skip.key).sort()).toEqual([' kEy ', 'KEY', 'OTHER2', 'key'].sort());
    for (const skip of result.skipped) expect(skip.reason).toMatch(/^older case variant of "/);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({ key: { updatedAt: 5, v: 'newest' }, other: { updatedAt: 1, v: 'alone' }, other2: { updatedAt: 0, v: 'b' } });
    await store.close();
  });

  it('with equal updatedAt, the first one in the file wins', async () => {
    const { path } = await legacyIn(
      JSON.stringify({ A: { updatedAt: 1, v: 'first' }, a: { updatedAt: 1, v: 'second' }, B: { v: 'first' }, b: { v: 'second' } }),
    );
    const result = await migrate(path);
    expect(result.skipped).toEqual([
      { key: 'a', reason: 'older case variant of "a"' },
      { key: 'b', reason: 'older case variant of "b"' },
    ]);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({ a: { updatedAt: 1, v: 'first' }, b: { v: 'first' } });
    await store.close();
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
    const phases: string[] = [];
    const result = await migrate(path, { onProgress: (done) => progress.push(done), onPhase: (phase) => phases.push(phase) });
    expect(result).toMatchObject({ mode: 'merge', migrated: true, entries: 2 });
    expect(phases).toEqual(['reading', 'merging', 'merged', 'backed-up']);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.skipped.map((skip) => skip.key).sort()).toEqual(['keep', 'tie', 'undated']);
    for (const skip of result.skipped) expect(skip.reason).toContain('at least as new');
    expect(await store.loadAll()).toEqual({
      keep: { updatedAt: 5, v: 'dir' },
      tie: { updatedAt: 5, v: 'dir' },
      same: { updatedAt: 5, v: 'same' },
      take: { updatedAt: 9, v: 'legacy' },
      undated: { v: 'dir' },
      fresh: { updatedAt: 1 },
      dironly: { updatedAt: 1 },
    });
    expect(recordIn(dir, 'take').rev).toBe(3);
    expect(readFileSync(join(base, backups(base)[0] as string), 'utf8')).toBe(content);
    await store.close();
  });

  it('is idempotent: a second run finds nothing; a re-run on the restored legacy file changes no entry', async () => {
    const content = JSON.stringify(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`s${i}`, { updatedAt: i, i }])));
    const { base, path, dir } = await legacyIn(content);
    expect((await migrate(path)).mode).toBe('fresh');
    const inodes = entryFiles(dir).map((name) => statSync(join(dir, name)).ino);
    expect(await migrate(path)).toMatchObject({ migrated: false, entries: 0, skipped: [], reason: 'no legacy store file' });
    // The state a crash between "rename into place" and "back up the legacy file" leaves.
    writeFileSync(path, content);
    expect(await migrate(path)).toMatchObject({ migrated: true, entries: 0, skipped: [], mode: 'merge' });
    expect(entryFiles(dir).map((name) => statSync(join(dir, name)).ino)).toEqual(inodes);
    expect(backups(base)).toHaveLength(2);
    for (const name of backups(base)) expect(readFileSync(join(base, name), 'utf8')).toBe(content);
  });

  it('a store directory filled by someone else while staging: the staged copy is dropped and the entries merged', async () => {
    const { path, dir, staging } = await legacyIn(JSON.stringify({ a: { updatedAt: 1 }, b: { updatedAt: 2 } }));
    let filled = false;
    const result = await migrate(path, {
      onProgress: () => {
        if (filled) return;
        filled = true;
        mkdirSync(dir, { mode: 0o700 });
        writeFileSync(join(dir, entryFileName('other')), recordText('other', 1, { updatedAt: 7 }), { mode: 0o600 });
        writeFileSync(join(dir, entryFileName('b')), recordText('b', 4, { updatedAt: 5, v: 'dir' }), { mode: 0o600 });
      },
    });
    expect(result).toMatchObject({ migrated: true, mode: 'merge', entries: 1 });
    expect(result.skipped).toEqual([{ key: 'b', reason: expect.stringContaining('at least as new') as string }]);
    expect(existsSync(staging)).toBe(false);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({ a: { updatedAt: 1 }, b: { updatedAt: 5, v: 'dir' }, other: { updatedAt: 7 } });
    await store.close();
  });

  it('a file put in the directory\'s place while staging: the rename error is thrown, staging and legacy file stay', async () => {
    const content = JSON.stringify({ a: { updatedAt: 1 } });
    const { path, dir, staging } = await legacyIn(content);
    const error = await caught(migrate(path, { onProgress: () => { if (!existsSync(dir)) writeFileSync(dir, 'not a dir'); } }));
    expect(error.code).toBe('ENOTDIR');
    expect(existsSync(staging)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(content);
  });
});

describe('refusals during the merge', () => {
  it('a symlinked store directory is ESYMLINK, a file there ENOTDIR, both naming it; nothing written', async () => {
    const { base, path, dir } = await legacyIn('{"a":{"updatedAt":1}}');
    const elsewhere = await tempDir();
    symlinkSync(elsewhere, dir);
    const error = await caught(migrate(path));
    expect(error.code).toBe('ESYMLINK');
    expect(error.path).toBe(join(base, 'sessions.d'));
    expect(error.message).toContain('refusing a symlinked store directory');
    expect(readdirSync(elsewhere)).toEqual([]);

    const other = await legacyIn('{"a":{"updatedAt":1}}');
    writeFileSync(other.dir, 'not a dir');
    const notDir = await caught(migrate(other.path));
    expect(notDir.code).toBe('ENOTDIR');
    expect(notDir.path).toBe(other.dir);
    expect(notDir.message).toContain('store directory path is not a directory');
    expect(readFileSync(other.path, 'utf8')).toBe('{"a":{"updatedAt":1}}');
  });

  it('a corrupt or oversized entry file where the merge would write is quarantined by the store (kept, never overwritten in place); the legacy entry is merged', async () => {
    const { path, dir } = await legacyIn('{"a":{"updatedAt":9},"b":{"updatedAt":1}}');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, entryFileName('a')), 'garbage', { mode: 0o600 });
    expect(await migrate(path)).toMatchObject({ migrated: true, mode: 'merge', entries: 2 });
    const quarantined = readdirSync(join(dir, '.quarantine'));
    expect(quarantined).toHaveLength(1);
    expect(readFileSync(join(dir, '.quarantine', quarantined[0] as string), 'utf8')).toBe('garbage');
    expect(recordIn(dir, 'a').entry).toEqual({ updatedAt: 9 });

    const big = await legacyIn(JSON.stringify({ a: { updatedAt: 9 } }));
    mkdirSync(big.dir, { mode: 0o700 });
    const text = recordText('a', 1, { updatedAt: 1, pad: 'x'.repeat(500) });
    writeFileSync(join(big.dir, entryFileName('a')), text, { mode: 0o600 });
    expect(await migrate(big.path, { maxEntryBytes: 200 })).toMatchObject({ migrated: true, entries: 1 });
    const moved = readdirSync(join(big.dir, '.quarantine'));
    expect(readFileSync(join(big.dir, '.quarantine', moved[0] as string), 'utf8')).toBe(text);
  });

  it('a symlink where the merge would write is never followed: moved aside by the store, its target untouched', async () => {
    const content = JSON.stringify({ a: { updatedAt: 9 } });
    const { path, dir } = await legacyIn(content);
    mkdirSync(dir, { mode: 0o700 });
    const elsewhere = join(await tempDir(), 'target.json');
    writeFileSync(elsewhere, recordText('a', 1, { updatedAt: 1 }));
    symlinkSync(elsewhere, join(dir, entryFileName('a')));
    expect(await migrate(path)).toMatchObject({ migrated: true, entries: 1 });
    expect(lstatSync(join(dir, entryFileName('a'))).isFile()).toBe(true);
    expect(recordIn(dir, 'a').entry).toEqual({ updatedAt: 9 });
    expect(readFileSync(elsewhere, 'utf8')).toBe(recordText('a', 1, { updatedAt: 1 }));
    const moved = readdirSync(join(dir, '.quarantine'));
    expect(moved).toHaveLength(1);
    expect(lstatSync(join(dir, '.quarantine', moved[0] as string)).isSymbolicLink()).toBe(true);
  });
});

describe('dryRun', () => {
  it('plans and reports, writing nothing (fresh)', async () => {
    const content = JSON.stringify({ a: { updatedAt: 1 }, A: { updatedAt: 0 }, b: null });
    const { base, path } = await legacyIn(content);
    const before = statSync(path);
    const progress: number[] = [];
    const result = await migrate(path, { dryRun: true, onProgress: (done) => progress.push(done) });
    expect(result).toMatchObject({ migrated: false, entries: 1, reason: 'dry run', mode: 'fresh' });
    expect(result.skipped.map((skip) => skip.key).sort()).toEqual(['A', 'b']);
    expect(progress).toEqual([]);
    expect(readdirSync(base)).toEqual(['sessions.json']);
    expect(statSync(path).ino).toBe(before.ino);
  });

  it('plans a merge into an existing directory without touching it', async () => {
    const { base, path, dir } = await legacyIn(JSON.stringify({ a: { updatedAt: 9 }, b: { updatedAt: 1 } }));
    const store = await openSessionStore(path, { migrateOnOpen: false, fsync: false, logger: quiet });
    await store.update('a', () => ({ updatedAt: 1 }));
    await store.close();
    const listing = readdirSync(dir).sort();
    const file = statSync(join(dir, entryFileName('a')));
    expect(await migrate(path, { dryRun: true })).toMatchObject({ migrated: false, reason: 'dry run', mode: 'merge' });
    expect(readdirSync(dir).sort()).toEqual(listing);
    expect(statSync(join(dir, entryFileName('a'))).ino).toBe(file.ino);
    expect(readdirSync(base).sort()).toEqual(['sessions.d', 'sessions.json']);
  });
});
