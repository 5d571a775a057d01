// The change record grammar (change-records.ts) as a pure function pair: what a commit writes,
// parseChangeRecord reads back; anything a store never writes reads as "reload everything".
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_CHANGED, changeRecordFor, intentRecordFor, parseChangeRecord } from '../../src/store/change-records.js';
import { fcParams } from '../support/fc.js';

const entryName = fc.stringMatching(/^[a-z0-9_-]{1,40}$/).map((stem) => `${stem}.json`);
const intentId = fc.stringMatching(/^[0-9a-f]{24}$/);

describe('change records round-trip', () => {
  it('a commit record reads back as its files, no txn', () => {
    fc.assert(
      fc.property(fc.array(entryName, { minLength: 1, maxLength: 20 }), (names) => {
        expect(parseChangeRecord(changeRecordFor(names))).toEqual({ files: names, txn: undefined });
      }),
      fcParams(),
    );
  });

  it('a multi-key commit record reads back as its id and files; over 32 KiB as its id and "everything"', () => {
    fc.assert(
      fc.property(intentId, fc.array(entryName, { minLength: 1, maxLength: 20 }), (id, names) => {
        expect(parseChangeRecord(intentRecordFor(id, names))).toEqual({ files: names, txn: id });
      }),
      fcParams(),
    );
    const id = 'ab'.repeat(12);
    const many = Array.from({ length: 4000 }, (_, index) => `entry-${index}.json`);
    expect(intentRecordFor(id, many)).toBe(`@${id}/${ALL_CHANGED}`);
    expect(parseChangeRecord(intentRecordFor(id, many))).toEqual({ files: undefined, txn: id });
  });

  it('records no store writes are undefined (the reader reloads everything): a bad id, a bad name, a path', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string().filter((text) => !/^[0-9a-f]{24}$/.test(text)).map((text) => `@${text}/a.json`),
          fc.constantFrom('', '.changes', 'a.json/../b.json', 'a.json//b.json', 'a.txt', '@', `@${'ab'.repeat(12)}/.hidden.json`),
        ),
        (record) => {
          expect(parseChangeRecord(record)).toBeUndefined();
        },
      ),
      fcParams(),
    );
    expect(parseChangeRecord(ALL_CHANGED)).toEqual({ files: undefined, txn: undefined });
  });
});
