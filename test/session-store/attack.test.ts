// Hostile filesystem states around and inside a store: symlinks, planted files, garbage, crash
// leftovers. Nothing may be written, moved or read outside the store, nothing may reach
// Object.prototype, and nothing is deleted silently.
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeKey } from '../../src/index.js';
import { entryFileName, listAgentSessionDirs, openSessionStore, type SessionStore, type SessionStoreOptions } from '../../src/session-store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

/** Every store a test opens is closed after it, also when an assertion failed midway. */
const opened: SessionStore[] = [];
async function open(path: string, options: SessionStoreOptions): Promise<SessionStore> {
  const store = await openSessionStore(path, options);
  opened.push(store);
  return store;
}
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

function recordText(key: string, entry: object, rev = 1): string {
  return JSON.stringify({ v: 1, key, rev, entry });
}

/** A store directory holding the given files (name → content), created before the store opens. */
async function plantedStore(files: Record<string, string | Buffer>) {
  const base = await tempDir();
  const dir = join(base, 'sessions.d');
  mkdirSync(dir, { mode: 0o700 });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
  const warnings: Array<{ message: string; details: Record<string, unknown> | undefined }> = [];
  const options: SessionStoreOptions = { fsync: false, logger: { warn: (message, details) => warnings.push({ message, details }) } };
  return { base, dir, path: join(base, 'sessions.json'), warnings, options, quarantine: join(dir, '.quarantine') };
}

/** The quarantined copy of `name` (there must be exactly one). */
function quarantined(quarantineDir: string, name: string): string {
  const copies = readdirSync(quarantineDir).filter((entry) => entry.startsWith(`${name}.`));
  expect(copies).toHaveLength(1);
  return join(quarantineDir, copies[0] as string);
}

function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    const stats = lstatSync(path);
    out[name] = stats.isFile() ? `${stats.ino}:${stats.mtimeMs}:${readFileSync(path, 'base64')}` : stats.isSymbolicLink() ? `link:${readlinkSync(path)}` : `dir:${stats.ino}`;
  }
  return out;
}

describe('symlinks around the store', () => {
  it('a symlinked sessions.d (pointing outside) is refused with ESYMLINK; nothing is written outside', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    writeFileSync(join(outside, 'victim.json'), 'precious');
    const before = snapshotTree(outside);
    symlinkSync(outside, join(base, 'sessions.d'));
    const error = await caught(openSessionStore(join(base, 'sessions.json'), { fsync: false }));
    expect(error.code).toBe('ESYMLINK');
    expect(snapshotTree(outside)).toEqual(before);
    expect(lstatSync(join(base, 'sessions.d')).isSymbolicLink()).toBe(true);

    // The same with a legacy file to migrate: refused, the legacy file untouched.
    writeFileSync(join(base, 'sessions.json'), '{"a":{"updatedAt":1}}');
    expect((await caught(openSessionStore(join(base, 'sessions.json'), { fsync: false }))).code).toBe('ESYMLINK');
    expect(readFileSync(join(base, 'sessions.json'), 'utf8')).toBe('{"a":{"updatedAt":1}}');
    expect(snapshotTree(outside)).toEqual(before);
  });

  it('a symlinked staging dir (sessions.d.migrating) is refused; nothing is written or removed outside', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    writeFileSync(join(outside, 'victim'), 'precious');
    const before = snapshotTree(outside);
    symlinkSync(outside, join(base, 'sessions.d.migrating'));
    writeFileSync(join(base, 'sessions.json'), '{"a":{"updatedAt":1}}');
    expect((await caught(openSessionStore(join(base, 'sessions.json'), { fsync: false }))).code).toBe('ESYMLINK');
    expect(readFileSync(join(base, 'sessions.json'), 'utf8')).toBe('{"a":{"updatedAt":1}}');
    expect(snapshotTree(outside)).toEqual(before);
    rmSync(join(base, 'sessions.json'));
    expect((await caught(openSessionStore(join(base, 'sessions.json'), { fsync: false }))).code).toBe('ESYMLINK');
    expect(snapshotTree(outside)).toEqual(before);
  });

  it('symlinked .locks, .changes or .quarantine inside sessions.d never lead a write outside', async () => {
    for (const name of ['.locks', '.changes', '.quarantine']) {
      const { dir, path, options, warnings } = await plantedStore({ [entryFileName('a')]: recordText('a', { n: 1 }), 'bad.json': 'garbage' });
      const outside = await tempDir();
      writeFileSync(join(outside, 'victim'), 'precious');
      const before = snapshotTree(outside);
      rmSync(join(dir, name), { recursive: true, force: true });
      symlinkSync(name === '.changes' ? join(outside, 'victim') : outside, join(dir, name));
      try {
        const store = await open(path, options);
        await store.loadAll().catch((error: { code?: string }) => expect(error.code).toBe('ESYMLINK'));
        await store.update('b', () => ({ n: 2 })).catch((error: { code?: string }) => expect(error.code).toBe('ESYMLINK'));
        await store.close();
      } catch (error) {
        expect((error as { code?: string }).code).toBe('ESYMLINK');
      }
      expect(snapshotTree(outside)).toEqual(before);
      if (name === '.changes') {
        // The change log is only a hint to caches: a link planted there is replaced (the rename
        // replaces the link itself, never its target) and reported, and the store keeps working.
        expect(lstatSync(join(dir, name)).isFile()).toBe(true);
        expect(warnings.some((warning) => warning.message.includes('replaced the change log (symlink)'))).toBe(true);
      } else {
        expect(lstatSync(join(dir, name)).isSymbolicLink()).toBe(true);
      }
    }
  });

  it('discovery skips symlinked agent dirs and never walks into them', async () => {
    const state = await tempDir();
    const outside = await tempDir();
    mkdirSync(join(outside, 'sessions'), { recursive: true });
    writeFileSync(join(outside, 'sessions', 'sessions.json'), '{"stolen":{"updatedAt":1}}');
    mkdirSync(join(state, 'agents', 'main', 'sessions'), { recursive: true });
    symlinkSync(outside, join(state, 'agents', 'evil'));
    symlinkSync(join(state, 'agents', 'main'), join(state, 'agents', 'alias')); // even inside the state dir
    const skipped: string[] = [];
    const found = await listAgentSessionDirs(state, { onSkipped: (path) => skipped.push(path) });
    expect(found.map((agent) => agent.agentId)).toEqual(['main']);
    expect(skipped.sort()).toEqual([join(state, 'agents', 'alias'), join(state, 'agents', 'evil')]);
    expect(readdirSync(join(outside, 'sessions'))).toEqual(['sessions.json']);
  });
});

describe('planted files inside sessions.d', () => {
  it('__proto__ / constructor / prototype files never pollute Object.prototype and are quarantined', async () => {
    const hostile = (key: string): string => `{"v":1,"key":${JSON.stringify(key)},"rev":1,"entry":{"polluted":true,"__proto__":{"polluted":true}}}`;
    const files: Record<string, string> = {
      '__proto__.json': hostile('__proto__'),
      'constructor.json': hostile('constructor'),
      'prototype.json': hostile('prototype'),
      [`${encodeKey('__defineGetter__')}.json`]: hostile('__defineGetter__'),
      // blocked members at the top or nested in the entry: never dropped silently, so the file
      // is not a valid entry (quarantined like any other)
      [entryFileName('nested')]: '{"v":1,"key":"nested","rev":2,"entry":{"constructor":{"prototype":{"polluted":true}},"n":1}}',
      [entryFileName('top')]: '{"__proto__":{"polluted":true},"v":1,"key":"top","rev":2,"entry":{"n":1}}',
      [entryFileName('ok')]: '{"v":1,"key":"ok","rev":2,"entry":{"n":1}}',
    };
    const { dir, path, options, warnings, quarantine } = await plantedStore(files);
    const store = await open(path, options);
    const all = await store.loadAll();
    expect(Object.keys(all)).toEqual(['ok']);
    expect(Object.keys(all['ok'] as object)).toEqual(['n']);
    expect(await store.get('ok')).toEqual({ n: 1 });
    expect((await caught(store.get('__proto__'))).code).toBe('EBADNAME');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.getPrototypeOf(all)).toBeNull();
    expect(await store.get('nested')).toBeUndefined();
    for (const name of ['__proto__.json', 'constructor.json', 'prototype.json', `${encodeKey('__defineGetter__')}.json`, entryFileName('nested'), entryFileName('top')]) {
      expect(existsSync(join(dir, name))).toBe(false);
      expect(readFileSync(quarantined(quarantine, name), 'utf8')).toBe(files[name]);
    }
    expect(warnings.filter((warning) => warning.message.includes('quarantined'))).toHaveLength(6);
    await store.close();
  });

  it('garbage (non-JSON, arrays, huge depth, binary, empty, oversized) is quarantined with a warning; the rest loads', async () => {
    const garbage: Record<string, string | Buffer> = {
      'text.json': 'not json at all',
      'array.json': '[1,2,3]',
      'deep.json': `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      'deepobj.json': `{"v":1,"key":"deepobj","rev":1,"entry":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`,
      'binary.json': Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x7b]),
      'empty.json': '',
      'null.json': 'null',
      'string.json': '"just a string"',
      'truncated.json': recordText('truncated', { n: 1 }).slice(0, -3),
      'huge.json': recordText('huge', { pad: 'x'.repeat(20_000) }),
    };
    const good = { [entryFileName('good')]: recordText('good', { updatedAt: 1 }, 3), [entryFileName('also')]: recordText('also', { n: 2 }) };
    const { dir, path, warnings, quarantine } = await plantedStore({ ...garbage, ...good });
    const store = await open(path, { fsync: false, maxEntryBytes: 10_000, logger: { warn: (message, details) => warnings.push({ message, details }) } });
    // through get (one key) and through loadAll (the rest)
    expect(await store.get('huge')).toBeUndefined();
    expect(await store.get('deepobj')).toBeUndefined();
    expect(await store.loadAll()).toEqual({ good: { updatedAt: 1 }, also: { n: 2 } });
    for (const [name, content] of Object.entries(garbage)) {
      expect(existsSync(join(dir, name))).toBe(false);
      expect(readFileSync(quarantined(quarantine, name)).equals(Buffer.from(content))).toBe(true);
    }
    expect(warnings).toHaveLength(Object.keys(garbage).length);
    for (const warning of warnings) {
      expect(warning.message).toMatch(/quarantined/);
      expect(warning.details).toMatchObject({ file: expect.any(String), movedTo: expect.stringContaining('.quarantine'), reason: expect.any(String) });
    }
    expect(statSync(quarantine).mode & 0o7777).toBe(0o700);
    // quarantined once: the next load is quiet and the same
    expect(await store.loadAll()).toEqual({ good: { updatedAt: 1 }, also: { n: 2 } });
    await store.update('good', (entry) => ({ ...entry, updatedAt: 2 }));
    expect(await store.get('good')).toEqual({ updatedAt: 2 });
    expect(warnings).toHaveLength(Object.keys(garbage).length);
    await store.close();
  });

  it('each malformed record is quarantined for its own reason: version, key, rev, entry shape, lone surrogate, directory', async () => {
    const files: Record<string, string> = {
      'v2.json': '{"v":2,"key":"v2","rev":1,"entry":{}}',
      'nokey.json': '{"v":1,"rev":1,"entry":{}}',
      'emptykey.json': '{"v":1,"key":"","rev":1,"entry":{}}',
      'norev.json': '{"v":1,"key":"norev","rev":0,"entry":{}}',
      'floatrev.json': '{"v":1,"key":"floatrev","rev":1.5,"entry":{}}',
      'noentry.json': '{"v":1,"key":"noentry","rev":1,"entry":[1]}',
      'nullentry.json': '{"v":1,"key":"nullentry","rev":1,"entry":null}',
      'surrogate.json': '{"v":1,"key":"\\ud800","rev":1,"entry":{}}',
    };
    const { dir, path, warnings, options, quarantine } = await plantedStore(files);
    mkdirSync(join(dir, 'adir.json'));
    const store = await open(path, options);
    expect(await store.loadAll()).toEqual({});
    for (const name of Object.keys(files)) expect(readFileSync(quarantined(quarantine, name), 'utf8')).toBe(files[name]);
    expect(statSync(quarantined(quarantine, 'adir.json')).isDirectory()).toBe(true);
    expect(warnings).toHaveLength(Object.keys(files).length + 1);
    expect(new Set(warnings.map((warning) => warning.details?.['reason'])).size).toBeGreaterThan(5);
    await store.close();
  });

  it('a file named for one key holding another key is quarantined with identical bytes; neither key reads it', async () => {
    const content = recordText('bob', { who: 'bob', updatedAt: 1 });
    const { dir, path, options, warnings, quarantine } = await plantedStore({ [entryFileName('alice')]: content });
    const store = await open(path, options);
    expect(await store.get('bob')).toBeUndefined();
    expect(await store.get('alice')).toBeUndefined();
    expect(existsSync(join(dir, entryFileName('alice')))).toBe(false);
    expect(readFileSync(quarantined(quarantine, entryFileName('alice')), 'utf8')).toBe(content);
    expect(warnings).toHaveLength(1);
    expect(await store.loadAll()).toEqual({});
    // the key is usable again afterwards
    await store.update('alice', () => ({ who: 'alice' }));
    expect(await store.get('alice')).toEqual({ who: 'alice' });
    await store.close();
  });

  it('long-key files (truncated stem + digest) that are garbage or hold another long key are quarantined too', async () => {
    const keyA = `${'k'.repeat(500)}a`;
    const keyB = `${'k'.repeat(500)}b`; // same stem prefix, another digest
    const keyC = `${'k'.repeat(500)}c`;
    expect(entryFileName(keyA).slice(0, 150)).toBe(entryFileName(keyB).slice(0, 150));
    const files = { [entryFileName(keyA)]: recordText(keyB, { who: 'b' }), [entryFileName(keyC)]: 'garbage' };
    const { dir, path, options, warnings, quarantine } = await plantedStore(files);
    const store = await open(path, options);
    expect(await store.get(keyA)).toBeUndefined();
    expect(await store.get(keyB)).toBeUndefined();
    expect(await store.loadAll()).toEqual({});
    for (const [name, content] of Object.entries(files)) {
      expect(existsSync(join(dir, name))).toBe(false);
      expect(readFileSync(quarantined(quarantine, name), 'utf8')).toBe(content);
    }
    expect(warnings).toHaveLength(2);
    await store.update(keyA, () => ({ who: 'a' }));
    expect(await store.get(keyA)).toEqual({ who: 'a' });
    await store.close();
  });

  it('a symlink named x.json pointing outside is quarantined as a link (moved, never followed)', async () => {
    const outside = await tempDir();
    const target = join(outside, 'secret.json');
    writeFileSync(target, recordText('x', { stolen: true }));
    mkdirSync(join(outside, 'dir'));
    const before = snapshotTree(outside);
    const { dir, path, options, warnings, quarantine } = await plantedStore({});
    symlinkSync(target, join(dir, entryFileName('x')));
    symlinkSync(join(outside, 'dir'), join(dir, entryFileName('y')));
    symlinkSync(target, join(dir, entryFileName('z')));
    const store = await open(path, options);
    expect(await store.get('x')).toBeUndefined(); // through get: O_NOFOLLOW
    expect(await store.loadAll()).toEqual({}); // through loadAll: the directory listing
    for (const [key, pointsTo] of [['x', target], ['y', join(outside, 'dir')], ['z', target]] as const) {
      expect(existsSync(join(dir, entryFileName(key)))).toBe(false);
      const moved = quarantined(quarantine, entryFileName(key));
      expect(lstatSync(moved).isSymbolicLink()).toBe(true);
      expect(readlinkSync(moved)).toBe(pointsTo);
    }
    expect(warnings).toHaveLength(3);
    // writing the key afterwards writes inside the store, not through any link
    await store.update('x', () => ({ mine: true }));
    expect(lstatSync(join(dir, entryFileName('x'))).isFile()).toBe(true);
    expect(snapshotTree(outside)).toEqual(before);
    await store.close();
  });

  it('a hard link to an outside file is replaced on write, never written through', async () => {
    const outside = await tempDir();
    const target = join(outside, 'linked');
    writeFileSync(target, recordText('h', { original: true }));
    const before = snapshotTree(outside);
    const { dir, path, options } = await plantedStore({});
    linkSync(target, join(dir, entryFileName('h')));
    const store = await open(path, options);
    await store.update('h', () => ({ replaced: true }));
    await store.delete('h');
    await store.update('h', () => ({ again: true }));
    expect(snapshotTree(outside)).toEqual(before);
    expect(statSync(join(dir, entryFileName('h'))).ino).not.toBe(statSync(target).ino);
    await store.close();
  });

  // Regression, fixed (was a bug in src/session-store/session-store.ts, #quarantine): the target name is
  // `${fileName}.${Date.now()}.${process.pid}` and the move is a plain rename, so a second bad file
  // of the same name quarantined in the same millisecond by the same process replaces the first
  // quarantined copy: its bytes are gone without a trace ("Nothing is deleted silently").
  it('two bad files of one name quarantined in the same millisecond are both kept', async () => {
    const { dir, path, options, quarantine } = await plantedStore({});
    const store = await open(path, options);
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    writeFileSync(join(dir, entryFileName('q')), 'first bad bytes');
    expect(await store.get('q')).toBeUndefined();
    writeFileSync(join(dir, entryFileName('q')), 'second bad bytes');
    expect(await store.get('q')).toBeUndefined();
    vi.restoreAllMocks();
    const kept = readdirSync(quarantine).map((name) => readFileSync(join(quarantine, name), 'utf8')).sort();
    expect(kept).toEqual(['first bad bytes', 'second bad bytes']);
    await store.close();
  });

  // Regression, fixed (was a bug in src/session-store/session-store.ts, delete): delete() unlinks the key's file without
  // reading it, so a corrupt or mismatched file (which get() would quarantine) is deleted silently
  // and delete() reports true for an entry that never existed. It should quarantine it instead.
  it('delete() of a key whose file is corrupt quarantines the file instead of deleting it', async () => {
    const { path, options, quarantine } = await plantedStore({ [entryFileName('c')]: 'corrupt bytes' });
    const store = await open(path, { ...options });
    expect(await store.delete('c')).toBe(false);
    expect(readFileSync(quarantined(quarantine, entryFileName('c')), 'utf8')).toBe('corrupt bytes');
    await store.close();
  });
});

describe('temp files left by a crash', () => {
  const TEMP_A = '.hardfs-0123456789abcdef0123456789abcdef.tmp';
  const TEMP_B = '.hardfs-fedcba9876543210fedcba9876543210.tmp';

  it('staleTempMs: 0 removes every temp file on open, with a warning', async () => {
    const { dir, path, warnings } = await plantedStore({ [TEMP_A]: 'partial', [TEMP_B]: 'partial', [entryFileName('k')]: recordText('k', { n: 1 }) });
    const store = await open(path, { fsync: false, staleTempMs: 0, logger: { warn: (message, details) => warnings.push({ message, details }) } });
    expect(existsSync(join(dir, TEMP_A))).toBe(false);
    expect(existsSync(join(dir, TEMP_B))).toBe(false);
    expect(warnings.filter((warning) => warning.message.includes('temp file'))).toHaveLength(2);
    expect(await store.loadAll()).toEqual({ k: { n: 1 } });
    await store.close();
  });

  it('by default only temp files older than staleTempMs go; young ones (maybe another writer’s) stay', async () => {
    const { dir, path, options } = await plantedStore({ [TEMP_A]: 'old', [TEMP_B]: 'young' });
    const past = new Date(Date.now() - 120_000);
    utimesSync(join(dir, TEMP_A), past, past);
    const store = await open(path, options);
    expect(existsSync(join(dir, TEMP_A))).toBe(false);
    expect(readFileSync(join(dir, TEMP_B), 'utf8')).toBe('young');
    await store.close();
  });

  it('only files with the exact temp name shape are swept; a temp-named symlink is not followed', async () => {
    const outside = await tempDir();
    writeFileSync(join(outside, 'victim'), 'precious');
    const before = snapshotTree(outside);
    const lookalikes = ['.hardfs-0123.tmp', '.hardfs-0123456789ABCDEF0123456789ABCDEF.tmp', 'hardfs-0123456789abcdef0123456789abcdef.tmp', '.other.tmp'];
    const { dir, path } = await plantedStore(Object.fromEntries(lookalikes.map((name) => [name, 'keep'])));
    symlinkSync(join(outside, 'victim'), join(dir, TEMP_A));
    mkdirSync(join(dir, TEMP_B));
    const store = await open(path, { fsync: false, staleTempMs: 0, logger: { warn: () => undefined } });
    for (const name of lookalikes) expect(readFileSync(join(dir, name), 'utf8')).toBe('keep');
    expect(snapshotTree(outside)).toEqual(before);
    await store.close();
  });
});
