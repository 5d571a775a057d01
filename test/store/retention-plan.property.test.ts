// planRetention is pure: properties over random stores, rules and protected sets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRetention, type RetentionRule } from '../../src/store/retention-plan.js';
import { fcParams } from '../support/fc.js';

const NOW = 1_000_000;

const entries = fc.uniqueArray(
  fc.tuple(
    fc.string({ minLength: 1, maxLength: 4 }),
    fc.option(fc.integer({ min: 0, max: NOW }), { nil: undefined }),
  ),
  { selector: ([key]) => key, maxLength: 30 },
);
const rule = fc.record(
  {
    olderThan: fc.integer({ min: 0, max: NOW }),
    maxEntries: fc.integer({ min: 0, max: 35 }),
  },
  { requiredKeys: [] },
);

function asStore(list: readonly (readonly [string, number | undefined])[]): [string, { updatedAt?: number }][] {
  return list.map(([key, updatedAt]) => [key, updatedAt === undefined ? {} : { updatedAt }]);
}

describe('planRetention (properties)', () => {
  it('never removes a protected key; removes each key at most once; keeps within the cap', () => {
    fc.assert(
      fc.property(entries, rule, fc.func(fc.boolean()), (list, r, protectFn) => {
        const isProtected = (key: string): boolean => protectFn(key);
        const plan = planRetention(asStore(list), { ...r, protect: isProtected }, NOW);
        const removed = plan.remove.map((item) => item.key);
        expect(new Set(removed).size).toBe(removed.length);
        for (const key of removed) expect(isProtected(key)).toBe(false);
        for (const item of plan.spared) expect(isProtected(item.key)).toBe(true);
        const left = list.length - removed.length;
        if (r.maxEntries !== undefined) {
          const protectedCount = list.filter(([key]) => isProtected(key)).length;
          expect(left).toBeLessThanOrEqual(Math.max(r.maxEntries, protectedCount));
        }
      }),
      fcParams(),
    );
  });

  it('the age rule removes exactly the unprotected entries older than the cutoff (none without a timestamp)', () => {
    fc.assert(
      fc.property(entries, fc.integer({ min: 0, max: NOW }), (list, olderThan) => {
        const plan = planRetention(asStore(list), { olderThan }, NOW);
        const expected = list.filter(([, at]) => at !== undefined && at < NOW - olderThan).map(([key]) => key);
        expect(plan.remove.map((item) => item.key).sort()).toEqual(expected.sort());
        for (const item of plan.remove) expect(item.reason).toBe('age');
      }),
      fcParams(),
    );
  });

  it('the count rule keeps the newest: no removed entry is newer than a kept one, missing timestamps go first', () => {
    fc.assert(
      fc.property(entries, fc.integer({ min: 0, max: 35 }), (list, maxEntries) => {
        const plan = planRetention(asStore(list), { maxEntries }, NOW);
        const removed = new Set(plan.remove.map((item) => item.key));
        expect(list.length - removed.size).toBe(Math.min(list.length, maxEntries));
        const rank = (at: number | undefined): number => at ?? Number.NEGATIVE_INFINITY;
        const keptTimes = list.filter(([key]) => !removed.has(key)).map(([, at]) => rank(at));
        const removedTimes = list.filter(([key]) => removed.has(key)).map(([, at]) => rank(at));
        if (keptTimes.length > 0 && removedTimes.length > 0) {
          expect(Math.max(...removedTimes)).toBeLessThanOrEqual(Math.min(...keptTimes));
        }
      }),
      fcParams(),
    );
  });

  it('the plan does not depend on the order the entries come in', () => {
    fc.assert(
      fc.property(entries, rule, fc.array(fc.string({ maxLength: 4 }), { maxLength: 5 }), (list, r, protect) => {
        const forward = planRetention(asStore(list), { ...r, protect }, NOW);
        const backward = planRetention(asStore([...list].reverse()), { ...r, protect }, NOW);
        const keys = (plan: typeof forward): string[] => plan.remove.map((item) => `${item.key}:${item.reason}`).sort();
        expect(keys(backward)).toEqual(keys(forward));
      }),
      fcParams(),
    );
  });
});

describe('planRetention (examples)', () => {
  it('refuses a negative or non-finite age and a non-integer cap', () => {
    const bad: RetentionRule[] = [{ olderThan: -1 }, { olderThan: Number.NaN }, { olderThan: Infinity }, { maxEntries: 1.5 }, { maxEntries: -1 }];
    for (const r of bad) expect(() => planRetention([], r, NOW)).toThrow(TypeError);
  });

  it('a protected entry over the cap is spared and reported with the rule that would have removed it', () => {
    const plan = planRetention(
      [
        ['active', { updatedAt: 1 }],
        ['b', { updatedAt: 5 }],
        ['c', { updatedAt: 6 }],
      ],
      { maxEntries: 1, protect: ['active'] },
      NOW,
    );
    expect(plan.remove.map((item) => item.key).sort()).toEqual(['b', 'c']);
    expect(plan.spared).toEqual([{ key: 'active', reason: 'count', timestamp: 1 }]);
  });
});
