import { entryFileName, type SessionEntry } from './entry-record.js';

/** One entry as loaded from its file. `entry` is frozen (one level: see freeze-entry.ts). */
export interface StoredEntry<E extends SessionEntry> {
  readonly key: string;
  readonly entry: E;
  readonly rev: number;
}

/** What updateMany's change tracker needs from a snapshot: lookups by key. */
export interface EntryLookup<E extends SessionEntry> {
  get(key: string): E | undefined;
  has(key: string): boolean;
  keys(): string[];
}

/**
 * Changed files are kept in an overlay on top of a shared base until there are this many, then
 * folded into a new base. Refreshing a snapshot after a commit therefore costs the keys that
 * changed (plus, every COMPACT_AT changes, one pass over the store), never a full copy per commit.
 */
const COMPACT_AT = 64;

/**
 * An immutable view of the whole store, indexed by entry file name (what the change log
 * names), with lookups by key. `with()` returns a new snapshot sharing everything unchanged, so
 * a caller still holding the old one (an updateMany in flight) keeps a consistent view.
 */
export class Snapshot<E extends SessionEntry> implements EntryLookup<E> {
  readonly #base: ReadonlyMap<string, StoredEntry<E>>;
  /** Changes on top of #base: undefined marks a file that is gone. */
  readonly #overlay: ReadonlyMap<string, StoredEntry<E> | undefined>;
  #record: Readonly<Record<string, E>> | undefined;

  constructor(base: ReadonlyMap<string, StoredEntry<E>>, overlay: ReadonlyMap<string, StoredEntry<E> | undefined> = new Map()) {
    this.#base = base;
    this.#overlay = overlay;
  }

  /** The stored entry in file `fileName`, if any. */
  storedIn(fileName: string): StoredEntry<E> | undefined {
    return this.#overlay.has(fileName) ? this.#overlay.get(fileName) : this.#base.get(fileName);
  }

  /** The stored entry of `key`, if any (a key that cannot be encoded has none). */
  stored(key: string): StoredEntry<E> | undefined {
    let fileName: string;
    try {
      fileName = entryFileName(key);
    // Stryker disable next-line BlockStatement: an empty catch leaves fileName undefined, which no map holds: undefined all the same
    } catch {
      return undefined;
    }
    const stored = this.storedIn(fileName);
    return stored?.key === key ? stored : undefined;
  }

  get(key: string): E | undefined {
    return this.stored(key)?.entry;
  }

  has(key: string): boolean {
    return this.stored(key) !== undefined;
  }

  keys(): string[] {
    const keys: string[] = [];
    for (const [fileName, stored] of this.#base) {
      if (!this.#overlay.has(fileName)) keys.push(stored.key);
    }
    for (const stored of this.#overlay.values()) {
      if (stored !== undefined) keys.push(stored.key);
    }
    return keys;
  }

  /** A new snapshot with these files changed (undefined: the file is gone). */
  with(changes: ReadonlyMap<string, StoredEntry<E> | undefined>): Snapshot<E> {
    if (changes.size === 0) return this;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator,BlockStatement: performance only: an overlay and a compacted base answer every lookup alike (snapshot.property.test.ts), only the cost differs
    if (this.#overlay.size + changes.size <= COMPACT_AT) {
      const overlay = new Map(this.#overlay);
      for (const [fileName, stored] of changes) overlay.set(fileName, stored);
      return new Snapshot(this.#base, overlay);
    }
    const base = new Map(this.#base);
    for (const source of [this.#overlay, changes]) {
      for (const [fileName, stored] of source) {
        if (stored === undefined) base.delete(fileName);
        else base.set(fileName, stored);
      }
    }
    return new Snapshot(base);
  }

  /** Every entry as a frozen null-prototype record, built once per snapshot. */
  record(): Readonly<Record<string, E>> {
    if (this.#record !== undefined) return this.#record;
    const record = Object.create(null) as Record<string, E>;
    for (const [fileName, stored] of this.#base) {
      if (!this.#overlay.has(fileName)) record[stored.key] = stored.entry;
    }
    for (const stored of this.#overlay.values()) {
      if (stored !== undefined) record[stored.key] = stored.entry;
    }
    this.#record = Object.freeze(record);
    return this.#record;
  }
}
