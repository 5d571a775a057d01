// Assertions added for mutants Stryker found surviving in src/session-store (npm run mutate):
// entry records, the .snapshot file, store options and agent discovery. The exact wording and
// path of each refusal, the bounds handed to the JSON parser, and the handles a call must close,
// on real files in real temp directories.
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, type SafeDir } from '../../src/index.js';
import { listAgentSessionDirs } from '../../src/session-store/discovery.js';
import {
  entryFileName,
  isPlainEntry,
  normalizeStoreKey,
  parseRecord,
  serializeEntry,
  validateRecord,
  assertStorableEntry,
  type SessionEntry,
} from '../../src/session-store/entry-record.js';
import { resolveStoreOptions, type SessionStoreLogger } from '../../src/session-store/options.js';
import { parseSnapshotBody, readSnapshotFile, readSnapshotHeader } from '../../src/session-store/snapshot-file.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

/** The error `fn` throws, synchronously. */
function thrown(fn: () => unknown): Error & { code?: string; path?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string; path?: string };
  }
  throw new Error('expected an error, nothing was thrown');
}

function refusal(error: Error & { code?: string; path?: string }): { name: string; code: unknown; message: string; path: unknown } {
  return { name: error.name, code: error.code, message: error.message, path: error.path };
}

/** Descriptors this process holds open right now. */
function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

/** `{"a":{"a":…{}}}`: an object nested `depth` levels deep (a bare {} is depth 1). */
function nested(depth: number): SessionEntry {
  let value: SessionEntry = {};
  for (let level = 1; level < depth; level += 1) value = { a: value };
  return value;
}

function recordText(key: string, entry: unknown, rev = 1): string {
  return JSON.stringify({ entry, key, rev, v: 1 });
}

describe('session keys: what normalizeStoreKey refuses, and in which words', () => {
  const identity = (key: string): string => key;

  it('a key that is not a string', () => {
    expect(refusal(thrown(() => normalizeStoreKey(5, identity)))).toEqual({
      name: 'HardfsError',
      code: 'EBADNAME',
      message: 'EBADNAME: session key must be a string',
      path: undefined,
    });
  });

  it('a key the normalizer turns into the empty string or a non-string names the raw key', () => {
    for (const normalize of [(): string => '', (): string => 5 as unknown as string, (): string => undefined as unknown as string]) {
      expect(refusal(thrown(() => normalizeStoreKey('  Raw ', normalize)))).toEqual({
        name: 'HardfsError',
        code: 'EBADNAME',
        message: 'EBADNAME: session key is empty after normalization:   Raw ',
        path: '  Raw ',
      });
    }
  });

  it('a key that normalizes to a blocked object key names the normalized key', () => {
    expect(refusal(thrown(() => normalizeStoreKey(' __PROTO__ ', (key) => key.trim().toLowerCase())))).toEqual({
      name: 'HardfsError',
      code: 'EBADNAME',
      message: 'EBADNAME: session key is a blocked object key: __proto__',
      path: '__proto__',
    });
  });

  it('a good key comes back normalized', () => {
    expect(normalizeStoreKey(' A ', (key) => key.trim().toLowerCase())).toBe('a');
  });
});

describe('entries: what can be stored', () => {
  it('only plain objects are entries; primitives and undefined are not (and do not throw)', () => {
    for (const value of [undefined, 5, 'x', true, null, [], new Date(0)]) expect(isPlainEntry(value)).toBe(false);
    expect(isPlainEntry({})).toBe(true);
    expect(isPlainEntry(Object.create(null))).toBe(true);
  });

  it('a non-object entry is a TypeError naming the key', () => {
    for (const value of [undefined, 5, 'x']) {
      expect(refusal(thrown(() => assertStorableEntry(value, 'k')))).toEqual({
        name: 'TypeError',
        code: undefined,
        message: 'entry for "k" must be a plain JSON object',
        path: undefined,
      });
    }
  });

  it('an updatedAt that is not a finite number is a TypeError naming the key', () => {
    for (const updatedAt of ['5', Infinity, null]) {
      expect(refusal(thrown(() => assertStorableEntry({ updatedAt }, 'k')))).toEqual({
        name: 'TypeError',
        code: undefined,
        message: 'entry.updatedAt for "k" must be a finite number when present',
        path: undefined,
      });
    }
  });

  it('a value that does not serialize to JSON is a TypeError, never undefined text', () => {
    for (const value of [undefined, (): void => undefined]) {
      expect(refusal(thrown(() => serializeEntry(value as unknown as SessionEntry, 10)))).toEqual({
        name: 'TypeError',
        code: undefined,
        message: 'entry does not serialize to JSON',
        path: undefined,
      });
    }
    expect(serializeEntry({ b: 1, a: 2 }, 10)).toBe('{"a":2,"b":1}');
  });
});

describe('entry records: each refusal is ECORRUPT, says why, and names where', () => {
  const corrupt = (message: string): { name: string; code: string; message: string; path: string } => ({
    name: 'HardfsError',
    code: 'ECORRUPT',
    message: `ECORRUPT: ${message}: where.json`,
    path: 'where.json',
  });

  it('a record that is not an object (a number, a string, null, an array, nothing)', () => {
    for (const parsed of [5, 'text', null, [], undefined]) {
      expect(refusal(thrown(() => validateRecord(parsed, 'where.json')))).toEqual(corrupt('entry file is not a JSON object'));
    }
  });

  it('an unsupported version, named in the message', () => {
    expect(refusal(thrown(() => validateRecord({ v: 2, key: 'a', rev: 1, entry: {} }, 'where.json')))).toEqual(
      corrupt('unsupported entry record version 2'),
    );
    expect(refusal(thrown(() => validateRecord({ key: 'a', rev: 1, entry: {} }, 'where.json')))).toEqual(
      corrupt('unsupported entry record version undefined'),
    );
  });

  it('an empty or non-string key', () => {
    for (const key of ['', 5, undefined]) {
      expect(refusal(thrown(() => validateRecord({ v: 1, key, rev: 1, entry: {} }, 'where.json')))).toEqual(
        corrupt('entry record has no key'),
      );
    }
  });

  it('a rev that is not a positive safe integer', () => {
    for (const rev of [0, '1', 1.5, undefined]) {
      expect(refusal(thrown(() => validateRecord({ v: 1, key: 'a', rev, entry: {} }, 'where.json')))).toEqual(
        corrupt('entry record has no valid rev'),
      );
    }
  });

  it('a missing or non-object entry', () => {
    for (const entry of [undefined, 5, [], null]) {
      expect(refusal(thrown(() => validateRecord({ v: 1, key: 'a', rev: 1, entry }, 'where.json')))).toEqual(
        corrupt('entry record has no entry object'),
      );
    }
  });

  it('a key that cannot be encoded (a lone surrogate)', () => {
    expect(refusal(thrown(() => validateRecord({ v: 1, key: 'a\ud800', rev: 1, entry: {} }, 'where.json')))).toEqual(
      corrupt('entry record key cannot be encoded'),
    );
  });

  it('a blocked object key', () => {
    expect(refusal(thrown(() => validateRecord({ v: 1, key: 'constructor', rev: 1, entry: {} }, 'where.json')))).toEqual(
      corrupt('entry record key is a blocked object key'),
    );
  });

  it('a good record comes back with the file name its key belongs in', () => {
    expect(validateRecord({ v: 1, key: 'a', rev: 3, entry: { n: 1 }, extra: true }, 'where.json')).toEqual({
      record: { v: 1, key: 'a', rev: 3, entry: { n: 1 } },
      expectedFileName: entryFileName('a'),
    });
  });

  it('a file holding another key than its name says names the file it belongs in', () => {
    const error = thrown(() => parseRecord(Buffer.from(recordText('bob', {})), entryFileName('alice'), { maxBytes: 1000, maxDepth: 10 }));
    expect(refusal(error)).toEqual({
      name: 'HardfsError',
      code: 'ECORRUPT',
      message: `ECORRUPT: file name does not match the key inside (expected ${entryFileName('bob')}): ${entryFileName('alice')}`,
      path: entryFileName('alice'),
    });
  });

  it('the byte bound is the caller’s, not the parser’s default', () => {
    const bytes = Buffer.from(recordText('a', { text: 'x'.repeat(100) }));
    expect(thrown(() => parseRecord(bytes, entryFileName('a'), { maxBytes: bytes.byteLength - 1, maxDepth: 10 })).code).toBe('ETOOBIG');
    expect(parseRecord(bytes, entryFileName('a'), { maxBytes: bytes.byteLength, maxDepth: 10 }).rev).toBe(1);
  });

  it('an entry exactly maxDepth deep is read back; one far deeper is refused', () => {
    const deep = Buffer.from(recordText('a', nested(300)));
    expect(parseRecord(deep, entryFileName('a'), { maxBytes: 100_000, maxDepth: 300 }).entry).toEqual(nested(300));
    expect(thrown(() => parseRecord(deep, entryFileName('a'), { maxBytes: 100_000, maxDepth: 290 })).code).toBe('EDEPTH');
  });
});

describe('store options: defaults, and the wording of each refusal', () => {
  it('fsync and migrateOnOpen default to true; false is kept', () => {
    const defaults = resolveStoreOptions({});
    expect(defaults.fsync).toBe(true);
    expect(defaults.migrateOnOpen).toBe(true);
    expect(resolveStoreOptions().fsync).toBe(true);
    expect(resolveStoreOptions({ fsync: false }).fsync).toBe(false);
  });

  it('each numeric option is named in its refusal, with the value and what it must be', () => {
    const cases: [string, number, string][] = [
      ['maxEntryBytes', 0, 'maxEntryBytes must be a positive finite number, got 0'],
      ['maxEntryDepth', -1, 'maxEntryDepth must be a positive finite number, got -1'],
      ['lockStaleMs', Infinity, 'lockStaleMs must be a positive finite number, got Infinity'],
      ['lockTimeoutMs', 0, 'lockTimeoutMs must be a positive finite number, got 0'],
      ['staleTempMs', -1, 'staleTempMs must be a non-negative finite number, got -1'],
      ['maxUpdateRetries', Number.NaN, 'maxUpdateRetries must be a positive finite number, got NaN'],
    ];
    for (const [name, value, message] of cases) {
      expect(() => resolveStoreOptions({ [name]: value })).toThrow(new TypeError(message));
    }
    expect(resolveStoreOptions({ staleTempMs: 0 }).staleTempMs).toBe(0);
  });

  it('a normalizeKey that is not a function, and a logger without warn()', () => {
    expect(() => resolveStoreOptions({ normalizeKey: 'lower' as never })).toThrow(new TypeError('normalizeKey must be a function'));
    expect(() => resolveStoreOptions({ logger: {} as never })).toThrow(new TypeError('logger must have a warn(message, details) method'));
  });

  it('the default logger emits a process warning coded HARDFS_SESSION_STORE, with the details as JSON', async () => {
    const { logger } = resolveStoreOptions({});
    const warnings: (Error & { code?: string })[] = [];
    const listener = (warning: Error & { code?: string }): void => {
      if (warning.code === 'HARDFS_SESSION_STORE') warnings.push(warning);
    };
    process.on('warning', listener);
    try {
      logger.warn('hardfs test: with details', { file: 'a.json', n: 1 });
      logger.warn('hardfs test: bare');
      await new Promise((done) => setImmediate(done)); // emitWarning emits on process.nextTick, which runs first
    } finally {
      process.off('warning', listener);
    }
    expect(warnings.map((warning) => ({ name: warning.name, message: warning.message, code: warning.code }))).toEqual([
      { name: 'Warning', message: 'hardfs test: with details {"file":"a.json","n":1}', code: 'HARDFS_SESSION_STORE' },
      { name: 'Warning', message: 'hardfs test: bare', code: 'HARDFS_SESSION_STORE' },
    ]);
  });
});

describe('.snapshot: reading the header and the body', () => {
  async function dirWithSnapshot(content: string | Buffer | undefined): Promise<SafeDir> {
    const base = await tempDir();
    if (content !== undefined) writeFileSync(join(base, '.snapshot'), content);
    return openDir(base);
  }

  const unusable = (why: string): { name: string; code: string; message: string; path: string } => ({
    name: 'HardfsError',
    code: 'ECORRUPT',
    message: `ECORRUPT: unusable snapshot: ${why}: .snapshot`,
    path: '.snapshot',
  });

  const header = (fields: Record<string, unknown> = {}): string =>
    JSON.stringify({ v: 1, generation: 'g', offset: 5, partial: false, inFlight: [], ...fields });

  it('a file without a newline has no header line (both readers say so)', async () => {
    const dir = await dirWithSnapshot('{"v":1,"generation":"g","offset":0,"partial":false,"inFlight":[]}');
    try {
      expect(refusal(await caught(readSnapshotHeader(dir)))).toEqual(unusable('no header line'));
      expect(refusal(thrown(() => readSnapshotFile(dir)))).toEqual(unusable('no header line'));
    } finally {
      await dir.close();
    }
  });

  it('a newline as the very first byte is an empty header line, not a missing one', async () => {
    const dir = await dirWithSnapshot('\n[]');
    try {
      const fromHeader = await caught(readSnapshotHeader(dir));
      const fromFile = thrown(() => readSnapshotFile(dir));
      expect(fromHeader.code).toBe('ECORRUPT');
      expect(fromHeader.message).not.toMatch(/no header line/);
      expect(refusal(fromFile)).toEqual(refusal(fromHeader));
    } finally {
      await dir.close();
    }
  });

  it('a header that is null, a number or a string is an unknown header', async () => {
    for (const bad of ['null', '5', '"v"']) {
      const dir = await dirWithSnapshot(`${bad}\n[]`);
      try {
        expect(refusal(await caught(readSnapshotHeader(dir))), bad).toEqual(unusable('unknown header'));
      } finally {
        await dir.close();
      }
    }
  });

  it('offset 0 and in-flight entry file names are a good header', async () => {
    const dir = await dirWithSnapshot(`${header({ offset: 0, partial: true, inFlight: ['a.json', entryFileName('b')] })}\n[]`);
    try {
      const expected = { cursor: { generation: 'g', offset: 0, partial: true }, inFlight: ['a.json', entryFileName('b')] };
      expect(await readSnapshotHeader(dir)).toEqual(expected);
      const file = readSnapshotFile(dir);
      expect(file?.header).toEqual(expected);
      expect(file?.body.toString()).toBe('[]');
    } finally {
      await dir.close();
    }
  });

  it('in-flight names that are not strings or not entry file names make a malformed header', async () => {
    for (const inFlight of [[5], [null], ['a.json', 7], ['.stamp'], ['../a.json']]) {
      const dir = await dirWithSnapshot(`${header({ inFlight })}\n[]`);
      try {
        expect(refusal(await caught(readSnapshotHeader(dir))), JSON.stringify(inFlight)).toEqual(unusable('malformed header'));
      } finally {
        await dir.close();
      }
    }
  });

  it('no .snapshot is no snapshot; a .snapshot that cannot be read is an error, not "none"', async () => {
    const dir = await dirWithSnapshot(undefined);
    try {
      expect(await readSnapshotHeader(dir)).toBeUndefined();
      expect(readSnapshotFile(dir)).toBeUndefined();
      mkdirSync(join(dir.path, '.snapshot'));
      expect(thrown(() => readSnapshotFile(dir))).toBeInstanceOf(Error);
    } finally {
      await dir.close();
    }
  });

  it('reading the header closes the file it opened, also when the header is refused', async () => {
    const good = await dirWithSnapshot(`${header()}\n[]`);
    const bad = await dirWithSnapshot('no newline');
    try {
      await readSnapshotHeader(good); // warm up: lazily opened descriptors are not leaks
      const before = openDescriptors();
      for (let round = 0; round < 20; round += 1) {
        await readSnapshotHeader(good);
        await caught(readSnapshotHeader(bad));
      }
      expect(openDescriptors() - before).toBeLessThan(5);
    } finally {
      await good.close();
      await bad.close();
    }
  });

  it('a snapshot larger than the default 64 MiB read bound is still read whole', async () => {
    const body = Buffer.alloc(65 * 1024 * 1024, 0x20);
    const dir = await dirWithSnapshot(Buffer.concat([Buffer.from(`${header()}\n`), body]));
    try {
      expect(readSnapshotFile(dir)?.body.byteLength).toBe(body.byteLength);
    } finally {
      await dir.close();
    }
  });

  describe('the body', () => {
    const freeze = <E>(entry: E): E => entry;
    const limits = { maxEntryBytes: 1 << 20, maxEntryDepth: 10 };

    it('is an array of records, keyed by the file name each belongs in', () => {
      const body = Buffer.from(`[${recordText('a', { n: 1 }, 2)},${recordText('b', {})}]`);
      expect([...parseSnapshotBody(body, limits, freeze)]).toEqual([
        [entryFileName('a'), { key: 'a', entry: { n: 1 }, rev: 2 }],
        [entryFileName('b'), { key: 'b', entry: {}, rev: 1 }],
      ]);
    });

    it('anything but an array is refused', () => {
      expect(refusal(thrown(() => parseSnapshotBody(Buffer.from('{"a":1}'), limits, freeze)))).toEqual(unusable('body is not an array'));
    });

    it('two records for one file are refused, naming the file', () => {
      const body = Buffer.from(`[${recordText('a', {})},${recordText('a', { n: 2 }, 2)}]`);
      expect(refusal(thrown(() => parseSnapshotBody(body, limits, freeze)))).toEqual(unusable(`two records for ${entryFileName('a')}`));
    });

    it('an entry exactly maxEntryDepth deep is accepted, even above the parser’s default depth', () => {
      const body = (depth: number): Buffer => Buffer.from(`[${recordText('a', nested(depth))}]`);
      expect(parseSnapshotBody(body(10), limits, freeze).get(entryFileName('a'))?.entry).toEqual(nested(10));
      expect(thrown(() => parseSnapshotBody(body(20), limits, freeze)).code).toBe('EDEPTH');
      expect(parseSnapshotBody(body(300), { ...limits, maxEntryDepth: 300 }, freeze).size).toBe(1);
    });
  });
});

describe('listAgentSessionDirs: the template', () => {
  async function refusedTemplate(template: string): Promise<ReturnType<typeof refusal>> {
    const state = await tempDir();
    return refusal(await caught(listAgentSessionDirs(state, { storePathTemplate: template })));
  }

  const badName = (message: string, path: string): ReturnType<typeof refusal> => ({
    name: 'HardfsError',
    code: 'EBADNAME',
    message: `EBADNAME: ${message}: ${path}`,
    path,
  });

  it('must hold {agentId} exactly once', async () => {
    for (const template of ['/state/agents/x/sessions.json', '/state/{agentId}/{agentId}/sessions.json', '/{agentId}/a/{agentId}']) {
      expect(await refusedTemplate(template), template).toEqual(badName('store path template must contain {agentId} exactly once', template));
    }
  });

  it('{agentId} must be a whole path component', async () => {
    for (const template of ['/state/agents/x{agentId}/sessions.json', '/state/agents/{agentId}x/sessions.json']) {
      expect(await refusedTemplate(template), template).toEqual(badName('{agentId} must be a whole path component of the template', template));
    }
  });

  it('must name a store file below the agent directory, without . or .. components', async () => {
    for (const template of ['/state/agents/{agentId}/', '/state/agents/{agentId}//', '/state/agents/{agentId}/./sessions.json', '/state/agents/{agentId}/../sessions.json']) {
      expect(await refusedTemplate(template), template).toEqual(badName('template must name a store file below the agent directory', template));
    }
  });

  it('every directory between the agent and the store file must exist, not only the first', async () => {
    const state = await tempDir();
    mkdirSync(join(state, 'agents', 'one', 'a', 'b'), { recursive: true });
    mkdirSync(join(state, 'agents', 'two', 'a'), { recursive: true });
    const found = await listAgentSessionDirs(state, { storePathTemplate: join(state, 'agents', '{agentId}', 'a', 'b', 'store.json') });
    expect(found).toEqual([
      { agentId: 'one', sessionsDir: join(state, 'agents', 'one', 'a', 'b'), storePath: join(state, 'agents', 'one', 'a', 'b', 'store.json') },
    ]);
  });

  it('a store file directly in the agent directory needs no inner directory', async () => {
    const state = await tempDir();
    mkdirSync(join(state, 'agents', 'one'), { recursive: true });
    const found = await listAgentSessionDirs(state, { storePathTemplate: join(state, 'agents', '{agentId}', 'store.json') });
    expect(found).toEqual([{ agentId: 'one', sessionsDir: join(state, 'agents', 'one'), storePath: join(state, 'agents', 'one', 'store.json') }]);
  });
});

describe('listAgentSessionDirs: agents', () => {
  it('are returned sorted by agent id, whatever order the directory lists them in', async () => {
    const state = await tempDir();
    const ids = ['mike', 'charlie', 'xray', 'alpha', 'quebec', 'foxtrot', 'zulu', 'bravo', 'kilo', 'delta', 'yankee', 'echo', 'golf', 'papa'];
    for (const id of ids) mkdirSync(join(state, 'agents', id, 'sessions'), { recursive: true });
    const found = await listAgentSessionDirs(state);
    expect(found.map((agent) => agent.agentId)).toEqual([...ids].sort());
  });

  it('a skipped agent is reported to the logger alone when there is no onSkipped callback', async () => {
    const state = await tempDir();
    const outside = await tempDir();
    mkdirSync(join(outside, 'sessions'));
    mkdirSync(join(state, 'agents', 'good', 'sessions'), { recursive: true });
    symlinkSync(outside, join(state, 'agents', 'linked'));
    const warnings: string[] = [];
    const logger: SessionStoreLogger = { warn: (message) => warnings.push(message) };
    const found = await listAgentSessionDirs(state, { logger });
    expect(found.map((agent) => agent.agentId)).toEqual(['good']);
    expect(warnings).toEqual([`hardfs session store: skipped ${join(state, 'agents', 'linked')}: agent directory is a symlink`]);
  });

  it('an agents path that is not a directory is an error, not an empty list', async () => {
    const state = await tempDir();
    writeFileSync(join(state, 'agents'), 'not a directory');
    expect((await caught(listAgentSessionDirs(state))).code).toBe('ENOTDIR');
    expect(await listAgentSessionDirs(join(state, 'missing'))).toEqual([]);
  });

  it('an operating-system error other than ENOENT while walking an agent is thrown, not reported as a skip', async () => {
    const state = await tempDir();
    mkdirSync(join(state, 'agents', 'one'), { recursive: true });
    const skipped: string[] = [];
    const error = await caught(
      listAgentSessionDirs(state, {
        storePathTemplate: join(state, 'agents', '{agentId}', 'x'.repeat(300), 'store.json'),
        onSkipped: (path, reason) => skipped.push(`${path}: ${reason}`),
      }),
    );
    expect(error.code).toBe('ENAMETOOLONG');
    expect(skipped).toEqual([]);
  });

  it('closes every directory it opened', async () => {
    const state = await tempDir();
    for (const id of ['a', 'b', 'c', 'd', 'e']) mkdirSync(join(state, 'agents', id, 'sessions'), { recursive: true });
    await listAgentSessionDirs(state); // warm up: lazily opened descriptors are not leaks
    const before = openDescriptors();
    for (let round = 0; round < 4; round += 1) expect(await listAgentSessionDirs(state)).toHaveLength(5);
    expect(openDescriptors() - before).toBeLessThan(4);
  });
});
