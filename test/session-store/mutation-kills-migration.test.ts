// Migration, store layout and function API: behaviour the broader suites leave unpinned
// (exact messages and details, lock options, backup names, leftovers, descriptors).
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { acquireFileLock, openDir } from '../../src/index.js';
import {
  closeSessionStores,
  entryFileName,
  isEntryFileName,
  loadSessionStore,
  migrateSessionStoreToDirectory,
  openSessionStore,
  storeLayout,
  type MigrationOptions,
  type SessionEntry,
} from '../../src/session-store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const quiet = { warn: (): void => undefined };
const tempDir = useTempDirs();

interface Warning {
  message: string;
  details: Record<string, unknown> | undefined;
}

function recordingLogger(): { warnings: Warning[]; logger: { warn: (message: string, details?: Record<string, unknown>) => void } } {
  const warnings: Warning[] = [];
  return { warnings, logger: { warn: (message, details) => warnings.push({ message, details }) } };
}

async function legacyIn(content: string) {
  const base = await tempDir();
  const path = join(base, 'sessions.json');
  writeFileSync(path, content, { mode: 0o600 });
  return { base, path, dir: join(base, 'sessions.d'), staging: join(base, 'sessions.d.migrating') };
}

function migrate(path: string, options: MigrationOptions = {}) {
  return migrateSessionStoreToDirectory(path, { logger: quiet, fsync: false, ...options });
}

function recordText(key: string, rev: number, entry: SessionEntry): string {
  return JSON.stringify({ v: 1, key, rev, entry });
}

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * A lock file as a holder on another host leaves it, whose heartbeat is kept `ageMs` old: stale
 * for a staleMs below ageMs, held for the default 10 s. Returns a function that stops the keeper.
 */
function foreignLockKeptAged(path: string, ageMs: number): () => void {
  const record = { v: 1, token: 'ab'.repeat(16), pid: process.pid, host: `not-${hostname()}`, time: Date.now() - ageMs };
  writeFileSync(path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  const age = (): void => {
    const then = new Date(Date.now() - ageMs);
    try {
      utimesSync(path, then, then);
    } catch {
      // Taken over (removed): nothing left to age.
    }
  };
  age();
  const timer = setInterval(age, 50);
  return () => clearInterval(timer);
}

describe('store layout names', () => {
  it('refuses an empty or non-string store path with EBADNAME', async () => {
    const empty = await caught(() => storeLayout(''));
    expect(empty.code).toBe('EBADNAME');
    expect(empty.message).toBe('EBADNAME: store path must be a non-empty string');
    const number = await caught(() => storeLayout(42 as unknown as string));
    expect(number.code).toBe('EBADNAME');
    expect(number.message).toBe('EBADNAME: store path must be a non-empty string');
  });

  it('names the store file in the error for a path without a file name', async () => {
    const error = await caught(() => storeLayout('/'));
    expect(error.code).toBe('EBADNAME');
    expect(error.message).toBe('EBADNAME: store file name must not be empty');
  });

  it('refuses a store file named just ".json" (empty stem), naming the path', async () => {
    const error = await caught(() => storeLayout('/state/.json'));
    expect(error.code).toBe('EBADNAME');
    expect(error.message).toBe('EBADNAME: store file name has an empty stem: /state/.json');
    expect(error.path).toBe('/state/.json');
  });

  it('does not take a hidden file for an entry file', () => {
    expect(isEntryFileName('.hidden.json')).toBe(false);
    expect(isEntryFileName('.x.json')).toBe(false);
    expect(isEntryFileName('x.json')).toBe(true);
  });
});

describe('legacy parsing', () => {
  it('reads legacy entries exactly as deep as maxEntryDepth allows', async () => {
    // Entry depth 3 (the entry object, x, y) with maxEntryDepth 3; the legacy object adds one level.
    const entry = { updatedAt: 1, x: { y: { z: 1 } } };
    const { path } = await legacyIn(JSON.stringify({ a: entry }));
    const result = await migrate(path, { maxEntryDepth: 3 });
    expect(result).toMatchObject({ migrated: true, entries: 1, skipped: [] });
    const store = await openSessionStore(path, { logger: quiet, fsync: false, maxEntryDepth: 3 });
    expect(await store.get('a')).toEqual(entry);
    await store.close();
  });

  it('reports only top-level blocked keys; blocked keys nested inside an entry are dropped without a skip record', async () => {
    const { path } = await legacyIn('{"__proto__":{"updatedAt":1},"a":{"updatedAt":1,"__proto__":{"x":1},"n":{"constructor":1}}}');
    const result = await migrate(path);
    expect(result.entries).toBe(1);
    expect(result.skipped).toEqual([{ key: '__proto__', reason: 'blocked object key' }]);
  });

  it('unparseable legacy JSON is ECORRUPT with the parser error as message and cause', async () => {
    const { path } = await legacyIn('{"a": {');
    const error = await caught(migrate(path));
    expect(error.code).toBe('ECORRUPT');
    expect(error.message).toMatch(/^ECORRUPT: legacy store is not valid JSON \(ECORRUPT: malformed JSON .*\); left untouched: /);
    expect((error.cause as { code?: string } | undefined)?.code).toBe('ECORRUPT');
  });

  it('a legacy JSON value that is not an object is ECORRUPT saying so', async () => {
    const { path } = await legacyIn('[1,2]');
    const error = await caught(migrate(path));
    expect(error.code).toBe('ECORRUPT');
    expect(error.message).toBe(`ECORRUPT: legacy store is not a JSON object; left untouched: ${path}`);
  });

  it('skips an entry whose updatedAt overflows to Infinity', async () => {
    const { path } = await legacyIn('{"big":{"updatedAt":1e999},"small":{"updatedAt":-1e999},"ok":{"updatedAt":1}}');
    const result = await migrate(path);
    expect(result.entries).toBe(1);
    expect(result.skipped).toEqual([
      { key: 'big', reason: 'updatedAt is not a finite number' },
      { key: 'small', reason: 'updatedAt is not a finite number' },
    ]);
  });

  it('case variants with equal updatedAt: the first one in the file wins', async () => {
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

describe('what the migration logs', () => {
  it('warns once, with the file and the count, when the legacy store has no valid entry', async () => {
    const { path } = await legacyIn('{"a":null,"b":null}');
    const { warnings, logger } = recordingLogger();
    await migrate(path, { logger });
    expect(warnings).toEqual([
      { message: 'hardfs session store: legacy store has no valid entry; left untouched', details: { file: path, skipped: 2 } },
    ]);
  });

  it('warns for each legacy entry not migrated, with the file, key and reason', async () => {
    const { path } = await legacyIn('{"n":null,"ok":{"updatedAt":1}}');
    const { warnings, logger } = recordingLogger();
    await migrate(path, { logger });
    expect(warnings).toEqual([
      { message: 'hardfs session store: legacy entry not migrated', details: { file: path, key: 'n', reason: 'null entry' } },
    ]);
  });

  it('names the staging directory it removes', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'sessions.d.migrating'));
    const { warnings, logger } = recordingLogger();
    const store = await openSessionStore(join(base, 'sessions.json'), { logger, fsync: false });
    await store.close();
    expect(warnings).toEqual([
      {
        message: 'hardfs session store: removed an incomplete migration staging directory',
        details: { dir: join(base, 'sessions.d.migrating') },
      },
    ]);
  });
});

describe('the migration lock', () => {
  it('is not taken when there is no legacy file (a foreign object at its name does not matter)', async () => {
    const base = await tempDir();
    mkdirSync(join(base, '.sessions.migrate.lock'));
    const path = join(base, 'sessions.json');
    expect(await migrate(path)).toEqual({ migrated: false, entries: 0, skipped: [], reason: 'no legacy store file' });
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({});
    await store.close();
  });

  it('a migration waits for the migration lock longer than lockTimeoutMs', async () => {
    const { base, path } = await legacyIn('{"a":{"updatedAt":1}}');
    const parent = await openDir(base);
    const lock = await acquireFileLock(parent, '.sessions.migrate.lock');
    const release = new Promise<void>((done) => setTimeout(() => { done(); }, 300)).then(() => lock.release());
    const result = await migrate(path, { lockTimeoutMs: 25 });
    await release;
    await parent.close();
    expect(result).toMatchObject({ migrated: true, entries: 1 });
  });

  it('a migration that waited for the lock while the legacy file was moved away finds nothing to do', async () => {
    const { base, path } = await legacyIn('{"a":{"updatedAt":1}}');
    const parent = await openDir(base);
    const lock = await acquireFileLock(parent, '.sessions.migrate.lock');
    // The legacy file is still there when the migration starts: it goes on to wait for the lock.
    const pending = migrate(path);
    await new Promise<void>((done) => setTimeout(() => { done(); }, 300));
    renameSync(path, join(base, 'moved.json'));
    await lock.release();
    await parent.close();
    expect(await pending).toEqual({ migrated: false, entries: 0, skipped: [], reason: 'no legacy store file' });
    expect(existsSync(join(base, 'sessions.d'))).toBe(false);
  });

  it('removing a leftover staging directory waits for the migration lock longer than lockTimeoutMs', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'sessions.d.migrating'));
    const parent = await openDir(base);
    const lock = await acquireFileLock(parent, '.sessions.migrate.lock');
    const release = new Promise<void>((done) => setTimeout(() => { done(); }, 300)).then(() => lock.release());
    const store = await openSessionStore(join(base, 'sessions.json'), { logger: quiet, fsync: false, lockTimeoutMs: 25 });
    await release;
    await store.close();
    await parent.close();
    expect(existsSync(join(base, 'sessions.d.migrating'))).toBe(false);
  });

  it('a migration takes over an abandoned migration lock as soon as it is older than lockStaleMs', async () => {
    const { base, path } = await legacyIn('{"a":{"updatedAt":1}}');
    const stop = foreignLockKeptAged(join(base, '.sessions.migrate.lock'), 3_000);
    try {
      expect(await migrate(path, { lockStaleMs: 1_000 })).toMatchObject({ migrated: true, entries: 1 });
    } finally {
      stop();
    }
  });

  it('removing a leftover staging directory takes over an abandoned migration lock older than lockStaleMs', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'sessions.d.migrating'));
    const stop = foreignLockKeptAged(join(base, '.sessions.migrate.lock'), 3_000);
    try {
      const store = await openSessionStore(join(base, 'sessions.json'), { logger: quiet, fsync: false, lockStaleMs: 1_000 });
      await store.close();
    } finally {
      stop();
    }
    expect(existsSync(join(base, 'sessions.d.migrating'))).toBe(false);
  });

  it('a merge takes over an abandoned entry lock older than lockStaleMs', async () => {
    const { path, dir } = await legacyIn('{"a":{"updatedAt":9}}');
    const store = await openSessionStore(path, { migrateOnOpen: false, logger: quiet, fsync: false });
    await store.close();
    const stop = foreignLockKeptAged(join(dir, '.locks', `${entryFileName('a')}.lock`), 3_000);
    try {
      expect(await migrate(path, { lockStaleMs: 1_000 })).toMatchObject({ migrated: true, entries: 1, mode: 'merge' });
    } finally {
      stop();
    }
  });
});

describe('leftover staging directories', () => {
  it('a staging directory beside a legacy file is left for the migration when migrateOnOpen is false', async () => {
    const { path, staging } = await legacyIn('{"a":{"updatedAt":1}}');
    mkdirSync(staging);
    const { warnings, logger } = recordingLogger();
    const store = await openSessionStore(path, { migrateOnOpen: false, logger, fsync: false });
    await store.close();
    expect(existsSync(staging)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('two opens racing to remove the same staging directory both succeed; it is removed (and reported) once', async () => {
    const base = await tempDir();
    const staging = join(base, 'sessions.d.migrating');
    mkdirSync(staging);
    for (let i = 0; i < 200; i += 1) writeFileSync(join(staging, `f${i}`), 'x');
    const { warnings, logger } = recordingLogger();
    const path = join(base, 'sessions.json');
    const stores = await Promise.all([openSessionStore(path, { logger, fsync: false }), openSessionStore(path, { logger, fsync: false })]);
    await Promise.all(stores.map((store) => store.close()));
    expect(existsSync(staging)).toBe(false);
    expect(warnings.map((warning) => warning.message)).toEqual(['hardfs session store: removed an incomplete migration staging directory']);
  });

  it('nothing of a crashed run\'s staging directory reaches the published store', async () => {
    const { path, dir, staging } = await legacyIn('{"a":{"updatedAt":1}}');
    mkdirSync(staging);
    writeFileSync(join(staging, entryFileName('ghost')), recordText('ghost', 1, { updatedAt: 1 }));
    writeFileSync(join(staging, 'junk'), 'x');
    expect(await migrate(path)).toMatchObject({ migrated: true, mode: 'fresh' });
    expect(readdirSync(dir)).not.toContain('junk');
    expect(readdirSync(dir)).not.toContain(entryFileName('ghost'));
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({ a: { updatedAt: 1 } });
    await store.close();
  });
});

describe('a store directory that appears while entries are staged', () => {
  it('filled by someone else: the staged copy is dropped and the legacy entries are merged into it', async () => {
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
    expect(result.skipped).toEqual([{ key: 'b', reason: 'directory already holds an entry at least as new' }]);
    expect(existsSync(staging)).toBe(false);
    expect(existsSync(path)).toBe(false);
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({ a: { updatedAt: 1 }, b: { updatedAt: 5, v: 'dir' }, other: { updatedAt: 7 } });
    await store.close();
  });

  it('a file put in its place: the rename error is thrown, the staged copy and the legacy file stay', async () => {
    const content = JSON.stringify({ a: { updatedAt: 1 } });
    const { path, dir, staging } = await legacyIn(content);
    const error = await caught(
      migrate(path, {
        onProgress: () => {
          if (!existsSync(dir)) writeFileSync(dir, 'not a dir');
        },
      }),
    );
    expect(error.code).toBe('ENOTDIR');
    expect(existsSync(staging)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(readFileSync(dir, 'utf8')).toBe('not a dir');
  });
});

describe('the legacy backup', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');
  const stamped = 'sessions.json.bak.2026-01-02T03-04-05.678Z';
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is named after the legacy file and the time, colons replaced', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now });
    const { base, path } = await legacyIn('{"a":{"updatedAt":1}}');
    const result = await migrate(path);
    expect(result.backupPath).toBe(join(base, stamped));
    expect(readFileSync(join(base, stamped), 'utf8')).toBe('{"a":{"updatedAt":1}}');
  });

  it('never overwrites an existing backup: the next free .N suffix is used', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now });
    const { base, path } = await legacyIn('{"a":{"updatedAt":1}}');
    writeFileSync(join(base, stamped), 'older backup');
    writeFileSync(join(base, `${stamped}.1`), 'older backup 1');
    const result = await migrate(path);
    expect(result.backupPath).toBe(join(base, `${stamped}.2`));
    expect(readFileSync(join(base, stamped), 'utf8')).toBe('older backup');
    expect(readFileSync(join(base, `${stamped}.1`), 'utf8')).toBe('older backup 1');
    expect(readFileSync(join(base, `${stamped}.2`), 'utf8')).toBe('{"a":{"updatedAt":1}}');
    expect(existsSync(path)).toBe(false);
  });

  it('gives up with EEXIST after .100, leaving the legacy file in place', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now });
    const { base, path } = await legacyIn('{"a":{"updatedAt":1}}');
    writeFileSync(join(base, stamped), 'older');
    for (let i = 1; i <= 100; i += 1) writeFileSync(join(base, `${stamped}.${i}`), 'older');
    const error = await caught(migrate(path));
    expect(error.code).toBe('EEXIST');
    expect(readFileSync(path, 'utf8')).toBe('{"a":{"updatedAt":1}}');
    expect(existsSync(join(base, `${stamped}.101`))).toBe(false);
  });
});

describe('refusals', () => {
  it('a legacy name the filesystem cannot look up is an error, not "no legacy store file"', async () => {
    const base = await tempDir();
    const error = await caught(migrate(join(base, 'x'.repeat(256))));
    expect(error.code).toBe('ENAMETOOLONG');
  });

  it('a staging name the filesystem cannot look up fails the open instead of being taken for absent', async () => {
    const base = await tempDir();
    // stem of 244: sessions dir name 246 bytes, staging name 256 bytes (over NAME_MAX).
    const error = await caught(openSessionStore(join(base, `${'x'.repeat(244)}.json`), { logger: quiet, fsync: false }));
    expect(error.code).toBe('ENAMETOOLONG');
  });

  it('a symlinked store directory is ESYMLINK naming the directory', async () => {
    const { base, path, dir } = await legacyIn('{"a":{"updatedAt":1}}');
    const elsewhere = await tempDir();
    symlinkSync(elsewhere, dir);
    const error = await caught(migrate(path));
    expect(error.code).toBe('ESYMLINK');
    expect(error.message).toBe(`ESYMLINK: refusing a symlinked store directory: ${join(base, 'sessions.d')}`);
    expect(error.path).toBe(join(base, 'sessions.d'));
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('a store directory path holding a file is ENOTDIR naming it', async () => {
    const { base, path, dir } = await legacyIn('{"a":{"updatedAt":1}}');
    writeFileSync(dir, 'not a dir');
    const error = await caught(migrate(path));
    expect(error.code).toBe('ENOTDIR');
    expect(error.message).toBe(`ENOTDIR: store directory path is not a directory: ${join(base, 'sessions.d')}`);
    expect(error.path).toBe(join(base, 'sessions.d'));
  });

  it('an existing entry file over maxEntryBytes stops the merge with ETOOBIG; nothing is overwritten', async () => {
    const content = JSON.stringify({ a: { updatedAt: 9 } });
    const { path, dir } = await legacyIn(content);
    mkdirSync(dir, { mode: 0o700 });
    const big = recordText('a', 1, { updatedAt: 1, pad: 'x'.repeat(500) });
    writeFileSync(join(dir, entryFileName('a')), big, { mode: 0o600 });
    const error = await caught(migrate(path, { maxEntryBytes: 200 }));
    expect(error.code).toBe('ETOOBIG');
    expect(error.path).toBe(join(dir, entryFileName('a')));
    expect(readFileSync(join(dir, entryFileName('a')), 'utf8')).toBe(big);
    expect(readFileSync(path, 'utf8')).toBe(content);
  });

  it('a symlink where the merge would write is refused, never replaced', async () => {
    const content = JSON.stringify({ a: { updatedAt: 9 } });
    const { path, dir } = await legacyIn(content);
    mkdirSync(dir, { mode: 0o700 });
    const elsewhere = join(await tempDir(), 'target.json');
    writeFileSync(elsewhere, recordText('a', 1, { updatedAt: 1 }));
    symlinkSync(elsewhere, join(dir, entryFileName('a')));
    const error = await caught(migrate(path));
    expect(error.code).toBe('ESYMLINK');
    expect(lstatSync(join(dir, entryFileName('a'))).isSymbolicLink()).toBe(true);
    expect(readFileSync(elsewhere, 'utf8')).toBe(recordText('a', 1, { updatedAt: 1 }));
    expect(readFileSync(path, 'utf8')).toBe(content);
  });
});

describe('descriptors', () => {
  it('a migration closes every descriptor it opens, fresh or merging', async () => {
    const fresh = await legacyIn(JSON.stringify({ a: { updatedAt: 1 }, b: { updatedAt: 2 } }));
    const before = openDescriptors();
    expect(await migrate(fresh.path)).toMatchObject({ migrated: true, mode: 'fresh' });
    expect(openDescriptors()).toBe(before);

    const merging = await legacyIn(JSON.stringify({ a: { updatedAt: 1 } }));
    mkdirSync(merging.dir, { mode: 0o700 });
    const beforeMerge = openDescriptors();
    expect(await migrate(merging.path)).toMatchObject({ migrated: true, mode: 'merge' });
    expect(openDescriptors()).toBe(beforeMerge);
  });

  it('closeSessionStores closes the stores the function API opened', async () => {
    const base = await tempDir();
    const before = openDescriptors();
    expect(await loadSessionStore(join(base, 'sessions.json'), { logger: quiet, fsync: false })).toEqual({});
    expect(openDescriptors()).toBeGreaterThan(before);
    await closeSessionStores();
    expect(openDescriptors()).toBe(before);
  });

  it('closeSessionStores settles while an open that is still in flight fails', async () => {
    const { path } = await legacyIn('{"a": {');
    const load = loadSessionStore(path, { logger: quiet }).catch((error: unknown) => error as { code?: string });
    await closeSessionStores();
    expect((await load).code).toBe('ECORRUPT');
  });
});
