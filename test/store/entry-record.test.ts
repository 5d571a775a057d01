import { assertSessionEntry } from '../../src/session-store/entry-record.js';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assertStorableEntry,
  entryFileName,
  isPlainEntry,
  normalizeStoreKey,
  parseEntryJson,
  parseRecord,
  serializeEntry,
  serializeRecord,
  serializeTombstone,
  validateRecord,
  type StoreEntry as SessionEntry,
} from '../../src/store/entry-record.js';
import { useTempDirs } from '../support/tmp.js';
import { thrown, refusal, nested, recordText } from './record-helpers.js';
const tempDir = useTempDirs();

describe('session keys: what normalizeStoreKey refuses, and what each refusal names', () => {
  const identity = (key: string): string => key;

  it('a key that is not a string', () => {
    expect(refusal(thrown(() => normalizeStoreKey(5, identity)))).toEqual({
      name: 'HardfsError',
      code: 'EBADNAME',
      message: expect.stringContaining('must be a string') as string,
      path: undefined,
    });
  });

  it('a key the normalizer turns into the empty string or a non-string names the raw key', () => {
    for (const normalize of [(): string => '', (): string => 5 as unknown as string, (): string => undefined as unknown as string]) {
      expect(refusal(thrown(() => normalizeStoreKey('  Raw ', normalize)))).toEqual({
        name: 'HardfsError',
        code: 'EBADNAME',
        message: expect.stringContaining('empty after normalization') as string,
        path: '  Raw ',
      });
    }
  });

  it('a key that normalizes to a blocked object key names the normalized key', () => {
    expect(refusal(thrown(() => normalizeStoreKey(' __PROTO__ ', (key) => key.trim().toLowerCase())))).toEqual({
      name: 'HardfsError',
      code: 'EBADNAME',
      message: expect.stringContaining('blocked object key') as string,
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
        message: expect.stringMatching(/"k" .*plain JSON object/) as string,
        path: undefined,
      });
    }
  });

  it('a numeric updatedAt that is not finite is a TypeError naming the key (the session vocabulary)', () => {
    for (const updatedAt of [Infinity, -Infinity, Number.NaN]) {
      expect(refusal(thrown(() => assertSessionEntry({ updatedAt }, 'k')))).toEqual({
        name: 'TypeError',
        code: undefined,
        message: expect.stringMatching(/^entry\.updatedAt for "k" .*finite number/) as string,
        path: undefined,
      });
    }
  });

  it('an updatedAt that is null, absent or not a number is accepted (a migration keeps such entries as they are)', () => {
    for (const entry of [{ updatedAt: null }, { updatedAt: '5' }, { updatedAt: {} }, {}, { updatedAt: 0 }, { updatedAt: -1.5 }]) {
      expect(() => assertSessionEntry(entry, 'k')).not.toThrow();
    }
  });

  it('a non-finite number or a blocked key at any depth is refused at write, naming its path (one validator with the read)', () => {
    expect(refusal(thrown(() => assertStorableEntry({ a: [1, { b: Infinity }] }, 'k')))).toMatchObject({
      name: 'TypeError',
      message: expect.stringContaining('non-finite number at entry.a[1].b') as string,
    });
    const nested = JSON.parse('{"a":{"b":{"constructor":{"x":1}}}}') as Record<string, unknown>;
    const error = thrown(() => assertStorableEntry(nested, 'k'));
    expect(error.code).toBe('EBADNAME');
    expect(error.path).toBe('entry.a.b.constructor');
    expect(error.message).toContain('blocked object key at entry.a.b.constructor');
    // The rest of the objects layer's rule (assertSafeJsonValue), with the entry's paths.
    const cases: Array<[unknown, string]> = [
      [{ a: 1n }, 'bigint at entry.a'],
      [{ a: [1, () => 1] }, 'function at entry.a[1]'],
      [{ a: { d: new Date(0) } }, 'not plain at entry.a.d'],
      [{ a: [1, undefined] }, 'undefined at entry.a[1]'],
      [{ a: [-Infinity] }, 'non-finite number at entry.a[0]'],
      [{ a: Number.NaN }, 'non-finite number at entry.a'],
    ];
    for (const [value, fragment] of cases) {
      const refused = thrown(() => assertStorableEntry(value, 'k'));
      expect(refused.name).toBe('TypeError');
      expect(refused.message).toContain(fragment);
    }
    const cyclic: Record<string, unknown> = { a: { b: 1 } };
    (cyclic['a'] as Record<string, unknown>)['self'] = cyclic;
    expect(refusal(thrown(() => assertStorableEntry(cyclic, 'k')))).toMatchObject({ code: 'ECYCLE', path: 'entry.a.self' });
    expect(refusal(thrown(() => assertStorableEntry({ a: { a: { a: {} } } }, 'k', 3)))).toMatchObject({ code: 'EDEPTH', path: 'entry.a.a.a' });
    expect(() => assertStorableEntry({ a: { a: {} } }, 'k', 3)).not.toThrow();
    // An undefined property is absent to JSON and to the rule; -0 reads back as 0.
    expect(() => assertStorableEntry({ a: undefined, b: -0 }, 'k')).not.toThrow();
    // The same file at read: ECORRUPT, never loaded with the value changed or the key dropped.
    for (const entry of ['{"n":1e400}', '{"a":{"prototype":{"x":1}}}', '{"a":[{"__proto__":1}]}']) {
      const bytes = Buffer.from(`{"v":1,"key":"k","rev":1,"entry":${entry}}`);
      expect(thrown(() => parseRecord(bytes, entryFileName('k'), { maxBytes: 1 << 20, maxDepth: 10 })).code).toBe('ECORRUPT');
    }
  });

  it('a value that does not serialize to JSON is a TypeError, never undefined text', () => {
    for (const value of [undefined, (): void => undefined]) {
      expect(refusal(thrown(() => serializeEntry(value as unknown as SessionEntry, 10)))).toEqual({
        name: 'TypeError',
        code: undefined,
        message: expect.stringContaining('does not serialize to JSON') as string,
        path: undefined,
      });
    }
    expect(serializeEntry({ b: 1, a: 2 }, 10)).toBe('{"a":2,"b":1}');
  });
});

describe('entry records: each refusal is ECORRUPT, says why, and names where', () => {
  // Code, name and path exactly; of the message, the fragment that says why.
  const corrupt = (why: string): { name: string; code: string; message: string; path: string } => ({
    name: 'HardfsError',
    code: 'ECORRUPT',
    message: expect.stringContaining(why) as string,
    path: 'where.json',
  });

  it('a record that is not an object (a number, a string, null, an array, nothing)', () => {
    for (const parsed of [5, 'text', null, [], undefined]) {
      expect(refusal(thrown(() => validateRecord(parsed, 'where.json')))).toEqual(corrupt('entry file is not a JSON object'));
    }
  });

  it('an unsupported version, never quoted in the message', () => {
    expect(refusal(thrown(() => validateRecord({ v: 2, key: 'a', rev: 1, entry: {} }, 'where.json')))).toEqual(
      corrupt('unsupported entry record version'),
    );
    expect(refusal(thrown(() => validateRecord({ key: 'a', rev: 1, entry: {} }, 'where.json')))).toEqual(
      corrupt('unsupported entry record version'),
    );
    // The version found is file content: a planted value never reaches the message.
    for (const v of ['SECRET-TOKEN-1234', 987654321, { s: 'SECRET' }]) {
      const message = thrown(() => validateRecord({ v, key: 'a', rev: 1, entry: {} }, 'where.json')).message;
      expect(message).not.toMatch(/SECRET|987654321/);
    }
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
      message: expect.stringContaining(`(expected ${entryFileName('bob')})`) as string,
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

describe('entries: how a refusal at write is reported', () => {
  it('a cycle or a depth refusal keeps its own reason, once, with the entry path and no validator path', () => {
    const cyclic: Record<string, unknown> = { a: {} };
    (cyclic['a'] as Record<string, unknown>)['self'] = cyclic;
    const cycle = thrown(() => assertStorableEntry(cyclic, 'k'));
    const depth = thrown(() => assertStorableEntry({ a: { a: { a: {} } } }, 'k', 3));
    for (const [error, code, path] of [
      [cycle, 'ECYCLE', 'entry.a.self'],
      [depth, 'EDEPTH', 'entry.a.a.a'],
    ] as const) {
      expect(error.code).toBe(code);
      expect(error.path).toBe(path);
      expect(error.message.startsWith(`${code}: `)).toBe(true);
      expect(error.message.split(`${code}:`)).toHaveLength(2); // the code is not repeated
      expect(error.message.endsWith(`: ${path}`)).toBe(true);
      expect(error.message).not.toContain('$');
      expect(error.message).not.toContain('blocked object key');
      expect((error.cause as { code?: string } | undefined)?.code).toBe(code);
    }
  });

  it('a value JSON cannot carry is a TypeError whose cause is the validator refusal', () => {
    const error = thrown(() => assertStorableEntry({ a: Infinity }, 'k'));
    expect(error.name).toBe('TypeError');
    expect(error.message).toContain('at entry.a');
    expect(error.message).not.toContain('ECORRUPT');
    expect(error.message).not.toContain('$');
    expect(error.cause).toMatchObject({ code: 'ECORRUPT', path: '$.a' });
  });

  it('a blocked key refusal keeps the validator refusal as its cause', () => {
    const error = thrown(() => assertStorableEntry(JSON.parse('{"a":{"__proto__":1}}') as Record<string, unknown>, 'k'));
    expect(error.code).toBe('EBADNAME');
    expect(error.cause).toMatchObject({ code: 'EBADNAME' });
  });

  it('an error that is not a refusal (a throwing getter) passes through as it is', () => {
    const boom = new Error('getter failed');
    const entry = {
      get a(): number {
        throw boom;
      },
    };
    expect(thrown(() => assertStorableEntry(entry, 'k'))).toBe(boom);
  });

  it('serializeEntry applies the caller’s depth bound', () => {
    expect(thrown(() => serializeEntry(nested(4), 3)).code).toBe('EDEPTH');
    expect(serializeEntry(nested(3), 3)).toBe('{"a":{"a":{}}}');
    expect(serializeEntry(nested(400), 400)).toBe(JSON.stringify(nested(400)));
  });
});

describe('entry records: the multi-key commit marker', () => {
  const ID = '0123456789abcdef01234567';
  const names = (count: number): string[] => Array.from({ length: count }, (_, i) => entryFileName(`k${i}`));
  const read = (text: string): ReturnType<typeof validateRecord> => validateRecord(JSON.parse(text) as unknown, 'where.json');

  it('lists up to 32 files, and says "*" past that', () => {
    expect(read(serializeRecord('a', 2, '{}', { id: ID, files: names(32) })).record).toStrictEqual({ v: 1, key: 'a', rev: 2, entry: {}, txn: ID, with: names(32) });
    expect(read(serializeRecord('a', 2, '{}', { id: ID, files: names(33) })).record).toStrictEqual({ v: 1, key: 'a', rev: 2, entry: {}, txn: ID, with: undefined });
    expect(read(serializeRecord('a', 2, '{}', { id: ID, files: undefined })).record.with).toBeUndefined();
    expect(read(serializeTombstone('a', 3, { id: ID, files: [] })).record).toStrictEqual({ v: 1, key: 'a', rev: 3, entry: undefined, txn: ID, with: [] });
  });

  it('a record without a txn has no txn fields at all', () => {
    const { record } = read(serializeRecord('a', 1, '{"n":1}'));
    expect(record).toStrictEqual({ v: 1, key: 'a', rev: 1, entry: { n: 1 } });
    expect(Object.keys(record).sort()).toEqual(['entry', 'key', 'rev', 'v']);
  });

  const corrupt = (why: string): { name: string; code: string; message: string; path: string } => ({
    name: 'HardfsError',
    code: 'ECORRUPT',
    message: expect.stringContaining(why) as string,
    path: 'where.json',
  });
  const base = { v: 1, key: 'a', rev: 1, entry: {} };

  it.each([
    ['a number', 5],
    ['not an intent id', 'not-an-intent-id'],
    ['an id one character short', ID.slice(1)],
    ['an array that stringifies to an id', [ID]],
    ['null', null],
  ])('a txn that is %s is refused', (_name, txn) => {
    expect(refusal(thrown(() => validateRecord({ ...base, txn, with: '*' }, 'where.json')))).toEqual(corrupt('invalid txn'));
  });

  it.each([
    ['a file list without a txn', { with: [] }],
    ['a "*" without a txn', { with: '*' }],
    ['a txn without a file list', { txn: ID }],
    ['a file list that is a string other than "*"', { txn: ID, with: 'all' }],
    ['a file list holding a number', { txn: ID, with: [5] }],
    ['a file list holding a good name and a number', { txn: ID, with: [entryFileName('a'), 5] }],
    ['a file list holding a path', { txn: ID, with: [entryFileName('a'), `../${entryFileName('b')}`] }],
    ['a file list holding a name that is not an entry file', { txn: ID, with: ['notes.txt'] }],
  ])('%s is refused', (_name, fields) => {
    expect(refusal(thrown(() => validateRecord({ ...base, ...fields }, 'where.json')))).toEqual(corrupt('invalid txn file list'));
  });

  it.each([
    ['"*"', '*', undefined],
    ['an empty list', [], []],
    ['a list of entry files', [entryFileName('a'), entryFileName('b')], [entryFileName('a'), entryFileName('b')]],
  ])('a txn with %s as its file list is read', (_name, withFiles, expected) => {
    expect(validateRecord({ ...base, txn: ID, with: withFiles }, 'where.json').record).toStrictEqual({ ...base, txn: ID, with: expected });
  });

  it.each([
    ['deleted without a txn', { v: 1, key: 'a', rev: 1, deleted: true }],
    ['a txn without deleted and without an entry', { v: 1, key: 'a', rev: 1, txn: ID, with: '*' }],
    ['deleted: "yes" with a txn', { v: 1, key: 'a', rev: 1, deleted: 'yes', txn: ID, with: '*' }],
  ])('%s is not a tombstone: no entry object', (_name, parsed) => {
    expect(refusal(thrown(() => validateRecord(parsed, 'where.json')))).toEqual(corrupt('no entry object'));
  });

  it('a tombstone that also carries an entry reads as that entry', () => {
    expect(validateRecord({ v: 1, key: 'a', rev: 2, deleted: true, txn: ID, with: '*', entry: { n: 1 } }, 'where.json').record.entry).toEqual({ n: 1 });
  });

  it('a tombstone reads as no entry', () => {
    const { record } = validateRecord({ v: 1, key: 'a', rev: 2, deleted: true, txn: ID, with: '*' }, 'where.json');
    expect('entry' in record).toBe(true);
    expect(record.entry).toBeUndefined();
  });
});

describe('entry records: what the parser refuses names the file', () => {
  const limits = { maxBytes: 1 << 20, maxDepth: 10 };

  it('a blocked key is ECORRUPT naming the file, with the parser refusal as its cause', () => {
    const error = thrown(() => parseEntryJson(Buffer.from('{"a":{"__proto__":1}}'), limits.maxBytes, limits.maxDepth, 'where.json'));
    expect(refusal(error)).toMatchObject({ code: 'ECORRUPT', path: 'where.json', message: expect.stringContaining('blocked object key') as string });
    expect(error.cause).toMatchObject({ code: 'EBADNAME' });
  });

  it.each([
    ['torn JSON', '{"a":', 100, 'ECORRUPT'],
    ['too big', '{"a":"xxxxxxxxxx"}', 12, 'ETOOBIG'],
    ['too deep', '{"a":{"a":{"a":{}}}}', 100, 'EDEPTH'],
  ])('%s keeps its code and names the file, with the parser refusal as its cause', (_name, text, maxBytes, code) => {
    const error = thrown(() => parseEntryJson(Buffer.from(text), maxBytes, 3, 'where.json'));
    expect(error.code).toBe(code);
    expect(error.path).toBe('where.json');
    expect(error.cause).toMatchObject({ code });
  });
});

describe('entry records: a caller bug in the parser options is not a file refusal', () => {
  it('an invalid byte bound is the parser’s own TypeError, not wrapped with the file name', () => {
    const error = thrown(() => parseEntryJson(Buffer.from('{}'), -1, 3, 'where.json'));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBeUndefined();
    expect(error.path).toBeUndefined();
  });
});
