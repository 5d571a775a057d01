// planRetention is pure: properties over random stores, rules and protected sets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultTimestamp, planRetention, type RetentionRule } from '../../src/store/retention-plan.js';
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

// An independent statement of the rules, used as the oracle of the exact-plan property: an
// unprotected entry survives the count rule when fewer than `room` unprotected survivors of the
// age rule rank above it; a protected one is reported when its rank among all survivors is past
// the cap.
function oraclePlan(list: readonly (readonly [string, number | undefined])[], r: RetentionRule, protectedKeys: ReadonlySet<string>, now: number): string[] {
  const out: string[] = [];
  const left = list.filter(([key, at]) => {
    const old = r.olderThan !== undefined && at !== undefined && at < now - r.olderThan;
    if (old) out.push(`${protectedKeys.has(key) ? 'spared' : 'remove'}:${key}:age:${String(at)}`);
    return !old || protectedKeys.has(key);
  });
  if (r.maxEntries === undefined) return out.sort();
  const above = (x: readonly [string, number | undefined], y: readonly [string, number | undefined]): boolean => {
    const xt = x[1] ?? Number.NEGATIVE_INFINITY;
    const yt = y[1] ?? Number.NEGATIVE_INFINITY;
    return xt > yt || (xt === yt && x[0] < y[0]);
  };
  const protectedLeft = left.filter(([key]) => protectedKeys.has(key)).length;
  const room = Math.max(0, r.maxEntries - protectedLeft);
  for (const item of left) {
    const [key, at] = item;
    if (protectedKeys.has(key)) {
      const rank = left.filter((other) => above(other, item)).length;
      if (rank >= r.maxEntries && !out.some((line) => line.startsWith(`spared:${key}:`))) out.push(`spared:${key}:count:${String(at)}`);
      continue;
    }
    const unprotectedAbove = left.filter((other) => !protectedKeys.has(other[0]) && above(other, item)).length;
    if (unprotectedAbove >= room) out.push(`remove:${key}:count:${String(at)}`);
  }
  return out.sort();
}

function planLines(plan: ReturnType<typeof planRetention>): string[] {
  return [
    ...plan.remove.map((item) => `remove:${item.key}:${item.reason}:${String(item.timestamp)}`),
    ...plan.spared.map((item) => `spared:${item.key}:${item.reason}:${String(item.timestamp)}`),
  ].sort();
}

describe('planRetention (exact plan against an oracle, on a small clock so ties and boundaries are common)', () => {
  const SMALL_NOW = 8;
  const smallEntries = fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), fc.option(fc.integer({ min: 0, max: SMALL_NOW }), { nil: undefined })), {
    selector: ([key]) => key,
    maxLength: 7,
  });
  const smallRule = fc.record({ olderThan: fc.integer({ min: 0, max: SMALL_NOW + 1 }), maxEntries: fc.integer({ min: 0, max: 7 }) }, { requiredKeys: [] });

  it('remove and spared are exactly what the rules say, whatever the entry order', () => {
    fc.assert(
      fc.property(smallEntries, smallRule, fc.subarray(['a', 'b', 'c', 'd', 'e', 'f', 'g']), (list, r, protect) => {
        const expected = oraclePlan(list, r, new Set(protect), SMALL_NOW);
        expect(planLines(planRetention(asStore(list), { ...r, protect }, SMALL_NOW))).toEqual(expected);
        expect(planLines(planRetention(asStore([...list].reverse()), { ...r, protect }, SMALL_NOW))).toEqual(expected);
      }),
      fcParams(),
    );
  });
});

describe('planRetention (table)', () => {
  type Row = [name: string, list: [string, number | undefined][], rule: RetentionRule, expected: string[]];
  const rows: Row[] = [
    ['an entry exactly at the cutoff is not older than it', [['at', 4], ['before', 3]], { olderThan: 6 }, ['remove:before:age:3']],
    ['olderThan 0 is allowed: everything before now goes', [['now', 10], ['past', 9]], { olderThan: 0 }, ['remove:past:age:9']],
    ['no timestamp is never old', [['undated', undefined], ['old', 0]], { olderThan: 0 }, ['remove:old:age:0']],
    ['no age rule: nothing goes for its age', [['ancient', 0], ['old', 1]], { maxEntries: 5 }, []],
    ['no rule at all removes nothing', [['a', 0], ['b', undefined]], {}, []],
    ['a cap exactly met removes nothing', [['a', 1], ['b', 2]], { maxEntries: 2 }, []],
    ['ties on the timestamp keep the smaller key', [['b', 5], ['a', 5], ['c', 5]], { maxEntries: 1 }, ['remove:b:count:5', 'remove:c:count:5']],
    ['ties, entries in key order', [['a', 5], ['b', 5], ['c', 5]], { maxEntries: 2 }, ['remove:c:count:5']],
    ['newer wins over key order', [['a', 1], ['b', 2], ['c', 3]], { maxEntries: 1 }, ['remove:a:count:1', 'remove:b:count:2']],
    ['newer wins over key order, reversed input', [['c', 3], ['b', 2], ['a', 1]], { maxEntries: 2 }, ['remove:a:count:1']],
    ['undated entries are cut first, then by key', [['z', 1], ['x', undefined], ['y', undefined]], { maxEntries: 2 }, ['remove:y:count:undefined']],
    ['maxEntries 0 removes everything unprotected', [['a', 1], ['b', undefined]], { maxEntries: 0 }, ['remove:a:count:1', 'remove:b:count:undefined']],
  ];
  it.each(rows)('%s', (_name, list, rule, expected) => {
    expect(planLines(planRetention(asStore(list), rule, 10))).toEqual(expected);
    expect(planLines(planRetention(asStore([...list].reverse()), rule, 10))).toEqual(expected);
    expect(oraclePlan(list, rule, new Set(), 10)).toEqual(expected);
  });

  type ProtectRow = [name: string, list: [string, number | undefined][], rule: RetentionRule, expected: string[]];
  const protectRows: ProtectRow[] = [
    // p ranks second (index 1) under a cap of 1: it would have been cut, so it is reported; it
    // still takes the only place, so the newer unprotected entry goes.
    ['a protected key ranked exactly at the cap is spared by count', [['a', 5], ['p', 4]], { maxEntries: 1, protect: ['p'] }, ['remove:a:count:5', 'spared:p:count:4']],
    ['a protected key within the cap is not reported', [['p', 9], ['a', 5], ['b', 4]], { maxEntries: 2, protect: ['p'] }, ['remove:b:count:4']],
    [
      'a key spared by age is not reported again by count, and another protected key still is',
      [['old', 0], ['q', 7], ['a', 9], ['b', 8]],
      { olderThan: 5, maxEntries: 1, protect: ['old', 'q'] },
      ['remove:a:count:9', 'remove:b:count:8', 'spared:old:age:0', 'spared:q:count:7'],
    ],
    ['protect as a function', [['keep', 0], ['go', 0]], { olderThan: 1, protect: (key: string) => key === 'keep' }, ['remove:go:age:0', 'spared:keep:age:0']],
  ];
  it.each(protectRows)('%s', (_name, list, rule, expected) => {
    expect(planLines(planRetention(asStore(list), rule, 10))).toEqual(expected);
    expect(planLines(planRetention(asStore([...list].reverse()), rule, 10))).toEqual(expected);
  });

  it('a rule that is not a number is a TypeError naming the option', () => {
    const bad: [RetentionRule, string][] = [
      [{ olderThan: '5' as unknown as number }, 'olderThan'],
      [{ olderThan: -0.5 }, 'olderThan'],
      [{ olderThan: Number.NEGATIVE_INFINITY }, 'olderThan'],
      [{ maxEntries: '2' as unknown as number }, 'maxEntries'],
      [{ maxEntries: Number.NaN }, 'maxEntries'],
    ];
    for (const [r, name] of bad) {
      const error = caughtSync(() => planRetention([], r, NOW));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain(name);
    }
    expect(planRetention([['a', { updatedAt: 1 }]], { olderThan: 0, maxEntries: 0 }, NOW).remove).toHaveLength(1);
  });
});

describe('defaultTimestamp', () => {
  const fn = Object.assign(() => undefined, { updatedAt: 5 });
  const rows: [string, unknown, number | undefined][] = [
    ['an object with a finite updatedAt', { updatedAt: 5 }, 5],
    ['a negative updatedAt', { updatedAt: -3 }, -3],
    ['NaN', { updatedAt: Number.NaN }, undefined],
    ['Infinity', { updatedAt: Number.POSITIVE_INFINITY }, undefined],
    ['a numeric string', { updatedAt: '5' }, undefined],
    ['no updatedAt', {}, undefined],
    ['null', null, undefined],
    ['undefined', undefined, undefined],
    ['a number', 5, undefined],
    ['a string', 'updatedAt', undefined],
    ['a function carrying updatedAt (not an object entry)', fn, undefined],
  ];
  it.each(rows)('%s', (_name, entry, expected) => {
    expect(defaultTimestamp(entry)).toBe(expected);
  });
});

function caughtSync(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, nothing was thrown');
}
