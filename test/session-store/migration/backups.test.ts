// The legacy file's backup (sessions.json.bak.<time>): byte-identical, never overwritten, and
// pruned past the retention so that repeated migrations do not pile them up.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backupTime } from '../../../src/session-store/backups.js';
import { caught } from '../../support/tmp.js';
import { backups, legacyStores, migrate, writeLegacy } from './support.js';

const { legacyIn, tempDir } = legacyStores();
const now = new Date('2026-01-02T03:04:05.678Z');
const stamped = 'sessions.json.bak.2026-01-02T03-04-05.678Z';

afterEach(() => {
  vi.useRealTimers();
});

describe('the legacy backup', () => {
  it('is named after the legacy file and the time, colons replaced, and holds the legacy bytes', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now });
    const { base, path } = await legacyIn('{"a":{"updatedAt":1}}');
    const result = await migrate(path);
    expect(result.backupPath).toBe(join(base, stamped));
    expect(readFileSync(join(base, stamped), 'utf8')).toBe('{"a":{"updatedAt":1}}');
    expect(backupTime('sessions.json', stamped)).toBe(now.getTime());
  });

  it('never overwrites an existing backup: the next free .N suffix is used', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now });
    const { base, path } = await legacyIn('{"a":{"updatedAt":1}}');
    writeFileSync(join(base, stamped), 'older backup');
    writeFileSync(join(base, `${stamped}.1`), 'older backup 1');
    const result = await migrate(path, { keepBackups: Number.POSITIVE_INFINITY });
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

describe('pruning old backups', () => {
  async function migrateTimes(base: string, times: string[], options: Parameters<typeof migrate>[1] = {}) {
    const results = [];
    for (const [index, time] of times.entries()) {
      vi.useFakeTimers({ toFake: ['Date'], now: new Date(time) });
      const { path } = writeLegacy(base, JSON.stringify({ [`k${index}`]: { updatedAt: index } }));
      results.push(await migrate(path, options));
      vi.useRealTimers();
    }
    return results;
  }

  it('keeps the newest 5 by default: a sixth migration removes the oldest, and says so', async () => {
    const base = await tempDir();
    const times = ['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04', '2026-01-05', '2026-01-06'].map((day) => `${day}T00:00:00.000Z`);
    const results = await migrateTimes(base, times);
    expect(results.slice(0, 5).every((result) => result.prunedBackups.length === 0)).toBe(true);
    expect(results[5]?.prunedBackups).toEqual([join(base, 'sessions.json.bak.2026-01-01T00-00-00.000Z')]);
    expect(backups(base)).toEqual(times.slice(1).map((time) => `sessions.json.bak.${time.replaceAll(':', '-')}`));
  });

  it('keepBackups sets the count; the newest is kept even with keepBackups 1', async () => {
    const base = await tempDir();
    const times = ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'];
    await migrateTimes(base, times, { keepBackups: 1 });
    expect(backups(base)).toEqual(['sessions.json.bak.2026-01-03T00-00-00.000Z']);
  });

  it('maxBackupAgeMs removes older ones too, but never the newest', async () => {
    const base = await tempDir();
    const day = 24 * 3600 * 1000;
    const times = ['2026-01-01T00:00:00.000Z', '2026-01-09T00:00:00.000Z', '2026-01-10T00:00:00.000Z'];
    const results = await migrateTimes(base, times, { maxBackupAgeMs: 2 * day });
    expect(results[1]?.prunedBackups).toEqual([join(base, 'sessions.json.bak.2026-01-01T00-00-00.000Z')]);
    expect(results[2]?.prunedBackups).toEqual([]);
    expect(backups(base)).toEqual(['sessions.json.bak.2026-01-09T00-00-00.000Z', 'sessions.json.bak.2026-01-10T00-00-00.000Z']);
    const lone = await tempDir();
    await migrateTimes(lone, ['2020-01-01T00:00:00.000Z'], { maxBackupAgeMs: 0 });
    expect(backups(lone)).toHaveLength(1);
  });

  it('leaves alone names that are not exactly a backup of this store, and directories', async () => {
    const base = await tempDir();
    for (const name of ['sessions.json.bak.note', 'sessions.json.bak.2026-01-01T00-00-00.000Z.txt', 'other.json.bak.2020-01-01T00-00-00.000Z']) {
      writeFileSync(join(base, name), 'keep');
    }
    mkdirSync(join(base, 'sessions.json.bak.2019-01-01T00-00-00.000Z'));
    await migrateTimes(base, ['2026-02-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z'], { keepBackups: 1 });
    for (const name of ['sessions.json.bak.note', 'sessions.json.bak.2026-01-01T00-00-00.000Z.txt', 'other.json.bak.2020-01-01T00-00-00.000Z']) {
      expect(readFileSync(join(base, name), 'utf8')).toBe('keep');
    }
    expect(existsSync(join(base, 'sessions.json.bak.2019-01-01T00-00-00.000Z'))).toBe(true);
    expect(existsSync(join(base, 'sessions.json.bak.2026-02-01T00-00-00.000Z'))).toBe(false);
  });

  it('bad retention options are a TypeError before anything is touched', async () => {
    const { path } = await legacyIn('{"a":{"updatedAt":1}}');
    for (const keepBackups of [0, -1, 1.5, Number.NaN]) {
      expect((await caught(migrate(path, { keepBackups }))).name).toBe('TypeError');
    }
    expect((await caught(migrate(path, { maxBackupAgeMs: -1 }))).message).toContain('maxBackupAgeMs');
    expect(readFileSync(path, 'utf8')).toBe('{"a":{"updatedAt":1}}');
  });
});
