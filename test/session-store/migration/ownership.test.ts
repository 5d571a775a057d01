// A shared parent (sticky, world-writable: openDir's policy accepts it) lets another local user
// plant files beside the store. Every such file is reported and left alone; the store opens.
// The attacker is a real second user writing into a real 1777 directory.
import { existsSync, lstatSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateSessionStoreToDirectory, openSessionStore } from '../../../src/session-store/index.js';
import { runAsSecondUser, secondUser, secondUserSkipReason } from '../../support/second-user.js';
import { backups, legacyStores, recordingLogger, stickyShared } from './support.js';

const { tempDir } = legacyStores();
const skip = secondUserSkipReason() !== undefined;

/** Runs fs calls as the second user: `ops` is [fsFunction, ...args][] with string/number args. */
async function asAttacker(ops: unknown[][]): Promise<void> {
  const script = `
    import * as fs from 'node:fs';
    const ops = JSON.parse(process.argv[1]);
    for (const [fn, ...args] of ops) fs[fn](...args);
  `;
  await runAsSecondUser(script, [JSON.stringify(ops)]);
}

async function victimStore(): Promise<{ shared: string; storePath: string }> {
  const shared = stickyShared(await tempDir());
  const storePath = join(shared, 'sessions.json');
  const store = await openSessionStore(storePath, { logger: recordingLogger().logger, fsync: false });
  await store.update('victim:key', () => ({ updatedAt: 100, secret: 'mine' }));
  await store.close();
  return { shared, storePath };
}

function attackerUid(): number {
  return secondUser()?.uid ?? -1;
}

describe.skipIf(skip)('files planted beside the store by another user', () => {
  it('a planted sessions.json with a newer updatedAt is not merged: the committed entry stays, no key is added, the file is left and reported', async () => {
    const { storePath } = await victimStore();
    const planted = JSON.stringify({ 'victim:key': { updatedAt: 9e15, secret: 'evil' }, 'evil:key': { updatedAt: 1 } });
    await asAttacker([['writeFileSync', storePath, planted]]);
    const { warnings, logger } = recordingLogger();
    const store = await openSessionStore(storePath, { logger, fsync: false });
    try {
      expect(await store.get('victim:key')).toEqual({ updatedAt: 100, secret: 'mine' });
      expect(await store.get('evil:key')).toBeUndefined();
      expect(Object.keys(await store.loadAll())).toEqual(['victim:key']);
    } finally {
      await store.close();
    }
    expect(readFileSync(storePath, 'utf8')).toBe(planted);
    expect(statSync(storePath).uid).toBe(attackerUid());
    const warning = warnings.find((w) => w.details?.['file'] === storePath);
    expect(warning?.message).toContain('not trusted');
    expect(warning?.details?.['ownerUid']).toBe(attackerUid());
    expect(String(warning?.details?.['reason'])).toContain("not owned by the store's owner");
    // And again: later opens keep working (today they failed with EPERM).
    const again = await openSessionStore(storePath, { logger: recordingLogger().logger, fsync: false });
    expect(await again.get('victim:key')).toEqual({ updatedAt: 100, secret: 'mine' });
    await again.close();
  });

  it('migrateSessionStoreToDirectory reports the planted file in leftAlone instead of migrating it', async () => {
    const { storePath } = await victimStore();
    await asAttacker([['writeFileSync', storePath, '{"victim:key":{"updatedAt":9e15}}']]);
    const result = await migrateSessionStoreToDirectory(storePath, { logger: recordingLogger().logger, fsync: false });
    expect(result.migrated).toBe(false);
    expect(result.leftAlone).toEqual([{ path: storePath, reason: expect.stringContaining(`owner uid ${attackerUid()}`) as string, ownerUid: attackerUid() }]);
    expect(result.reason).toContain('left alone');
    expect(backups(join(storePath, '..'))).toEqual([]);
  });

  it('a 1-byte or unparseable planted sessions.json does not make the store unopenable', async () => {
    const { storePath } = await victimStore();
    await asAttacker([['writeFileSync', storePath, '{']]);
    const { warnings, logger } = recordingLogger();
    const store = await openSessionStore(storePath, { logger, fsync: false });
    expect(await store.get('victim:key')).toEqual({ updatedAt: 100, secret: 'mine' });
    await store.close();
    expect(readFileSync(storePath, 'utf8')).toBe('{');
    expect(warnings.some((w) => w.details?.['file'] === storePath && w.details['ownerUid'] === attackerUid())).toBe(true);
  });

  it('a planted symlink or FIFO at sessions.json is left alone, not an ESYMLINK/EINSECURE at every open', async () => {
    const { shared, storePath } = await victimStore();
    await asAttacker([['symlinkSync', '/etc/passwd', storePath]]);
    const first = await openSessionStore(storePath, { logger: recordingLogger().logger, fsync: false });
    expect(await first.get('victim:key')).toEqual({ updatedAt: 100, secret: 'mine' });
    await first.close();
    expect(lstatSync(storePath).isSymbolicLink()).toBe(true);
    const fifoStore = join(shared, 'other.json');
    // node:fs cannot make a FIFO: mkfifo(1), run as the second user.
    await runAsSecondUser(`import { execFileSync } from 'node:child_process'; execFileSync('mkfifo', [process.argv[1]]);`, [fifoStore]);
    const result = await migrateSessionStoreToDirectory(fifoStore, { logger: recordingLogger().logger, fsync: false });
    expect(result.migrated).toBe(false);
    expect(result.leftAlone[0]?.ownerUid).toBe(attackerUid());
  });

  it('a planted sessions.d.migrating/ is left alone; the store opens and a legacy file of ours is merged beside it', async () => {
    const shared = stickyShared(await tempDir());
    const storePath = join(shared, 'sessions.json');
    const staging = join(shared, 'sessions.d.migrating');
    await asAttacker([
      ['mkdirSync', staging],
      ['writeFileSync', join(staging, 'planted.json'), '{"v":1,"key":"planted","rev":1,"entry":{}}'],
    ]);
    writeFileSync(storePath, JSON.stringify({ mine: { updatedAt: 5 } }), { mode: 0o600 });
    const { warnings, logger } = recordingLogger();
    const store = await openSessionStore(storePath, { logger, fsync: false });
    try {
      expect(await store.get('mine')).toEqual({ updatedAt: 5 });
      expect(await store.get('planted')).toBeUndefined();
    } finally {
      await store.close();
    }
    expect(existsSync(join(staging, 'planted.json'))).toBe(true);
    expect(existsSync(storePath)).toBe(false); // ours: migrated and backed up
    expect(backups(shared)).toHaveLength(1);
    expect(warnings.some((w) => w.details?.['file'] === staging && w.details['ownerUid'] === attackerUid())).toBe(true);
    // With no legacy file, the open that would discard a leftover staging dir leaves it too.
    const again = await openSessionStore(storePath, { logger: recordingLogger().logger, fsync: false });
    await again.close();
    expect(existsSync(staging)).toBe(true);
  });

  it("a planted sessions.json.lock or migration lock is not judged or removed: the store opens, the migration waits for a later run", async () => {
    for (const lockName of ['sessions.json.lock', '.sessions.migrate.lock']) {
      const shared = stickyShared(await tempDir());
      const storePath = join(shared, 'sessions.json');
      const lockPath = join(shared, lockName);
      await asAttacker([['writeFileSync', lockPath, JSON.stringify({ pid: 1, createdAt: new Date(0).toISOString() })]]);
      writeFileSync(storePath, JSON.stringify({ mine: { updatedAt: 5 } }), { mode: 0o600 });
      const { warnings, logger } = recordingLogger();
      const result = await migrateSessionStoreToDirectory(storePath, { logger, fsync: false, lockTimeoutMs: 200 });
      expect(result.migrated).toBe(false);
      expect(result.leftAlone).toEqual([{ path: lockPath, reason: expect.stringContaining('not owned') as string, ownerUid: attackerUid() }]);
      expect(existsSync(lockPath)).toBe(true);
      expect(readFileSync(storePath, 'utf8')).toContain('mine');
      expect(warnings.some((w) => w.details?.['file'] === lockPath)).toBe(true);
      const store = await openSessionStore(storePath, { logger: recordingLogger().logger, fsync: false });
      await store.close();
    }
  });

  it("backups planted by another user are never pruned nor counted against keepBackups", async () => {
    const shared = stickyShared(await tempDir());
    const storePath = join(shared, 'sessions.json');
    const planted = join(shared, 'sessions.json.bak.2000-01-01T00-00-00.000Z');
    await asAttacker([['writeFileSync', planted, '{}']]);
    for (let run = 0; run < 3; run += 1) {
      writeFileSync(storePath, JSON.stringify({ [`k${run}`]: { updatedAt: run } }), { mode: 0o600 });
      await migrateSessionStoreToDirectory(storePath, { logger: recordingLogger().logger, fsync: false, keepBackups: 2 });
    }
    const left = backups(shared);
    expect(left).toContain('sessions.json.bak.2000-01-01T00-00-00.000Z');
    expect(left.filter((name) => !name.startsWith('sessions.json.bak.2000'))).toHaveLength(2);
  });
});
