// isBlockedObjectKey and dictFromEntries on arbitrary keys.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCKED_OBJECT_KEYS, dictFromEntries, isBlockedObjectKey } from '../../src/objects/index.js';
import { fcParams } from '../support/fc.js';

const BLOCKED = [...BLOCKED_OBJECT_KEYS];
/** Blocked names, one-character edits of them, and arbitrary strings. */
const nearKey = fc.oneof(
  fc.constantFrom(...BLOCKED),
  fc.tuple(fc.constantFrom(...BLOCKED), fc.nat(), fc.string({ maxLength: 1 })).map(([key, at, char]) => key.slice(0, at % key.length) + char + key.slice((at % key.length) + 1)),
  fc.string({ maxLength: 20 }),
);

describe('isBlockedObjectKey properties', () => {
  it('is true exactly for the listed names, compared as they are', () => {
    fc.assert(
      fc.property(nearKey, (key) => {
        expect(isBlockedObjectKey(key)).toBe(BLOCKED.includes(key));
        expect(isBlockedObjectKey(key.toUpperCase())).toBe(BLOCKED.includes(key.toUpperCase()));
      }),
      fcParams(300),
    );
  });
});

describe('dictFromEntries properties', () => {
  it('keeps every entry (a later duplicate wins) with no prototype, or refuses a blocked key with EBADNAME', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(nearKey, fc.integer()), { maxLength: 8 }), (entries) => {
        const blocked = entries.find(([key]) => isBlockedObjectKey(key));
        if (blocked !== undefined) {
          expect(() => dictFromEntries(entries)).toThrow(expect.objectContaining({ code: 'EBADNAME' }) as unknown as Error);
          return;
        }
        const dict = dictFromEntries(entries);
        expect(Object.getPrototypeOf(dict)).toBeNull();
        const expected = new Map(entries);
        expect(Object.keys(dict).sort()).toEqual([...expected.keys()].sort());
        for (const [key, value] of expected) expect(dict[key]).toBe(value);
      }),
      fcParams(300),
    );
  });
});
