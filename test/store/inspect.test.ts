// inspectEntryFile: what the store would make of an entry file's bytes, as a report, without
// quarantining or throwing; the same parser as every read (so its verdicts are the store's).
import { describe, expect, it } from 'vitest';
import { entryFileName, inspectEntryFile } from '../../src/store/index.js';
import { serializeRecord, serializeTombstone } from '../../src/store/entry-record.js';

const ID = 'ab'.repeat(12);
const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('inspectEntryFile', () => {
  it('a valid record is ok with its key, rev and entry; a multi-key commit record also names its txn', () => {
    const name = entryFileName('k');
    expect(inspectEntryFile(bytes(serializeRecord('k', 3, '{"a":1}')), name)).toEqual({ status: 'ok', key: 'k', rev: 3, entry: { a: 1 } });
    const marked = inspectEntryFile(bytes(serializeRecord('k', 4, '{"a":2}', { id: ID, files: [name] })), name);
    expect(marked).toEqual({ status: 'ok', key: 'k', rev: 4, entry: { a: 2 }, txn: ID });
  });

  it("a multi-key commit's tombstone reads as a tombstone of its key, rev and txn", () => {
    const name = entryFileName('gone');
    expect(inspectEntryFile(bytes(serializeTombstone('gone', 2, { id: ID, files: [name] })), name)).toEqual({
      status: 'tombstone',
      key: 'gone',
      rev: 2,
      txn: ID,
    });
  });

  it('a valid record under another name is a mismatch naming the file its key belongs in', () => {
    const report = inspectEntryFile(bytes(serializeRecord('right', 1, '{}')), entryFileName('wrong'));
    expect(report.status).toBe('mismatch');
    if (report.status !== 'mismatch') return;
    expect(report.key).toBe('right');
    expect(report.expectedFileName).toBe(entryFileName('right'));
    expect(report.recordShaped).toBe(true);
    expect(report.detail).toContain(`expected ${entryFileName('right')}`);
  });

  it('bytes that are not JSON are corrupt, not record-shaped, and the detail quotes no content', () => {
    const report = inspectEntryFile(bytes('{"key":"k","entry":SECRET'), entryFileName('k'));
    expect(report.status).toBe('corrupt');
    if (report.status !== 'corrupt') return;
    expect(report.recordShaped).toBe(false);
    expect(report.detail).not.toContain('SECRET');
  });

  it('a damaged record (key and entry, bad rev) is corrupt and record-shaped; a foreign JSON file is not record-shaped', () => {
    const damaged = inspectEntryFile(bytes('{"entry":{},"key":"k","rev":0,"v":1}'), entryFileName('k'));
    expect(damaged).toEqual({ status: 'corrupt', detail: expect.stringContaining('no valid rev') as unknown, recordShaped: true });
    const foreign = inspectEntryFile(bytes('{"name":"package","version":"1.0.0"}'), entryFileName('k'));
    expect(foreign).toEqual({ status: 'corrupt', detail: expect.stringContaining('record version') as unknown, recordShaped: false });
    const array = inspectEntryFile(bytes('[1,2]'), entryFileName('k'));
    expect(array).toEqual({ status: 'corrupt', detail: expect.stringContaining('not a JSON object') as unknown, recordShaped: false });
  });

  it('the limits are the store options: over maxEntryBytes or maxEntryDepth is corrupt', () => {
    const text = serializeRecord('k', 1, '{"a":{"b":{"c":1}}}');
    const name = entryFileName('k');
    expect(inspectEntryFile(bytes(text), name).status).toBe('ok');
    const big = inspectEntryFile(bytes(text), name, { maxEntryBytes: 10 });
    expect(big.status).toBe('corrupt');
    const deep = inspectEntryFile(bytes(text), name, { maxEntryDepth: 1 });
    expect(deep.status).toBe('corrupt');
    expect(inspectEntryFile(bytes(text), name, { maxEntryDepth: 3 }).status).toBe('ok');
  });
});

describe('inspectEntryFile: what is record-shaped, and reports exactly', () => {
  it.each([
    ['null', 'null', false],
    ['a number', '5', false],
    ['a string', '"key"', false],
    ['a key that is not a string', '{"key":5,"entry":{},"v":1,"rev":1}', false],
    ['a key without an entry', '{"key":"k","v":1,"rev":0}', false],
    ['a key and an entry', '{"key":"k","entry":{},"v":1,"rev":0}', true],
  ])('%s', (_name, text, shaped) => {
    const report = inspectEntryFile(bytes(text), entryFileName('k'));
    expect(report).toMatchObject({ status: 'corrupt', recordShaped: shaped });
  });

  it('a parser refusal is reported with its own reason (too big, torn)', () => {
    const text = serializeRecord('k', 1, '{"a":1}');
    const big = inspectEntryFile(bytes(text), entryFileName('k'), { maxEntryBytes: 5 });
    expect(big).toEqual({ status: 'corrupt', detail: expect.stringContaining('ETOOBIG') as unknown, recordShaped: false });
    const torn = inspectEntryFile(bytes(text.slice(0, 10)), entryFileName('k'));
    expect(torn).toMatchObject({ status: 'corrupt', recordShaped: false });
    if (torn.status === 'corrupt') expect(torn.detail).not.toContain('not a JSON object');
  });

  it('a caller bug in the limits is thrown, not reported as a corrupt file', () => {
    expect(() => inspectEntryFile(bytes('{}'), entryFileName('k'), { maxEntryBytes: -1 })).toThrow(TypeError);
  });

  it('a record without a txn reports no txn field at all', () => {
    const report = inspectEntryFile(bytes(serializeRecord('k', 2, '{"n":1}')), entryFileName('k'));
    expect(report).toEqual({ status: 'ok', key: 'k', rev: 2, entry: { n: 1 } });
    expect(Object.keys(report).sort()).toEqual(['entry', 'key', 'rev', 'status']);
  });
});
