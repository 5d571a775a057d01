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

  it('names the holder for error messages', () => {
    expect(describeOwner(createOwnerRecord('a'.repeat(32), { pid: 77, host: 'box' }, 0))).toBe(
      'pid 77 on host "box" since 1970-01-01T00:00:00.000Z',
    );
    expect(describeOwner(undefined)).toMatch(/unreadable/);
  });
});
