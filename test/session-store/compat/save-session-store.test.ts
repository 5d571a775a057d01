// saveSessionStore(storePath, record): replaces the store's content; the first write for a new
// agent creates its directories. Ported from the gateway's store.directory.test.ts (directory
// store operations) and its call sites (the sessions directory of a new agent does not exist yet).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSessionStore, resolveSessionStoreDir, saveSessionStore } from '../../../src/session-store/compat/index.js';
import { entryFileName } from '../../../src/session-store/index.js';
import { caught } from '../../support/tmp.js';
import { configure, useCompatFixtures } from './support.js';

const { caseDir } = useCompatFixtures();

async function newStorePath(): Promise<string> {
  return join(await caseDir('dirstore'), 'sessions.json');
}

describe('saveSessionStore (gateway store.directory.test.ts: directory store operations)', () => {
  it('saves and loads entries via directory store', async () => {
    const storePath = await newStorePath();
    await saveSessionStore(storePath, { 'agent:main:test': { sessionId: 'a', updatedAt: Date.now(), modelOverride: 'gpt-4' } });
    expect(loadSessionStore(storePath)['agent:main:test']?.['modelOverride']).toBe('gpt-4');
  });

  it('creates per-session JSON files with sanitized names', async () => {
    const storePath = await newStorePath();
    const key = 'agent:main:telegram:direct:james';
    await saveSessionStore(storePath, { [key]: { sessionId: 'sess-j', updatedAt: 1 } });
    const file = join(resolveSessionStoreDir(storePath), entryFileName(key));
    expect(statSync(file).isFile()).toBe(true);
    // hardfs differs: the file is a record naming its key (so a renamed or planted file is caught), the entry inside it.
    const content = JSON.parse(readFileSync(file, 'utf8')) as { key: string; entry: { sessionId: string } };
    expect(content.key).toBe(key);
    expect(content.entry.sessionId).toBe('sess-j');
  });

  it('removes deleted entries from directory', async () => {
    const storePath = await newStorePath();
    const store: Record<string, { sessionId: string; updatedAt: number }> = {
      'agent:main:keep': { sessionId: 'k', updatedAt: 1 },
      'agent:main:delete': { sessionId: 'd', updatedAt: 1 },
    };
    await saveSessionStore(storePath, store);
    delete store['agent:main:delete'];
    await saveSessionStore(storePath, store);
    const loaded = loadSessionStore(storePath);
    expect(loaded['agent:main:keep']).toBeDefined();
    expect(loaded['agent:main:delete']).toBeUndefined();
    expect(existsSync(join(resolveSessionStoreDir(storePath), entryFileName('agent:main:delete')))).toBe(false);
  });

  it('mixed-case keys in the record are stored under their canonical key, once', async () => {
    const storePath = await newStorePath();
    await saveSessionStore(storePath, { 'Agent:Main:X': { sessionId: 'x', updatedAt: 1 } });
    await saveSessionStore(storePath, { 'AGENT:MAIN:X': { sessionId: 'x2', updatedAt: 2 } });
    expect(loadSessionStore(storePath)).toEqual({ 'agent:main:x': { sessionId: 'x2', updatedAt: 2 } });
  });

  it('refuses something that is not a record of entries', async () => {
    const storePath = await newStorePath();
    const error = await caught(saveSessionStore(storePath, [] as unknown as Record<string, never>));
    expect(error).toBeInstanceOf(TypeError);
    expect(existsSync(resolveSessionStoreDir(storePath))).toBe(false);
  });
});

describe('the first write for a new agent', () => {
  it('creates the missing sessions directories (0o700) and the store', async () => {
    const stateDir = await caseDir('state');
    const storePath = join(stateDir, 'agents', 'new-agent', 'sessions', 'sessions.json');
    await saveSessionStore(storePath, { 'agent:new-agent:main': { sessionId: 'n', updatedAt: 1 } });
    expect(statSync(join(stateDir, 'agents')).mode & 0o777).toBe(0o700);
    expect(statSync(join(stateDir, 'agents', 'new-agent', 'sessions')).mode & 0o777).toBe(0o700);
    expect(loadSessionStore(storePath)['agent:new-agent:main']?.['sessionId']).toBe('n');
  });

  it('never creates them through a symlink planted below the state directory', async () => {
    const stateDir = await caseDir('state');
    configure({ root: stateDir });
    const outside = await caseDir('outside');
    mkdirSync(join(stateDir, 'agents'));
    symlinkSync(outside, join(stateDir, 'agents', 'new-agent'));
    const storePath = join(stateDir, 'agents', 'new-agent', 'sessions', 'sessions.json');
    const error = await caught(saveSessionStore(storePath, { k: { updatedAt: 1 } }));
    expect(error.code).toBe('ESYMLINK');
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe('a store replaced behind the compat functions', () => {
  it('a store whose directory was removed is opened again by the next write, and reads follow', async () => {
    const storePath = await newStorePath();
    await saveSessionStore(storePath, { a: { sessionId: 'a', updatedAt: 1 } });
    expect(Object.keys(loadSessionStore(storePath))).toEqual(['a']);
    rmSync(resolveSessionStoreDir(storePath), { recursive: true, force: true });
    await saveSessionStore(storePath, { b: { sessionId: 'b', updatedAt: 2 } });
    expect(loadSessionStore(storePath)).toEqual({ b: { sessionId: 'b', updatedAt: 2 } });
  });
});
