// The synchronous reads the gateway relies on (64 loadSessionStore and 16 readSessionUpdatedAt
// call sites, none awaited), including a first call for a path this process has not opened.
import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  clearSessionStoreCacheForTest,
  loadSessionStore,
  readSessionUpdatedAt,
  saveSessionStore,
} from '../../../src/session-store/compat/index.js';
import { openSessionStore } from '../../../src/session-store/index.js';
import { caught } from '../../support/tmp.js';
import { useCompatFixtures, warnings } from './support.js';

const { caseDir, storeFixture } = useCompatFixtures({ needsSyncReads: false });
const WRITER = new URL('./fixtures/multi-key-writer.mjs', import.meta.url).pathname;

describe('synchronous reads', () => {
  it('read a store that does not exist as empty, creating nothing', async () => {
    const dir = await caseDir('sync');
    expect(loadSessionStore(join(dir, 'sessions.json'))).toEqual({});
    expect(readSessionUpdatedAt({ storePath: join(dir, 'sessions.json'), sessionKey: 'k' })).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('read a store whose parent directory does not exist as empty, creating nothing', async () => {
    const dir = await caseDir('sync');
    expect(loadSessionStore(join(dir, 'agents', 'new', 'sessions', 'sessions.json'))).toEqual({});
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a first synchronous read of a store written by another handle sees its entries, and creates nothing in it', async () => {
    const storePath = join(await caseDir('sync'), 'sessions.json');
    const writer = await openSessionStore(storePath, { fsync: false });
    await writer.update('agent:a', () => ({ sessionId: 'a', updatedAt: 5 }));
    const before = readdirSync(writer.directoryPath).sort();
    expect(loadSessionStore(storePath)).toEqual({ 'agent:a': { sessionId: 'a', updatedAt: 5 } });
    expect(readSessionUpdatedAt({ storePath, sessionKey: 'Agent:A' })).toBe(5);
    // The next commit by the other handle is visible to the very next synchronous read.
    await writer.update('agent:a', () => ({ sessionId: 'a', updatedAt: 6 }));
    expect(readSessionUpdatedAt({ storePath, sessionKey: 'agent:a' })).toBe(6);
    expect(readdirSync(writer.directoryPath).sort()).toEqual(before);
    await writer.close();
  });

  it('a store directory replaced after a synchronous read: the next read is ECLOSED with the path, the one after reads the new directory', async () => {
    const base = await caseDir('sync');
    const storePath = join(base, 'sessions.json');
    const first = await openSessionStore(storePath, { fsync: false });
    await first.update('agent:a', () => ({ sessionId: 'old', updatedAt: 1 }));
    await first.close();
    expect(loadSessionStore(storePath)).toEqual({ 'agent:a': { sessionId: 'old', updatedAt: 1 } });
    renameSync(join(base, 'sessions.d'), join(base, 'sessions.d.old'));
    const second = await openSessionStore(storePath, { fsync: false });
    await second.update('agent:b', () => ({ sessionId: 'new', updatedAt: 2 }));
    await second.close();
    const error = await caught(() => loadSessionStore(storePath));
    expect(error.code).toBe('ECLOSED');
    expect(error.path).toBe(join(base, 'sessions.d'));
    expect(error.message).toContain('store directory was removed or replaced');
    expect(loadSessionStore(storePath)).toEqual({ 'agent:b': { sessionId: 'new', updatedAt: 2 } });
    expect(readSessionUpdatedAt({ storePath, sessionKey: 'agent:b' })).toBe(2);
  });

  it('a store directory removed, or only its .locks replaced, after a synchronous read: ECLOSED naming which, then the next read recovers', async () => {
    const base = await caseDir('sync-gone');
    const storePath = join(base, 'sessions.json');
    const writer = await openSessionStore(storePath, { fsync: false });
    await writer.update('agent:a', () => ({ sessionId: 'a', updatedAt: 1 }));
    await writer.close();
    expect(loadSessionStore(storePath)).toEqual({ 'agent:a': { sessionId: 'a', updatedAt: 1 } });
    const locks = join(base, 'sessions.d', '.locks');
    renameSync(locks, `${locks}.old`);
    mkdirSync(locks, { mode: 0o700 });
    const lockError = await caught(() => loadSessionStore(storePath));
    expect([lockError.code, lockError.path]).toEqual(['ECLOSED', locks]);
    expect(lockError.message).toContain("store's lock directory was removed or replaced");
    expect(loadSessionStore(storePath)).toEqual({ 'agent:a': { sessionId: 'a', updatedAt: 1 } });
    renameSync(join(base, 'sessions.d'), join(base, 'gone.d'));
    const goneError = await caught(() => loadSessionStore(storePath));
    expect([goneError.code, goneError.path]).toEqual(['ECLOSED', join(base, 'sessions.d')]);
    expect(goneError.message).toContain('store directory was removed or replaced');
  });

  it('a legacy sessions.json not migrated yet is read through the owner-checked reader, not migrated', async () => {
    const { dir, storePath } = await storeFixture({ ' Agent:Main ': { sessionId: 'm', updatedAt: 3 } });
    expect(loadSessionStore(storePath)).toEqual({ 'agent:main': { sessionId: 'm', updatedAt: 3 } });
    expect(readSessionUpdatedAt({ storePath, sessionKey: 'agent:main' })).toBe(3);
    expect(readdirSync(dir)).toEqual(['sessions.json']); // no sessions.d, no backup: nothing migrated
    // The first write migrates it; reads then come from the directory.
    await saveSessionStore(storePath, { 'agent:main': { sessionId: 'm', updatedAt: 4 } }, { skipMaintenance: true });
    expect(existsSync(join(dir, 'sessions.d'))).toBe(true);
    expect(readSessionUpdatedAt({ storePath, sessionKey: 'agent:main' })).toBe(4);
  });

  it('a hard-linked legacy sessions.json is left alone by a synchronous read (reads as empty)', async () => {
    const { dir, storePath } = await storeFixture({ a: { sessionId: 'a', updatedAt: 1 } });
    mkdirSync(join(dir, 'elsewhere'));
    linkSync(storePath, join(dir, 'elsewhere', 'copy.json'));
    expect(loadSessionStore(storePath)).toEqual({});
  });

  it('a symlinked store directory is refused synchronously (ESYMLINK), nothing created', async () => {
    const dir = await caseDir('sync');
    const real = join(dir, 'real.d');
    mkdirSync(real, { mode: 0o700 });
    writeFileSync(join(real, 'x.json'), '{}');
    symlinkSync(real, join(dir, 'sessions.d'));
    const error = await caught(() => loadSessionStore(join(dir, 'sessions.json')));
    expect(error.code).toBe('ESYMLINK');
    expect(error.path).toBe(join(dir, 'sessions.d'));
    expect(readdirSync(dir).sort()).toEqual(['real.d', 'sessions.d']);
    expect(readdirSync(real)).toEqual(['x.json']);
  });

  it('clearSessionStoreCacheForTest forgets every store at once: the next synchronous read opens it again', async () => {
    const storePath = join(await caseDir('sync'), 'sessions.json');
    await saveSessionStore(storePath, { a: { updatedAt: 1 } }, { skipMaintenance: true });
    expect(Object.keys(loadSessionStore(storePath))).toEqual(['a']);
    clearSessionStoreCacheForTest();
    expect(Object.keys(loadSessionStore(storePath))).toEqual(['a']);
    await saveSessionStore(storePath, { b: { updatedAt: 2 } }, { skipMaintenance: true });
    expect(Object.keys(loadSessionStore(storePath))).toEqual(['b']);
    expect(warnings).toEqual([]);
  });

  it('a commit by another process is seen by this process\'s next synchronous read', async () => {
    const storePath = join(await caseDir('sync'), 'sessions.json');
    await saveSessionStore(storePath, { a: { updatedAt: 1 } }, { skipMaintenance: true });
    clearSessionStoreCacheForTest();
    expect(readSessionUpdatedAt({ storePath, sessionKey: 'a' })).toBe(1); // opened read-only, synchronously
    await new Promise<void>((done, fail) => {
      const child = spawn(process.execPath, [WRITER, storePath]);
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      child.on('error', fail);
      child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`writer exited ${String(code)}: ${err}`))));
    });
    expect(readSessionUpdatedAt({ storePath, sessionKey: 'a' })).toBe(2);
    expect(loadSessionStore(storePath)).toEqual({ a: { updatedAt: 2 }, b: { updatedAt: 2 } });
  });
});
