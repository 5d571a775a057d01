// Snapshot (the store's immutable view, layered changes over a shared base) against a plain Map
// model: after any sequence of with() calls — enough of them to cross the compaction threshold
// many times — lookups by key and by file, keys() and record() equal the model, and every
// earlier snapshot still equals the model state it was taken at.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryFileName, type StoreEntry as SessionEntry } from '../../src/store/entry-record.js';
import { StoreView as Snapshot, type StoredEntry } from '../../src/store/view.js';
import { fcParams } from '../support/fc.js';

const key = fc.oneof(fc.constantFrom('a', 'b', 'K', 'x/y', '..', 'é'), fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !/\p{Surrogate}/u.test(k)));
const batch = fc.array(fc.tuple(key, fc.option(fc.integer(), { nil: undefined })), { minLength: 10, maxLength: 50, size: "max" });

function stored(k: string, n: number): StoredEntry<SessionEntry> {
  return { key: k, entry: Object.freeze({ n }), rev: n, size: 1 };
}

function expectEquals(view: Snapshot<SessionEntry>, model: ReadonlyMap<string, number>): void {
  expect(view.keys().sort()).toEqual([...model.keys()].sort());
  const record = view.entries();
  expect(Object.isFrozen(record)).toBe(true);
  expect(Object.getPrototypeOf(record)).toBeNull();
  expect(Object.keys(record).sort()).toEqual([...model.keys()].sort());
  for (const [k, n] of model) {
    expect(view.get(k)).toEqual({ n });
    expect(view.has(k)).toBe(true);
    expect(view.stored(k)?.rev).toBe(n);
    expect(view.storedIn(entryFileName(k))?.key).toBe(k);
    expect(record[k]).toEqual({ n });
  }
  for (const absent of ['absent-key', '\ud800']) {
    expect(view.get(absent)).toBeUndefined();
    expect(view.has(absent)).toBe(false);
  }
}

describe('Snapshot', () => {
  it('equals a Map model after any sequence of changes, and older snapshots never change', () => {
    fc.assert(
      fc.property(fc.array(batch, { minLength: 2, maxLength: 12 }), (batches) => {
        let view = new Snapshot<SessionEntry>(new Map());
        const model = new Map<string, number>();
        const history: Array<[Snapshot<SessionEntry>, Map<string, number>]> = [[view, new Map()]];
        for (const changes of batches) {
          const byFile = new Map<string, StoredEntry<SessionEntry> | undefined>();
          for (const [k, n] of changes) {
            byFile.set(entryFileName(k), n === undefined ? undefined : stored(k, n));
          }
          // Map semantics: the last change to a file wins, as in the store's refresh.
          for (const last of byFile.values()) if (last !== undefined) model.set(last.key, last.rev);
          for (const [fileName, last] of byFile) {
            if (last !== undefined) continue;
            for (const k of [...model.keys()]) if (entryFileName(k) === fileName) model.delete(k);
          }
          view = view.with(byFile);
          history.push([view, new Map(model)]);
          expectEquals(view, model);
        }
        for (const [old, state] of history) expectEquals(old, state);
      }),
      fcParams(25), // each run is hundreds of changes, crossing the compaction threshold
    );
  });

  it('with() of nothing is the same snapshot, and record() is built once per snapshot', () => {
    const view = new Snapshot<SessionEntry>(new Map([[entryFileName('a'), stored('a', 1)]]));
    expect(view.with(new Map())).toBe(view);
    expect(view.entries()).toBe(view.entries());
  });
});
