import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardfsError } from '../../src/index.js';
import { openSessionStore, type SessionEntry, type SessionStore } from '../../src/session-store/index.js';
import { fcParams } from '../support/fc.js';

const hostileKey = fc.oneof(
  fc.constantFrom('a', 'A', ' a ', 'b/c', '../x', '..', '.', '.hidden', 'x\0y', 'con', 'CON.txt', 'nul', 'Lpt1', '%41', '~', 'é', 'É', 'k'.repeat(300), 'K'.repeat(300), '__proto__', 'constructor', 'prototype'),
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 5 }),
);
const entry = fc.record({ updatedAt: fc.integer({ min: 0, max: 1e12 }), n: fc.integer(), tags: fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }) }, { requiredKeys: ['n'] });

type Op =
  | { kind: 'update'; key: string; value: SessionEntry }
  | { kind: 'updateMany'; set: Array<[string, SessionEntry]>; del: string[] }
  | { kind: 'delete'; key: string }
  | { kind: 'get'; key: string }
  | { kind: 'loadAll' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('update' as const), key: hostileKey, value: entry }),
  fc.record({ kind: fc.constant('updateMany' as const), set: fc.array(fc.tuple(hostileKey, entry), { maxLength: 3 }), del: fc.array(hostileKey, { maxLength: 2 }) }),
  fc.record({ kind: fc.constant('delete' as const), key: hostileKey }),
  fc.record({ kind: fc.constant('get' as const), key: hostileKey }),
  fc.constant({ kind: 'loadAll' as const }),
);

const BLOCKED = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

/** The model: a Map from normalized key to a JSON copy of the entry. */
function runModel(normalize: (key: string) => string) {
  const model = new Map<string, SessionEntry>();
  const valid = (key: string): string | undefined => {
    const k = normalize(key);
    return k.length === 0 || BLOCKED.has(k) ? undefined : k;
  };
  return { model, valid };
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

async function expectEqual(store: SessionStore, model: Map<string, SessionEntry>): Promise<void> {
  const all = await store.loadAll();
  expect(Object.getPrototypeOf(all)).toBeNull();
  expect(Object.keys(all).sort()).toEqual([...model.keys()].sort());
  for (const [key, value] of model) expect(plain(all[key])).toEqual(value);
}

describe.each([
  ['default normalization (trim + lower-case)', undefined],
  ['case-sensitive keys', (key: string) => key],
] as const)('store equals an in-memory model (%s)', (_label, normalizeKey) => {
  it('after every step, and after reopening', async () => {
    const normalize = normalizeKey ?? ((key: string) => key.trim().toLowerCase());
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const base = await mkdtemp(join(tmpdir(), 'hardfs-model-'));
        const options = { fsync: false, ...(normalizeKey ? { normalizeKey } : {}) };
        let store = await openSessionStore(join(base, 'sessions.json'), options);
        const { model, valid } = runModel(normalize);
        try {
          for (const step of ops) {
            if (step.kind === 'update') {
              const key = valid(step.key);
              if (key === undefined) {
                await expect(store.update(step.key, () => step.value)).rejects.toThrow(HardfsError);
              } else {
                await store.update(step.key, () => step.value);
                model.set(key, plain(step.value) as SessionEntry);
              }
            } else if (step.kind === 'delete') {
              const key = valid(step.key);
              if (key === undefined) await expect(store.delete(step.key)).rejects.toThrow(HardfsError);
              else expect(await store.delete(step.key)).toBe(model.delete(key));
            } else if (step.kind === 'get') {
              const key = valid(step.key);
              if (key === undefined) await expect(store.get(step.key)).rejects.toThrow(HardfsError);
              else {
                expect(plain(await store.get(step.key) ?? null)).toEqual(model.get(key) ?? null);
                expect(await store.getUpdatedAt(step.key)).toBe(model.get(key)?.updatedAt);
              }
            } else if (step.kind === 'updateMany') {
              // updateMany works on normalized keys; hostile keys are normalized first, blocked
              // ones must be refused without writing anything.
              const sets = step.set.map(([key, value]) => [valid(key), value] as const);
              const dels = step.del.map((key) => valid(key));
              const hasBlocked = sets.some(([key]) => key === undefined) || dels.some((key) => key === undefined);
              const mutation = (record: Record<string, SessionEntry>): void => {
                for (const [key, value] of step.set) record[normalize(key)] = value;
                for (const key of step.del) delete record[normalize(key)];
              };
              if (hasBlocked) {
                await expect(store.updateMany(mutation)).rejects.toThrow();
              } else {
                await store.updateMany(mutation);
                for (const [key, value] of sets) model.set(key as string, plain(value) as SessionEntry);
                for (const key of dels) model.delete(key as string);
              }
            }
            await expectEqual(store, model);
          }
          await store.close();
          store = await openSessionStore(join(base, 'sessions.json'), options);
          await expectEqual(store, model);
        } finally {
          await store.close();
          await rm(base, { recursive: true, force: true });
        }
      }),
      fcParams(25),
    );
  });
});
