// mergeSessionEntryPatch is pure: the gateway's patch semantics as properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeSessionEntryPatch } from '../../../src/session-store/compat/index.js';
import { fcParams } from '../../support/fc.js';

const field = fc.constantFrom('a', 'b', 'c', 'label', 'cacheRead');
const value = fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.boolean(), fc.constant(undefined));
const stamp = fc.oneof(fc.constant({}), fc.integer({ min: 0, max: 1e6 }).map((updatedAt) => ({ updatedAt })));
const entry = fc
  .tuple(stamp, fc.dictionary(field, value.filter((v) => v !== undefined)))
  .map(([base, rest]): { updatedAt?: number } & Record<string, unknown> => ({ ...rest, ...base }));
// A patch may carry `updatedAt: undefined` too (the gateway's Partial<SessionEntry> allows it).
const patch = fc
  .tuple(fc.oneof(stamp, fc.constant({ updatedAt: undefined })), fc.dictionary(field, value))
  .map(([base, rest]): Record<string, unknown> => ({ ...rest, ...base }));

describe('mergeSessionEntryPatch (properties)', () => {
  it('patched fields win, a field patched to undefined is gone, other fields are kept, updatedAt is the newest of entry, patch and now', () => {
    fc.assert(
      fc.property(entry, patch, fc.integer({ min: 0, max: 1e6 }), (existing, change, now) => {
        const merged = mergeSessionEntryPatch(existing, change, now) as Record<string, unknown>;
        for (const [name, patched] of Object.entries(change)) {
          if (name === 'updatedAt') continue;
          if (patched === undefined) expect(name in merged).toBe(false);
          else expect(merged[name]).toBe(patched);
        }
        for (const [name, kept] of Object.entries(existing)) {
          if (name === 'updatedAt' || name in change) continue;
          expect(merged[name]).toBe(kept);
        }
        const patchedAt = typeof change['updatedAt'] === 'number' ? change['updatedAt'] : 0;
        expect(merged['updatedAt']).toBe(Math.max(existing.updatedAt ?? 0, patchedAt, now));
        expect(Object.values(merged)).not.toContain(undefined);
      }),
      fcParams(),
    );
  });

  it('never mutates its inputs', () => {
    fc.assert(
      fc.property(entry, patch, (existing, change) => {
        const before = JSON.stringify([existing, Object.keys(change)]);
        mergeSessionEntryPatch(existing, change, 5);
        expect(JSON.stringify([existing, Object.keys(change)])).toBe(before);
      }),
      fcParams(),
    );
  });
});
