import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeSessionStores, entryFileName, openSessionStore } from '../../src/session-store/index.js';
import { runAsSecondUser, secondUserSkipReason } from '../support/second-user.js';
import { useTempDirs } from '../support/tmp.js';
import { requireBuiltCli, runCli, runCliJson } from './cli-support.js';

requireBuiltCli();
afterEach(() => closeSessionStores());

interface ListJson {
  command: string;
  storePath: string;
  source: 'directory' | 'legacy';
  path: string;
  count: number;
  entries: { key: string; updatedAt: string | null; size: number; rev: number | null; file: string }[];
  problems: { file: string; detail: string }[];
}

const quiet = { warn: () => undefined };
const T1 = Date.UTC(2024, 10, 25, 12, 0, 0);
const T2 = Date.UTC(2024, 10, 26, 8, 30, 0);

async function makeStore(base: string): Promise<{ storePath: string; dir: string }> {
  const storePath = join(base, 'sessions.json');
  const store = await openSessionStore(storePath, { fsync: false, logger: quiet });
  await store.update('agent:main:chat-1', () => ({ updatedAt: T1, model: 'x' }));
  await store.update('agent:main:chat-1', (entry) => ({ ...entry, updatedAt: T2 }));
  await store.update('agent:ops:job', () => ({ updatedAt: T1, steps: [1, 2, 3] }));
  await store.update('no-timestamp', () => ({ note: 'hi' }));
  await store.close();
  return { storePath, dir: join(base, 'sessions.d') };
}

describe('hardfs sessions inspect', () => {
  const tempDir = useTempDirs();

  it('lists keys with updatedAt (ISO) and file size, as a table and as JSON', async () => {
    const { storePath, dir } = await makeStore(await tempDir());
    const human = await runCli(['sessions', 'inspect', storePath]);
    expect(human.status).toBe(0);
    const size = (key: string): number => statSync(join(dir, entryFileName(key))).size;
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KEY +UPDATED AT +SIZE$/);
    expect(lines[1]).toMatch(new RegExp(`^agent:main:chat-1 +2024-11-26T08:30:00\\.000Z +${size('agent:main:chat-1')}$`));
    expect(lines[2]).toMatch(new RegExp(`^agent:ops:job +2024-11-25T12:00:00\\.000Z +${size('agent:ops:job')}$`));
    expect(lines[3]).toMatch(new RegExp(`^no-timestamp +- +${size('no-timestamp')}$`));
    expect(lines[4]).toBe(`3 entries in ${dir}.`);

    const { status, json } = await runCliJson<ListJson>(['sessions', 'inspect', storePath]);
    expect(status).toBe(0);
    expect(json).toMatchObject({ command: 'sessions inspect', storePath, source: 'directory', path: dir, count: 3, problems: [] });
    expect(json.entries).toEqual([
      { key: 'agent:main:chat-1', updatedAt: '2024-11-26T08:30:00.000Z', size: size('agent:main:chat-1'), rev: 2, file: entryFileName('agent:main:chat-1') },
      { key: 'agent:ops:job', updatedAt: '2024-11-25T12:00:00.000Z', size: size('agent:ops:job'), rev: 1, file: entryFileName('agent:ops:job') },
      { key: 'no-timestamp', updatedAt: null, size: size('no-timestamp'), rev: 1, file: entryFileName('no-timestamp') },
    ]);
  });

  it('prints one entry (normalizing the key as the store does); a missing key exits 1', async () => {
    const { storePath } = await makeStore(await tempDir());
    const human = await runCli(['sessions', 'inspect', storePath, '  Agent:OPS:Job ']);
    expect(human.status).toBe(0);
    expect(JSON.parse(human.stdout)).toEqual({ updatedAt: T1, steps: [1, 2, 3] });
    const { status, json } = await runCliJson(['sessions', 'inspect', storePath, 'agent:main:chat-1']);
    expect(status).toBe(0);
    expect(json).toMatchObject({ found: true, key: 'agent:main:chat-1', rev: 2, updatedAt: '2024-11-26T08:30:00.000Z', entry: { updatedAt: T2, model: 'x' } });
    const missing = await runCli(['sessions', 'inspect', storePath, 'nope']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no entry for key "nope"');
    const missingJson = await runCliJson(['sessions', 'inspect', storePath, 'nope']);
    expect(missingJson.status).toBe(1);
    expect(missingJson.json).toMatchObject({ found: false, requestedKey: 'nope' });
  });

  it('a relative store path is relative to the working directory', async () => {
    const base = await tempDir();
    const { storePath, dir } = await makeStore(base);
    const { status, json } = await runCliJson<ListJson>(['sessions', 'inspect', 'sessions.d'], { cwd: base });
    expect(status).toBe(0);
    expect(json).toMatchObject({ storePath, path: dir, count: 3 });
  });

  it('is read-only: a bad file is listed as a problem and stays where it is', async () => {
    const { storePath, dir } = await makeStore(await tempDir());
    writeFileSync(join(dir, 'junk.json'), 'not json', { mode: 0o600 });
    const before = readdirSync(dir).sort();
    const { status, json } = await runCliJson<ListJson>(['sessions', 'inspect', storePath]);
    expect(status).toBe(0);
    expect(json.count).toBe(3);
    expect(json.problems).toEqual([{ file: 'junk.json', detail: expect.stringMatching(/^ECORRUPT/) as unknown }]);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(existsSync(join(dir, '.quarantine'))).toBe(false);
    expect((await runCli(['sessions', 'inspect', storePath])).stdout).toContain('1 file could not be shown (run hardfs sessions verify)');
  });

  it('a store not migrated yet is read from its legacy file, which is neither migrated nor moved', async () => {
    const base = await tempDir();
    const storePath = join(base, 'sessions.json');
    writeFileSync(storePath, JSON.stringify({ 'Agent:A': { updatedAt: T1 }, dead: null }), { mode: 0o600 });
    const { status, json } = await runCliJson<ListJson>(['sessions', 'inspect', storePath]);
    expect(status).toBe(0);
    expect(json).toMatchObject({ source: 'legacy', count: 1, entries: [{ key: 'Agent:A', updatedAt: '2024-11-25T12:00:00.000Z', rev: null }] });
    expect(json.problems).toHaveLength(1);
    const one = await runCli(['sessions', 'inspect', storePath, 'agent:a']);
    expect(one.status).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual({ updatedAt: T1 });
    expect(readdirSync(base)).toEqual(['sessions.json']);
  });

  it('exits 2 when there is no store', async () => {
    const base = await tempDir();
    const result = await runCli(['sessions', 'inspect', join(base, 'sessions.json')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^hardfs sessions inspect: cannot inspect .*: ENOENT: no session store/);
    expect(readdirSync(base)).toEqual([]);
  });

  it.skipIf(secondUserSkipReason() !== undefined)('a legacy file another user planted is not shown as the store\'s data (exit 2, with a hint)', async () => {
    const base = await tempDir();
    chmodSync(base, 0o755);
    const shared = join(base, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const store = join(shared, 'sessions.json');
    await runAsSecondUser(`import { writeFileSync } from 'node:fs'; writeFileSync(process.argv[1], '{"victim":{"updatedAt":1,"token":"planted"}}');`, [store]);
    const { status, stdout, stderr } = await runCli(['sessions', 'inspect', store]);
    expect(status).toBe(2);
    expect(stdout).not.toContain('victim');
    expect(stderr).toMatch(/EINSECURE: .*not owned by .*\(owner uid \d+\)/);
    expect(stderr).toContain('hint: another user made this file');
  });
});
