import { entryFileName, type StoreEntry } from './entry-record.js';

/** One entry as loaded from its file. `entry` is frozen (one level: see freeze-entry.ts). */
export interface StoredEntry<E extends StoreEntry> {
  readonly key: string;
  readonly entry: E;
  readonly rev: number;
  /** Size of the entry file in bytes (what maxTotalEntryBytes counts). */
  readonly size: number;
}

/** What updateMany's change tracker needs from a view: lookups by key, keys without copies. */
export interface EntryLookup<E extends StoreEntry> {
  get(key: string): E | undefined;
  has(key: string): boolean;
  keys(): string[];
}

/**
 * Changed files are kept in an overlay on top of a shared base until there are this many, then
 * folded into a new base. Refreshing a view after a commit therefore costs the keys that
 * changed (plus, every COMPACT_AT changes, one pass over the store), never a full copy per commit.
 */
const COMPACT_AT = 64;

/**
 * The store view: the cache's immutable in-memory picture of the whole store, indexed by entry
 * file name (what the change log names), with lookups by key. Not to be confused with the
 * snapshot file (`.snapshot`, a full load saved on disk) nor with the entries record loadAll()
 * returns (built from a view, once per view). `with()` returns a new view sharing everything
 * unchanged, so a caller still holding the old one (an updateMany in flight) keeps a
 * consistent picture.
 */
export class StoreView<E extends StoreEntry> implements EntryLookup<E> {
  readonly #base: ReadonlyMap<string, StoredEntry<E>>;
  /** Changes on top of #base: undefined marks a file that is gone. */
  readonly #overlay: ReadonlyMap<string, StoredEntry<E> | undefined>;
  #entries: Readonly<Record<string, E>> | undefined;
  /** Sum of the entry file sizes held. */
  readonly totalBytes: number;

  constructor(
    base: ReadonlyMap<string, StoredEntry<E>>,
    overlay: ReadonlyMap<string, StoredEntry<E> | undefined> = new Map(),
    totalBytes?: number,
  ) {
    this.#base = base;
    this.#overlay = overlay;
    this.totalBytes = totalBytes ?? sumSizes(this.files());
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

  /** Every key, as strings only: no entry is copied. */
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

  /** Every (file name, stored entry) pair. */
  *files(): IterableIterator<[string, StoredEntry<E>]> {
    for (const [fileName, stored] of this.#base) {
      if (!this.#overlay.has(fileName)) yield [fileName, stored];
    }
    for (const [fileName, stored] of this.#overlay) {
      if (stored !== undefined) yield [fileName, stored];
    }
  }

  /** A new view with these files changed (undefined: the file is gone). */
  with(changes: ReadonlyMap<string, StoredEntry<E> | undefined>): StoreView<E> {
    if (changes.size === 0) return this;
    let total = this.totalBytes;
    for (const [fileName, stored] of changes) total += (stored?.size ?? 0) - (this.storedIn(fileName)?.size ?? 0);
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator,BlockStatement: performance only: an overlay and a compacted base answer every lookup alike (view.property.test.ts), only the cost differs
    if (this.#overlay.size + changes.size <= COMPACT_AT) {
      const overlay = new Map(this.#overlay);
      for (const [fileName, stored] of changes) overlay.set(fileName, stored);
      return new StoreView(this.#base, overlay, total);
    }
    const base = new Map(this.#base);
    for (const source of [this.#overlay, changes]) {
      for (const [fileName, stored] of source) {
        if (stored === undefined) base.delete(fileName);
        else base.set(fileName, stored);
      }
    }
    return new StoreView(base, new Map(), total);
  }

  /** The entries record: every entry as a frozen null-prototype record, built once per view. */
  entries(): Readonly<Record<string, E>> {
    if (this.#entries !== undefined) return this.#entries;
    const record = Object.create(null) as Record<string, E>;
    for (const [, stored] of this.files()) record[stored.key] = stored.entry;
    this.#entries = Object.freeze(record);
    return this.#entries;
  }
}

function sumSizes<E extends StoreEntry>(files: Iterable<[string, StoredEntry<E>]>): number {
  let total = 0;
  for (const [, stored] of files) total += stored.size;
  return total;
}
