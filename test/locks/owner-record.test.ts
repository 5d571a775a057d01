import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_RECORD_BYTES,
  createOwnerRecord,
  describeOwner,
  newToken,
  parseOwnerRecord,
  serializeOwnerRecord,
} from '../../src/locks/owner-record.js';
import { fcParams } from '../support/fc.js';


const TOKEN = 'ab'.repeat(16);
const recordText = (token: string = TOKEN, host = 'elsewhere'): string =>
  serializeOwnerRecord(createOwnerRecord(token, { pid: 4242, host }, 1_000));

const identityArb = fc.record(
  {
    pid: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    host: fc.string({ minLength: 1, maxLength: 64 }),
    start: fc.bigInt({ min: 0n, max: 2n ** 63n }).map(String),
  },
  { requiredKeys: ['pid', 'host'] },
);

describe('owner record', () => {
  it('round-trips through serialize/parse', () => {
    fc.assert(
      fc.property(identityArb, fc.integer({ min: 0, max: 2 ** 45 }), (identity, time) => {
        const record = createOwnerRecord(newToken(), identity, time);
        expect(parseOwnerRecord(Buffer.from(serializeOwnerRecord(record)))).toEqual(record);
      }),
      fcParams(),
    );
  });

  it('never throws on arbitrary bytes and returns a well-typed record or undefined', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.json().map((j) => Buffer.from(j))), (bytes) => {
        const record = parseOwnerRecord(bytes);
        if (record !== undefined) {
          expect(Number.isSafeInteger(record.pid) && record.pid > 0).toBe(true);
          expect(typeof record.token).toBe('string');
        }
      }),
      fcParams(),
    );
  });

  it('treats empty, truncated, oversized and ill-typed records as unreadable', () => {
    const good = serializeOwnerRecord(createOwnerRecord(newToken(), { pid: 10, host: 'h' }, 1));
    expect(parseOwnerRecord('')).toBeUndefined();
    expect(parseOwnerRecord(good.slice(0, good.length - 5))).toBeUndefined();
    expect(parseOwnerRecord(' '.repeat(MAX_RECORD_BYTES) + good)).toBeUndefined();
    const base = JSON.parse(good) as Record<string, unknown>;
    for (const patch of [
      { pid: 0 },
      { pid: -1 }, // kill(-1, 0) would address every process we may signal
      { pid: 1.5 },
      { pid: '12' },
      { token: 'not hex' },
      { host: '' },
      { start: 'abc' },
      { v: 2 },
      { time: 'now' },
    ]) {
      expect(parseOwnerRecord(JSON.stringify({ ...base, ...patch }))).toBeUndefined();
    }
    expect(parseOwnerRecord('[1,2]')).toBeUndefined();
    expect(parseOwnerRecord('null')).toBeUndefined();
  });

  it('drops unknown fields, __proto__ included, without touching prototypes', () => {
    const record = createOwnerRecord(newToken(), { pid: 10, host: 'h' }, 1);
    const text = JSON.stringify(record).replace(/^\{/, '{"__proto__":{"polluted":true},"extra":1,');
    const parsed = parseOwnerRecord(text);
    expect(parsed).toEqual(record);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('names the holder for error messages: this host or another, never the host name from the file', () => {
    const record = createOwnerRecord('a'.repeat(32), { pid: 77, host: 'box' }, 0);
    const here = describeOwner(record, 'box');
    for (const fragment of ['pid 77', 'on this host', '1970-01-01T00:00:00.000Z']) expect(here).toContain(fragment);
    expect(describeOwner(record, 'other')).toContain('pid 77 on another host');
    expect(describeOwner(undefined, 'box')).toMatch(/unreadable/);
  });

  it('a secret planted as the host of a lock file never reaches the description', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (host) => {
        const planted = parseOwnerRecord(JSON.stringify({ v: 1, token: TOKEN, pid: 5, host: `sk-SECRET-${host}`, time: 0 }));
        expect(planted?.host).toBe(`sk-SECRET-${host}`);
        const description = describeOwner(planted, 'box');
        expect(description).not.toContain('SECRET');
        expect(description).toContain('pid 5 on another host');
      }),
      fcParams(),
    );
  });
});

describe('parseOwnerRecord: exact acceptance rules', () => {
  const good = JSON.parse(recordText()) as Record<string, unknown>;
  const text = (patch: Record<string, unknown>): string => JSON.stringify({ ...good, ...patch });

  it('creates and parses records without a start key when there is no start stamp', () => {
    expect(Object.keys(createOwnerRecord(TOKEN, { pid: 1, host: 'h' }, 1))).not.toContain('start');
    expect(Object.keys(parseOwnerRecord(recordText()) ?? {})).not.toContain('start');
    expect(parseOwnerRecord(text({ start: '123' }))?.start).toBe('123');
  });

  it('keeps a string as it is (a lone surrogate is not replaced)', () => {
    const raw = recordText().replace('"elsewhere"', '"a\uD800b"');
    expect(parseOwnerRecord(raw)?.host).toBe('a\uD800b');
  });

  it('decodes bytes itself: a leading BOM makes them unreadable, invalid UTF-8 becomes U+FFFD', () => {
    const bytes = Buffer.from(recordText());
    expect(parseOwnerRecord(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]))).toBeUndefined();
    const invalid = Buffer.from(recordText().replace('"elsewhere"', '"a_b"'));
    invalid[invalid.indexOf('a_b') + 1] = 0xff;
    expect(parseOwnerRecord(invalid)?.host).toBe('a\uFFFDb');
  });

  it('accepts a record of exactly MAX_RECORD_BYTES characters', () => {
    const body = recordText().trimEnd();
    expect(parseOwnerRecord(' '.repeat(MAX_RECORD_BYTES - body.length) + body)?.token).toBe(TOKEN);
  });

  it('refuses nesting deeper than 4 levels, even in an unknown field', () => {
    expect(parseOwnerRecord(text({ extra: [[[1]]] }))?.token).toBe(TOKEN);
    expect(parseOwnerRecord(text({ extra: [[[[1]]]] }))).toBeUndefined();
  });

  it('returns undefined (does not throw) for JSON that is not an object', () => {
    for (const json of ['null', '5', '"text"', '[1]', 'true']) expect(parseOwnerRecord(json)).toBeUndefined();
  });

  it('refuses a version other than 1', () => {
    expect(parseOwnerRecord(text({ v: 2 }))).toBeUndefined();
    expect(parseOwnerRecord(text({ v: '1' }))).toBeUndefined();
  });

  it('takes a token of 16 to 128 lowercase hex digits and nothing around them', () => {
    expect(parseOwnerRecord(text({ token: 'a'.repeat(16) }))?.token).toBe('a'.repeat(16));
    expect(parseOwnerRecord(text({ token: `x${'a'.repeat(16)}` }))).toBeUndefined();
    expect(parseOwnerRecord(text({ token: `${'a'.repeat(16)}x` }))).toBeUndefined();
  });

  it('takes a host of 1 to 255 characters', () => {
    expect(parseOwnerRecord(text({ host: 'h'.repeat(255) }))?.host).toBe('h'.repeat(255));
    expect(parseOwnerRecord(text({ host: 'h'.repeat(256) }))).toBeUndefined();
    expect(parseOwnerRecord(text({ host: '' }))).toBeUndefined();
    expect(parseOwnerRecord(text({ host: 7 }))).toBeUndefined();
  });

  it('takes a start stamp of 1 to 20 digits and nothing around them', () => {
    expect(parseOwnerRecord(text({ start: '1'.repeat(20) }))?.start).toBe('1'.repeat(20));
    expect(parseOwnerRecord(text({ start: 'x1' }))).toBeUndefined();
    expect(parseOwnerRecord(text({ start: '1x' }))).toBeUndefined();
    expect(parseOwnerRecord(text({ start: 12 }))).toBeUndefined();
  });

  it('takes only a finite number as the time', () => {
    expect(parseOwnerRecord(text({ time: 'now' }))).toBeUndefined();
    expect(parseOwnerRecord(recordText().replace('"time":1000', '"time":1e999'))).toBeUndefined();
    expect(parseOwnerRecord(recordText())?.time).toBe(1000);
  });

  it('describes a holder whose time is beyond the Date range without a "since"', () => {
    const description = describeOwner(createOwnerRecord(TOKEN, { pid: 5, host: 'box' }, 1e20), 'box');
    expect(description).toContain('pid 5 on this host');
    expect(description).not.toContain('since');
  });

  it('fresh tokens stay distinct and well-formed across refills of the random pool', () => {
    const tokens = Array.from({ length: 1000 }, () => newToken());
    expect(new Set(tokens).size).toBe(1000);
    for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a fresh token is 32 hex digits and parses', () => {
    const token = newToken();
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(parseOwnerRecord(recordText(token))?.token).toBe(token);
  });
});
