import { assertSessionEntry } from '../../src/session-store/entry-record.js';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { entryFileName, isPlainEntry, normalizeStoreKey, parseRecord, serializeEntry, validateRecord, assertStorableEntry, type StoreEntry as SessionEntry } from '../../src/store/entry-record.js';
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
