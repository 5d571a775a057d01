// What an interrupted migration leaves (a staging directory) and how the next open or migration
// deals with it: discarded, never followed, never published.
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryFileName, openSessionStore } from '../../../src/session-store/index.js';
import { caught } from '../../support/tmp.js';
import { backups, legacyStores, migrate, quiet, recordingLogger } from './support.js';

const { legacyIn, tempDir } = legacyStores();

describe('a leftover staging directory', () => {
  it('beside the legacy file: discarded (never followed) and the migration completes', async () => {
    const { base, path, staging } = await legacyIn(JSON.stringify({ a: { updatedAt: 1 }, b: { updatedAt: 2 } }));
    const outside = await tempDir();
    writeFileSync(join(outside, 'precious'), 'keep me');
    mkdirSync(join(staging, '.locks'), { recursive: true, mode: 0o700 });
    writeFileSync(join(staging, 'half.json'), '{');
    writeFileSync(join(staging, entryFileName('a')), JSON.stringify({ v: 1, key: 'a', rev: 1, entry: { updatedAt: 0, stale: true } }));
    writeFileSync(join(staging, entryFileName('ghost')), JSON.stringify({ v: 1, key: 'ghost', rev: 1, entry: {} }));
    symlinkSync(outside, join(staging, 'link'));
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual({ a: { updatedAt: 1 }, b: { updatedAt: 2 } });
    expect(existsSync(staging)).toBe(false);
    expect(readdirSync(outside)).toEqual(['precious']);
    expect(readFileSync(join(outside, 'precious'), 'utf8')).toBe('keep me');
    expect(backups(base)).toHaveLength(1);
    await store.close();
  });

  it('without a legacy file: removed on open, with a warning naming it', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'sessions.d.migrating'));
    writeFileSync(join(base, 'sessions.d.migrating', 'x.json'), '{}');
    const { warnings, logger } = recordingLogger();
    const store = await openSessionStore(join(base, 'sessions.json'), { logger, fsync: false });
    expect(await store.loadAll()).toEqual({});
    await store.close();
    expect(existsSync(join(base, 'sessions.d.migrating'))).toBe(false);
    expect(warnings).toEqual([
      { message: expect.stringContaining('removed an incomplete migration staging directory') as string, details: { dir: join(base, 'sessions.d.migrating') } },
    ]);
  });

  it('beside a legacy file is left for the migration when migrateOnOpen is false', async () => {
    const { path, staging } = await legacyIn('{"a":{"updatedAt":1}}');
    mkdirSync(staging);
    const { warnings, logger } = recordingLogger();
    const store = await openSessionStore(path, { migrateOnOpen: false, logger, fsync: false });
    await store.close();
    expect(existsSync(staging)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('two opens racing to remove it both succeed; it is removed (and reported) once', async () => {
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

  it('a name the filesystem cannot look up fails the open instead of being taken for absent', async () => {
    const base = await tempDir();
    // stem of 244: sessions dir name 246 bytes, staging name 256 bytes (over NAME_MAX).
    const error = await caught(openSessionStore(join(base, `${'x'.repeat(244)}.json`), { logger: quiet, fsync: false }));
    expect(error.code).toBe('ENAMETOOLONG');
    const legacy = await caught(migrate(join(base, 'x'.repeat(256))));
    expect(legacy.code).toBe('ENAMETOOLONG');
  });
});
