// Export (a sessions.json equivalent of the directory) and rollback (the legacy layout restored
// from the directory, newest data wins, nothing lost).
import { chownSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSessionStore } from '../../../src/session-store/index.js';
import { exportSessionStore, rollbackSessionStore } from '../../../src/session-store/rollback.js';
import { caught } from '../../support/tmp.js';
import { backups, legacyStores, migrate, quiet } from './support.js';

const { legacyIn, tempDir } = legacyStores();

async function storeWith(entries: Record<string, Record<string, unknown>>) {
  const base = await tempDir();
  const path = join(base, 'sessions.json');
  const store = await openSessionStore(path, { logger: quiet, fsync: false });
  for (const [key, entry] of Object.entries(entries)) await store.update(key, () => entry);
  await store.close();
  return { base, path, dir: join(base, 'sessions.d') };
}

describe('exportSessionStore', () => {
  it('writes every entry of the directory as a sessions.json equivalent, 0600, atomically; no entry changes', async () => {
    const { base, path, dir } = await storeWith({ b: { updatedAt: 2, v: 'two' }, a: { updatedAt: 1, nested: { x: [1] } } });
    const entryFiles = (): string[] => readdirSync(dir).filter((name) => !name.startsWith('.')).sort();
    const before = entryFiles().map((name) => statSync(join(dir, name)).ino);
    const result = await exportSessionStore(path, { logger: quiet });
    expect(result).toEqual({ path: join(base, 'sessions.export.json'), entries: 2 });
    expect(JSON.parse(readFileSync(result.path, 'utf8'))).toEqual({ a: { updatedAt: 1, nested: { x: [1] } }, b: { updatedAt: 2, v: 'two' } });
    expect(statSync(result.path).mode & 0o777).toBe(0o600);
    expect(entryFiles().map((name) => statSync(join(dir, name)).ino)).toEqual(before);
    expect(existsSync(path)).toBe(false);
    // Readable as a legacy file: migrating it into a fresh place gives the same entries.
    const elsewhere = await legacyIn(readFileSync(result.path));
    await migrate(elsewhere.path);
    const copy = await openSessionStore(elsewhere.path, { logger: quiet, fsync: false });
    expect(await copy.loadAll()).toEqual({ a: { updatedAt: 1, nested: { x: [1] } }, b: { updatedAt: 2, v: 'two' } });
    await copy.close();
  });

  it('writes where --output says, never over the legacy file itself, and refuses a store that has no directory', async () => {
    const { path } = await storeWith({ a: { updatedAt: 1 } });
    const out = join(await tempDir(), 'copy.json');
    expect((await exportSessionStore(path, { output: out, logger: quiet })).path).toBe(out);
    const self = await caught(exportSessionStore(path, { output: path, logger: quiet }));
    expect(self.code).toBe('EBADNAME');
    expect(self.message).toContain('use rollback');
    const none = await caught(exportSessionStore(join(await tempDir(), 'sessions.json'), { logger: quiet }));
    expect(none.code).toBe('ENOENT');
    expect(none.message).toContain('never migrated');
  });
});

describe('rollbackSessionStore', () => {
  it('restores sessions.json from the directory and keeps the directory as a backup', async () => {
    const { path, dir } = await storeWith({ a: { updatedAt: 1 }, b: { updatedAt: 2 } });
    const result = await rollbackSessionStore(path, { logger: quiet, fsync: false });
    expect(result).toMatchObject({ storePath: path, entries: 2, fromLegacy: 0, previousLegacyBackup: undefined, directoryKept: dir });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ a: { updatedAt: 1 }, b: { updatedAt: 2 } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, readdirSync(dir).find((name) => name.endsWith('.json') && !name.startsWith('.')) ?? 'none'))).toBe(true);
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(existsSync(join(dir, '..', '.sessions.migrate.lock'))).toBe(false);
  });

  it('newest data wins against a legacy file already there, keys only there are kept, and that file is backed up byte-identical first', async () => {
    const { base, path } = await storeWith({ both: { updatedAt: 5, v: 'dir' }, tie: { updatedAt: 3, v: 'dir' }, dironly: { updatedAt: 1 } });
    const legacy = JSON.stringify({ both: { updatedAt: 9, v: 'legacy' }, tie: { updatedAt: 3, v: 'legacy' }, legacyonly: { v: 'x' } });
    writeFileSync(path, legacy, { mode: 0o600 });
    const result = await rollbackSessionStore(path, { logger: quiet, fsync: false });
    expect(result.fromLegacy).toBe(2);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      both: { updatedAt: 9, v: 'legacy' },
      tie: { updatedAt: 3, v: 'dir' },
      dironly: { updatedAt: 1 },
      legacyonly: { v: 'x' },
    });
    expect(result.previousLegacyBackup).toBe(join(base, backups(base)[0] as string));
    expect(readFileSync(result.previousLegacyBackup as string, 'utf8')).toBe(legacy);
  });

  it('a round trip migrate -> rollback -> migrate loses nothing', async () => {
    const legacy = { k1: { updatedAt: 1, a: 1 }, k2: { updatedAt: 2, b: [1, 2] } };
    const { path } = await legacyIn(JSON.stringify(legacy));
    await migrate(path);
    await rollbackSessionStore(path, { logger: quiet, fsync: false });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(legacy);
    expect(await migrate(path)).toMatchObject({ migrated: true, entries: 0, mode: 'merge' });
    const store = await openSessionStore(path, { logger: quiet, fsync: false });
    expect(await store.loadAll()).toEqual(legacy);
    await store.close();
  });

  it('refuses a corrupt legacy file already there (ECORRUPT), leaving it and the directory as they are', async () => {
    const { path } = await storeWith({ a: { updatedAt: 1 } });
    writeFileSync(path, '{"broken', { mode: 0o600 });
    const error = await caught(rollbackSessionStore(path, { logger: quiet, fsync: false }));
    expect(error.code).toBe('ECORRUPT');
    expect(readFileSync(path, 'utf8')).toBe('{"broken');
  });
});

describe('rollback and export refuse what they must not read or replace', () => {
  /** An owner that is neither us nor root (only lchown'd to: no process runs as it). */
  const FOREIGN_UID = 4_000_123;

  it('a file where the store directory should be is ENOTDIR with its path, for export and rollback alike', async () => {
    const base = await tempDir();
    const path = join(base, 'sessions.json');
    writeFileSync(join(base, 'sessions.d'), 'not a directory');
    for (const run of [() => exportSessionStore(path, { logger: quiet }), () => rollbackSessionStore(path, { logger: quiet, fsync: false })]) {
      const error = await caught(run());
      expect(error.code).toBe('ENOTDIR');
      expect(error.path).toBe(join(base, 'sessions.d'));
      expect(error.message).toContain('not a directory');
    }
    expect(readdirSync(base).sort()).toEqual(['sessions.d']);
  });

  it("a legacy file owned by another uid is not merged nor replaced: EINSECURE 'not rolled back', naming it", async () => {
    const { base, path } = await storeWith({ a: { updatedAt: 1 } });
    writeFileSync(path, '{"a":{"updatedAt":99,"planted":true}}');
    chownSync(path, FOREIGN_UID, FOREIGN_UID);
    const error = await caught(rollbackSessionStore(path, { logger: quiet, fsync: false }));
    expect(error.code).toBe('EINSECURE');
    expect(error.path).toBe(path);
    expect(error.message).toContain('not rolled back');
    expect(readFileSync(path, 'utf8')).toBe('{"a":{"updatedAt":99,"planted":true}}');
    expect(backups(base)).toEqual([]);
  });

  it("a legacy writer lock owned by another uid is not judged: EINSECURE 'not rolled back'; no sessions.json is written", async () => {
    const { base, path } = await storeWith({ a: { updatedAt: 1 } });
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 1, createdAt: new Date(0).toISOString() }));
    chownSync(`${path}.lock`, FOREIGN_UID, FOREIGN_UID);
    const error = await caught(rollbackSessionStore(path, { logger: quiet, fsync: false }));
    expect(error.code).toBe('EINSECURE');
    expect(error.path).toBe(`${path}.lock`);
    expect(error.message).toContain('not rolled back');
    expect(existsSync(path)).toBe(false);
    expect(statSync(`${path}.lock`).uid).toBe(FOREIGN_UID);
    expect(existsSync(join(base, 'sessions.d'))).toBe(true);
  });
});
