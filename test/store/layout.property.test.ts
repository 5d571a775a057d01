// The layout's name builders and parsers as pure functions: every name a store builds parses
// back to what built it, whatever parses was built that way, and the kinds of name (entry, lock,
// intent, staged) never overlap, so a listing is never read as the wrong kind of file.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  intentFileName,
  intentIdOf,
  isEntryFileName,
  isIntentId,
  isSafeEntryFileName,
  lockFileName,
  lockedEntryFile,
  stagedFileName,
  stagedIdOf,
} from '../../src/store/layout.js';
import { fcParams } from '../support/fc.js';

const intentId = fc.stringMatching(/^[0-9a-f]{24}$/);
const stem = fc.stringMatching(/^[A-Za-z0-9_~-][A-Za-z0-9_.~-]{0,199}$/);
const entryName = stem.map((text) => `${text}.json`);
// Arbitrary names, biased toward the shapes the parsers look for.
const anyName = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.tuple(fc.constantFrom('', '.staged-', '.', '.tmp-'), fc.oneof(intentId, fc.string({ maxLength: 30 })), fc.constantFrom('', '-', '.'), fc.oneof(fc.nat().map(String), fc.string({ maxLength: 4 })), fc.constantFrom('', '.txn', '.json', '.lock', '.json.lock')).map((parts) => parts.join('')),
);

describe('layout names round-trip', () => {
  it('intent and staged names parse back to their commit id', () => {
    fc.assert(
      fc.property(intentId, fc.nat(), (id, index) => {
        expect(isIntentId(id)).toBe(true);
        expect(intentIdOf(intentFileName(id))).toBe(id);
        expect(stagedIdOf(stagedFileName(id, index))).toBe(id);
      }),
      fcParams(),
    );
  });

  it('a lock file name parses back to its entry file', () => {
    fc.assert(
      fc.property(entryName, (name) => {
        expect(isSafeEntryFileName(name)).toBe(true);
        expect(lockedEntryFile(lockFileName(name))).toBe(name);
      }),
      fcParams(),
    );
  });

  it('whatever parses is exactly the name built from what it parsed to', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const id = intentIdOf(name);
        if (id !== undefined) expect(intentFileName(id)).toBe(name);
        const staged = stagedIdOf(name);
        if (staged !== undefined) expect(name).toMatch(new RegExp(`^\\.staged-${staged}-[0-9]+$`));
        const entry = lockedEntryFile(name);
        if (entry !== undefined) {
          expect(lockFileName(entry)).toBe(name);
          expect(isSafeEntryFileName(entry)).toBe(true);
        }
        if (isSafeEntryFileName(name)) expect(isEntryFileName(name)).toBe(true);
      }),
      fcParams(),
    );
  });

  it('no name is of two kinds', () => {
    fc.assert(
      fc.property(fc.oneof(anyName, entryName, entryName.map(lockFileName), intentId.map(intentFileName), fc.tuple(intentId, fc.nat()).map(([id, n]) => stagedFileName(id, n))), (name) => {
        const kinds = [isEntryFileName(name), lockedEntryFile(name) !== undefined, intentIdOf(name) !== undefined, stagedIdOf(name) !== undefined];
        expect(kinds.filter(Boolean).length).toBeLessThanOrEqual(1);
      }),
      fcParams(),
    );
  });
});
