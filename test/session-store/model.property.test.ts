// Model-based test: random command sequences against the store and an in-memory Map that
// normalizes keys the same way. After every command the store (through loadAll, get and the
// files on disk) equals the model; at the end, a reopened store equals it too. Driven through
// hardfs/session-store and through hardfs/store directly, shared and exclusive, with multi-key
// commits (updateMany) and reopening among the commands.
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isEntryFileName,
  openSessionStore,
  type SessionEntry,
  type SessionStore,
  type SessionStoreOptions,
} from '../../src/session-store/index.js';
import { openChangeLog, openDir } from '../../src/index.js';
import { openStore, type Store, type StoreOptions } from '../../src/store/index.js';
import { fcParams } from '../support/fc.js';
import { caught } from '../support/tmp.js';

// Written out here rather than imported: the model must not share the code it checks.
const BLOCKED = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);
const LONE_SURROGATE = /\p{Surrogate}/u;

type Normalize = (key: string) => string;

interface Model {
  normalize: Normalize;
  entries: Map<string, SessionEntry>;
}

/** What the commands use of a store: SessionStore's shape (Store is adapted to it). */
type Opened = Pick<SessionStore, 'loadAll' | 'get' | 'getUpdatedAt' | 'update' | 'updateMany' | 'delete' | 'close' | 'directoryPath'>;

interface Real {
  path: string;
  options: SessionStoreOptions;
  open: () => Promise<Opened>;
  store: Opened;
  /** A second instance on the same path, in the same process: its commits must be seen at once. */
  other: Opened;
  /** In exclusive mode only `store` may write: the "other instance" commands then write through it and read through `other`. */
  exclusive: boolean;
}

function otherWriter(real: Real): Opened {
  return real.exclusive ? real.store : real.other;
}

function observer(real: Real): Opened {
  return real.exclusive ? real.other : real.store;
}

function adapt(store: Store): Opened {
  return {
    loadAll: () => store.loadAll(),
    get: (key) => store.get(key),
    getUpdatedAt: async (key) => {
      const updatedAt = (await store.get(key))?.['updatedAt'];
      return typeof updatedAt === 'number' ? updatedAt : undefined;
    },
    update: (key, mutator) => store.update(key, mutator),
    updateMany: (mutator) => store.updateMany(mutator),
    delete: (key) => store.delete(key),
    close: () => store.close(),
    directoryPath: store.path,
  };
}

/** The key the store must use for `raw`, or undefined when it must refuse it (EBADNAME). */
function modelKey(model: Readonly<Model>, raw: string): string | undefined {
  const key = model.normalize(raw);
  if (key.length === 0 || BLOCKED.has(key) || LONE_SURROGATE.test(key)) return undefined;
  return key;
}

/** What a stored entry reads back as: its JSON, re-parsed. */
function canon(value: unknown): SessionEntry {
  return JSON.parse(JSON.stringify(value)) as SessionEntry;
}

const hostileKey: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'a', 'A', ' a ', 'a\t', 'b/c', 'b\\c', '../x', '..', '.', '...', '.hidden', 'x\0y', '\0',
      'con', 'CON', 'CON.txt', 'con.txt', 'nul', 'Lpt1', 'aux.json', '%41', '%2e', 'A%41', '~', '~1',
      'é', 'É', 'e\u0301', 'İ', 'ß', 'SS', '😀', '\u200b', '\ufeffbom', 'a.json', 'A.JSON', '.changes',
      '.locks', '.quarantine', 'sessions.json', 'hasOwnProperty', 'toString', 'valueOf',
      'k'.repeat(300), 'K'.repeat(300), `${'k'.repeat(299)}x`, 'é'.repeat(200),
      // refused: empty after normalization, blocked object keys, lone surrogates
      '', ' ', '   ', '__proto__', '__PROTO__', ' Constructor ', 'prototype', '__defineGetter__', '\ud800x', 'x\udfff',
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 8, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 4, unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('k', 'K', 'é', '/', '%'), fc.integer({ min: 250, max: 400 }))
      .map(([unit, count]) => unit.repeat(count)),
  },
);

// Field names exclude blocked keys (the reader drops those; store.test.ts covers that) and
// `updatedAt` (which has its own rule).
const fieldName = fc
  .oneof(fc.constantFrom('n', 's', 'a b', 'é', '%41', '', '..', 'hasOwnProperty'), fc.string({ maxLength: 6 }))
  .filter((key) => !BLOCKED.has(key) && key !== 'updatedAt');
const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 6, unit: 'binary' }), fc.boolean(), fc.constant(null));
const fieldValue = fc.oneof(
  leaf,
  fc.array(leaf, { maxLength: 3 }),
  fc.dictionary(fieldName, leaf, { maxKeys: 3, noNullPrototype: true }),
);
const entryArb: fc.Arbitrary<SessionEntry> = fc
  .tuple(fc.option(fc.integer({ min: 0, max: 2e12 })), fc.dictionary(fieldName, fieldValue, { maxKeys: 3, noNullPrototype: true }))
  .map(([updatedAt, fields]) => (updatedAt === null ? { ...fields } : { ...fields, updatedAt }));

async function expectRefused(promise: Promise<unknown>): Promise<void> {
  const error = await caught(promise);
  expect(error.code).toBe('EBADNAME');
}

function sortedKeys(entries: Map<string, SessionEntry>): string[] {
  return [...entries.keys()].sort();
}

/** The whole observable state: loadAll, get, getUpdatedAt, and the entry files on disk. */
async function expectStoreEqualsModel(store: Opened, model: Readonly<Model>): Promise<void> {
  const all = await store.loadAll();
  expect(Object.getPrototypeOf(all)).toBeNull();
  expect(Object.isFrozen(all)).toBe(true);
  expect(Object.keys(all).sort()).toEqual(sortedKeys(model.entries));
  for (const [key, entry] of model.entries) {
    expect(all[key]).toEqual(entry);
    expect(await store.get(key)).toEqual(entry);
    expect(await store.getUpdatedAt(key)).toBe(entry.updatedAt);
  }
  // One file per key, nothing orphaned, nothing quarantined in a benign run.
  const names = readdirSync(store.directoryPath);
  expect(names.filter(isEntryFileName)).toHaveLength(model.entries.size);
  expect(names).not.toContain('.quarantine');
}

/** Every command checks the whole observable state after it ran. */
abstract class StoreCommand implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    await this.apply(model, real);
    await expectStoreEqualsModel(real.store, model);
    // The other instance's cache is refreshed incrementally from the change log: it must
    // converge on the same state after every command, whoever wrote.
    const seenByOther = await real.other.loadAll();
    expect(Object.keys(seenByOther).sort()).toEqual(sortedKeys(model.entries));
    for (const [key, entry] of model.entries) expect(seenByOther[key]).toEqual(entry);
  }
  abstract apply(model: Model, real: Real): Promise<void>;
}

class UpdateCommand extends StoreCommand {
  constructor(
    readonly raw: string,
    readonly value: SessionEntry,
    readonly style: 'replace' | 'async' | 'in-place' | 'keep',
  ) {
    super();
  }
  async apply(model: Model, real: Real): Promise<void> {
    const key = modelKey(model, this.raw);
    if (key === undefined) {
      let called = false;
      await expectRefused(real.store.update(this.raw, () => ((called = true), this.value)));
      expect(called).toBe(false);
      return;
    }
    const before = model.entries.get(key);
    const result = await real.store.update(this.raw, async (current) => {
      expect(current).toEqual(before);
      if (this.style === 'replace') return this.value;
      if (this.style === 'async') {
        await new Promise((resolve) => setImmediate(resolve));
        return this.value;
      }
      if (this.style === 'in-place' && current !== undefined) current['touched'] = (Number(current['touched']) || 0) + 1;
      return undefined;
    });
    if (this.style === 'replace' || this.style === 'async') {
      model.entries.set(key, canon(this.value));
    } else if (this.style === 'in-place' && before !== undefined) {
      model.entries.set(key, { ...before, touched: (Number(before['touched']) || 0) + 1 });
    }
    expect(result).toEqual(model.entries.get(key));
  }
  override toString(): string {
    return `update(${JSON.stringify(this.raw)}, ${this.style}, ${JSON.stringify(this.value)})`;
  }
}

type ManyOp = { raw: string; value: SessionEntry } | { raw: string; value: undefined };

class UpdateManyCommand extends StoreCommand {
  constructor(readonly ops: ManyOp[]) {
    super();
  }
  async apply(model: Model, real: Real): Promise<void> {
    const keys = this.ops.map((op) => modelKey(model, op.raw));
    let runs = 0;
    const mutation = (record: Record<string, SessionEntry>): string => {
      runs += 1;
      expect(Object.getPrototypeOf(record)).toBeNull();
      expect(Object.keys(record).sort()).toEqual(sortedKeys(model.entries));
      // The mutator works on stored (normalized) keys, as callers of the legacy store did.
      for (const op of this.ops) {
        const key = model.normalize(op.raw);
        if (op.value === undefined) delete record[key];
        else record[key] = op.value;
      }
      return 'result';
    };
    if (keys.some((key) => key === undefined)) {
      await expectRefused(real.store.updateMany(mutation));
      return;
    }
    expect(await real.store.updateMany(mutation)).toBe('result');
    expect(runs).toBe(1); // nobody else writes: the optimistic commit never has to retry
    for (const [index, op] of this.ops.entries()) {
      const key = keys[index] as string;
      if (op.value === undefined) model.entries.delete(key);
      else model.entries.set(key, canon(op.value));
    }
  }
  override toString(): string {
    return `updateMany(${this.ops.map((op) => (op.value === undefined ? `-${JSON.stringify(op.raw)}` : `+${JSON.stringify(op.raw)}=${JSON.stringify(op.value)}`)).join(' ')})`;
  }
}

class DeleteCommand extends StoreCommand {
  constructor(readonly raw: string) {
    super();
  }
  async apply(model: Model, real: Real): Promise<void> {
    const key = modelKey(model, this.raw);
    if (key === undefined) return expectRefused(real.store.delete(this.raw));
    expect(await real.store.delete(this.raw)).toBe(model.entries.has(key));
    model.entries.delete(key);
  }
  override toString(): string {
    return `delete(${JSON.stringify(this.raw)})`;
  }
}

class GetCommand extends StoreCommand {
  constructor(readonly raw: string) {
    super();
  }
  async apply(model: Model, real: Real): Promise<void> {
    const key = modelKey(model, this.raw);
    if (key === undefined) {
      await expectRefused(real.store.get(this.raw));
      await expectRefused(real.store.getUpdatedAt(this.raw));
      return;
    }
    const entry = await real.store.get(this.raw);
    expect(entry).toEqual(model.entries.get(key));
    expect(await real.store.getUpdatedAt(this.raw)).toBe(model.entries.get(key)?.updatedAt);
    if (entry !== undefined) {
      // A fresh copy: scribbling on it changes nothing stored.
      entry['scribble'] = true;
      expect(await real.store.get(this.raw)).toEqual(model.entries.get(key));
    }
  }
  override toString(): string {
    return `get(${JSON.stringify(this.raw)})`;
  }
}

class OtherInstanceUpdateCommand extends StoreCommand {
  constructor(
    readonly raw: string,
    readonly value: SessionEntry | undefined,
  ) {
    super();
  }
  async apply(model: Model, real: Real): Promise<void> {
    const key = modelKey(model, this.raw);
    if (key === undefined) {
      await expectRefused(this.value === undefined ? otherWriter(real).delete(this.raw) : otherWriter(real).update(this.raw, () => this.value));
      return;
    }
    await observer(real).loadAll(); // warm the first instance's cache
    if (this.value === undefined) {
      expect(await otherWriter(real).delete(this.raw)).toBe(model.entries.has(key));
      model.entries.delete(key);
    } else {
      await otherWriter(real).update(this.raw, () => this.value);
      model.entries.set(key, canon(this.value));
    }
    // The very next read of the first instance sees it: no TTL.
    const all = await observer(real).loadAll();
    expect(Object.keys(all).sort()).toEqual(sortedKeys(model.entries));
    expect(all[key]).toEqual(model.entries.get(key));
  }
  override toString(): string {
    return `other.${this.value === undefined ? 'delete' : 'update'}(${JSON.stringify(this.raw)}${this.value === undefined ? '' : `, ${JSON.stringify(this.value)}`})`;
  }
}

class OtherInstanceUpdateManyCommand extends StoreCommand {
  constructor(readonly ops: ManyOp[]) {
    super();
  }
  async apply(model: Model, real: Real): Promise<void> {
    const keys = this.ops.map((op) => modelKey(model, op.raw));
    if (keys.some((key) => key === undefined)) return;
    await observer(real).loadAll(); // warm the first instance's cache
    await otherWriter(real).updateMany((record) => {
      for (const [index, op] of this.ops.entries()) {
        if (op.value === undefined) delete record[keys[index] as string];
        else record[keys[index] as string] = op.value;
      }
    });
    for (const [index, op] of this.ops.entries()) {
      const key = keys[index] as string;
      if (op.value === undefined) model.entries.delete(key);
      else model.entries.set(key, canon(op.value));
    }
  }
  override toString(): string {
    return `other.updateMany(${this.ops.map((op) => (op.value === undefined ? `-${JSON.stringify(op.raw)}` : `+${JSON.stringify(op.raw)}`)).join(' ')})`;
  }
}

/** Someone rotates the change log: every cache must notice and rebuild. */
class RotateChangeLogCommand extends StoreCommand {
  async apply(_model: Model, real: Real): Promise<void> {
    await real.store.loadAll();
    const dir = await openDir(real.store.directoryPath);
    const log = await openChangeLog(dir, '.changes');
    await log.rotate();
    await log.close();
    await dir.close();
  }
  override toString(): string {
    return 'rotateChangeLog()';
  }
}

class ReopenCommand extends StoreCommand {
  async apply(_model: Model, real: Real): Promise<void> {
    await real.store.close();
    real.store = await real.open();
  }
  override toString(): string {
    return 'reopen()';
  }
}

const commands = [
  fc
    .tuple(hostileKey, entryArb, fc.constantFrom('replace', 'async', 'in-place', 'keep') as fc.Arbitrary<UpdateCommand['style']>)
    .map(([raw, value, style]) => new UpdateCommand(raw, value, style)),
  fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.record({ raw: hostileKey, value: entryArb }) },
        { weight: 1, arbitrary: fc.record({ raw: hostileKey, value: fc.constant(undefined) }) },
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((ops) => new UpdateManyCommand(ops)),
  hostileKey.map((raw) => new DeleteCommand(raw)),
  hostileKey.map((raw) => new GetCommand(raw)),
  fc.tuple(hostileKey, fc.option(entryArb, { nil: undefined })).map(([raw, value]) => new OtherInstanceUpdateCommand(raw, value)),
  fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.record({ raw: hostileKey, value: entryArb }) },
        { weight: 1, arbitrary: fc.record({ raw: hostileKey, value: fc.constant(undefined) }) },
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((ops) => new OtherInstanceUpdateManyCommand(ops)),
  fc.constant(new RotateChangeLogCommand()),
  fc.constant(new ReopenCommand()),
];

type Via = 'session-store' | 'store shared' | 'store exclusive';

describe.each([
  ['hardfs/session-store, default normalization (trim + lower-case)', undefined, 'session-store'],
  ['hardfs/session-store, case-sensitive keys (normalizeKey: identity)', (key: string) => key, 'session-store'],
  ['hardfs/store, shared writer (case-sensitive keys)', (key: string) => key, 'store shared'],
  ['hardfs/store, exclusive writer (case-sensitive keys)', (key: string) => key, 'store exclusive'],
] as const)('the store equals an in-memory model: %s', (_label, normalizeKey, via: Via) => {
  it('after every command, and after close + reopen', async () => {
    const normalize: Normalize = normalizeKey ?? ((key) => key.trim().toLowerCase());
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30 }), async (cmds) => {
        const base = await mkdtemp(join(tmpdir(), 'hardfs-model-'));
        const path = join(base, 'sessions.json');
        const warnings: string[] = [];
        const options: SessionStoreOptions = {
          fsync: false,
          logger: { warn: (message) => warnings.push(message) },
          ...(normalizeKey === undefined ? {} : { normalizeKey }),
        };
        const storeOptions: StoreOptions = { ...options, writer: via === 'store exclusive' ? 'exclusive' : 'shared' };
        const dir = join(base, 'sessions.d');
        const open = async (): Promise<Opened> =>
          via === 'session-store' ? openSessionStore(path, options) : adapt(await openStore(dir, storeOptions));
        const openOther = async (): Promise<Opened> =>
          via === 'session-store' ? openSessionStore(path, options) : adapt(await openStore(dir, { ...storeOptions, writer: 'shared' }));
        const first = await open();
        const real: Real = { path, options, open, store: first, other: await openOther(), exclusive: via === 'store exclusive' };
        const model: Model = { normalize, entries: new Map() };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          await real.store.close();
          await real.other.close();
          real.store = await open();
          real.other = real.store;
          await expectStoreEqualsModel(real.store, model);
          expect(warnings).toEqual([]);
        } finally {
          await real.store.close();
          await real.other.close();
          await rm(base, { recursive: true, force: true });
        }
      }),
      fcParams(30),
    );
  });
});
