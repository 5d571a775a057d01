// The session store's synchronous open (openSessionStoreSync) and the synchronous read of a
// legacy sessions.json waiting to be migrated (readLegacySessionsSync): read-only, nothing
// created or migrated; the legacy file judged by the migration's owner checks on its descriptor.
import { chownSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSessionStore, openSessionStoreSync, readLegacySessionsSync } from '../../src/session-store/index.js';
import { secondUser, secondUserSkipReason } from '../support/second-user.js';
import { caught, useTempDirs } from '../support/tmp.js';

const quiet = { fsync: false, logger: { warn: () => undefined } };

describe('openSessionStoreSync', () => {
  const tempDir = useTempDirs();

  it('undefined when sessions.d does not exist (parent missing too); nothing created', async () => {
    const base = await tempDir();
    expect(openSessionStoreSync(join(base, 'sessions.json'))).toBeUndefined();
    expect(openSessionStoreSync(join(base, 'agents', 'x', 'sessions.json'))).toBeUndefined();
    expect(readdirSync(base)).toEqual([]);
  });

  it('a legacy sessions.json alone is not migrated by a synchronous open (undefined; the file untouched)', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'sessions.json'), '{"a":{"updatedAt":1}}');
    expect(openSessionStoreSync(join(base, 'sessions.json'))).toBeUndefined();
    expect(readdirSync(base)).toEqual(['sessions.json']);
  });

  it('reads the directory store with the session vocabulary (keys normalized); writes are EUNSUPPORTED', async () => {
    const base = await tempDir();
    const storePath = join(base, 'sessions.json');
    const writer = await openSessionStore(storePath, quiet);
    await writer.update('agent:main', () => ({ sessionId: 's', updatedAt: 7 }));
    await writer.close();
    const reader = openSessionStoreSync(storePath, quiet);
    if (reader === undefined) throw new Error('expected a store');
    expect(reader.getUpdatedAtSync(' Agent:Main ')).toBe(7);
    expect({ ...reader.loadAllSync() }).toEqual({ 'agent:main': { sessionId: 's', updatedAt: 7 } });
    const refused = await caught(reader.update('agent:main', () => ({ updatedAt: 8 })));
    expect(refused.code).toBe('EUNSUPPORTED');
    await reader.close();
  });

  it('a symlinked parent or sessions.d is ESYMLINK, synchronously', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    mkdirSync(join(base, 'real', 'sessions.d'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'linked-parent'));
    const parent = await caught(() => openSessionStoreSync(join(base, 'linked-parent', 'sessions.json')));
    expect(parent.code).toBe('ESYMLINK');
    expect(parent.path).toBe(join(base, 'linked-parent'));
    mkdirSync(join(base, 'p'), { mode: 0o700 });
    symlinkSync(join(base, 'real', 'sessions.d'), join(base, 'p', 'sessions.d'));
    const dir = await caught(() => openSessionStoreSync(join(base, 'p', 'sessions.json')));
    expect(dir.code).toBe('ESYMLINK');
    expect(dir.path).toBe(join(base, 'p', 'sessions.d'));
  });
});

describe('readLegacySessionsSync', () => {
  const tempDir = useTempDirs();

  it('the entries as a migration would plan them: keys normalized, invalid entries skipped, nothing written', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'sessions.json'), JSON.stringify({ ' A:B ': { updatedAt: 2 }, bad: null, c: { updatedAt: 3 } }));
    const read = readLegacySessionsSync(join(base, 'sessions.json'));
    expect(read.kind).toBe('read');
    if (read.kind !== 'read') return;
    expect(Object.fromEntries(read.entries)).toEqual({ 'a:b': { updatedAt: 2 }, c: { updatedAt: 3 } });
    expect(readdirSync(base)).toEqual(['sessions.json']);
  });

  it('absent when there is no file or no parent', async () => {
    const base = await tempDir();
    expect(readLegacySessionsSync(join(base, 'sessions.json'))).toEqual({ kind: 'absent' });
    expect(readLegacySessionsSync(join(base, 'nope', 'sessions.json'))).toEqual({ kind: 'absent' });
  });

  it('invalid JSON is ECORRUPT naming the file, which is left byte-identical', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'sessions.json'), 'not valid json {');
    const error = await caught(() => readLegacySessionsSync(join(base, 'sessions.json')));
    expect(error.code).toBe('ECORRUPT');
    expect(error.path).toBe(join(base, 'sessions.json'));
    expect(error.message).toContain('not valid JSON');
    expect(readFileSync(join(base, 'sessions.json'), 'utf8')).toBe('not valid json {');
  });

  it('a hard-linked legacy file is left alone (judged on the descriptor)', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'sessions.json'), '{"a":{"updatedAt":1}}');
    linkSync(join(base, 'sessions.json'), join(base, 'other.json'));
    const read = readLegacySessionsSync(join(base, 'sessions.json'));
    expect(read.kind).toBe('left-alone');
    if (read.kind === 'left-alone') expect(read.leftAlone.reason).toContain('hard-linked');
  });

  it('a symlink of our own at the legacy name is refused (ESYMLINK), never followed', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'target.json'), '{"a":{"updatedAt":1}}');
    symlinkSync(join(base, 'target.json'), join(base, 'sessions.json'));
    const error = await caught(() => readLegacySessionsSync(join(base, 'sessions.json')));
    expect(error.code).toBe('ESYMLINK');
    expect(error.path).toBe(join(base, 'sessions.json'));
  });

  it.skipIf(secondUserSkipReason() !== undefined)('a legacy file owned by another user is left alone, not read', async () => {
    const user = secondUser();
    if (!user) return;
    const base = await tempDir();
    writeFileSync(join(base, 'sessions.json'), '{"a":{"updatedAt":1}}');
    chownSync(join(base, 'sessions.json'), user.uid, user.gid);
    const read = readLegacySessionsSync(join(base, 'sessions.json'));
    expect(read).toMatchObject({ kind: 'left-alone', leftAlone: { ownerUid: user.uid } });
  });
});
