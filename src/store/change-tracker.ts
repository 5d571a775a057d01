import { HardfsError, isBlockedObjectKey } from '../index.js';
import type { StoreEntry } from './entry-record.js';
import { DELETE } from './delete-sentinel.js';
import type { EntryLookup } from './view.js';

/** What updateMany's mutator receives: looks like a record of every entry. */
export type StoreRecord<E extends StoreEntry> = Record<string, E>;

export interface TrackedChange<E extends StoreEntry> {
  key: string;
  /** The value after the mutator ran, or undefined when the key was deleted. */
  value: E | undefined;
  /** The value in the snapshot the mutator saw, or undefined when the key did not exist. */
  original: E | undefined;
}

/**
 * What updateMany hands its mutator: a record that looks like the whole store but copies an
 * entry only when the mutator reaches for it. Reading, assigning or deleting a key marks it
 * touched; untouched keys cost nothing, so an update's cost follows the keys it touches, not
 * the store size (the legacy design cloned and diffed the whole store on every update).
 * `copies` counts the entries copied (what tests of "listing keys copies nothing" read).
 */
export class ChangeTracker<E extends StoreEntry> {
  readonly #snapshot: EntryLookup<E>;
  readonly #copy: (entry: E) => E;
  readonly #copies = new Map<string, E>();
  readonly #assigned = new Map<string, E>();
  readonly #deleted = new Set<string>();
  readonly record: StoreRecord<E>;
  /** Entries copied so far (each read of an untouched key copies it once). */
  copies = 0;

  constructor(snapshot: EntryLookup<E>, copy: (entry: E) => E) {
    this.#snapshot = snapshot;
    this.#copy = copy;
    this.record = new Proxy(Object.create(null) as StoreRecord<E>, {
      get: (_target, property) => (typeof property === 'string' ? this.#get(property) : undefined),
      set: (_target, property, value) => this.#set(property, value),
      defineProperty: (_target, property, descriptor) => {
        if (!('value' in descriptor)) {
          throw new TypeError('store entries cannot be accessor properties');
        }
        return this.#set(property, descriptor.value);
      },
      deleteProperty: (_target, property) => {
        if (typeof property !== 'string') return true;
        this.#assigned.delete(property);
        this.#copies.delete(property);
        this.#deleted.add(property);
        return true;
      },
      has: (_target, property) => typeof property === 'string' && this.#exists(property),
      ownKeys: () => this.#keys(),
      // Object.keys, for…in and Object.entries ask for every key's descriptor. An accessor
      // descriptor answers without reading the value, so listing keys copies no entry; reading a
      // value (Object.entries, spread) still goes through the get trap and copies that one.
      getOwnPropertyDescriptor: (_target, property) => {
        if (typeof property !== 'string' || !this.#exists(property)) return undefined;
        return {
          get: () => this.#get(property),
          set: (value: unknown) => this.#set(property, value),
          enumerable: true,
          configurable: true,
        };
      },
      getPrototypeOf: () => null,
      // Stryker disable next-line ArrowFunction: undefined is as falsy as false: the same refusal (Reflect.setPrototypeOf false, Object.setPrototypeOf TypeError)
      setPrototypeOf: () => false,
    });
  }

  /** Every key the mutator read, assigned or deleted, with its before and after values. */
  changes(): TrackedChange<E>[] {
    const touched = new Set<string>([...this.#copies.keys(), ...this.#assigned.keys(), ...this.#deleted]);
    return [...touched].map((key) => ({
      key,
      value: this.#deleted.has(key) ? undefined : (this.#assigned.get(key) ?? this.#copies.get(key)),
      original: this.#snapshot.get(key),
    }));
  }

  #exists(key: string): boolean {
    if (this.#deleted.has(key)) return false;
    return this.#assigned.has(key) || this.#snapshot.has(key);
  }

  #get(key: string): E | undefined {
    if (this.#deleted.has(key)) return undefined;
    const assigned = this.#assigned.get(key);
    if (assigned !== undefined) return assigned;
    const copied = this.#copies.get(key);
    if (copied !== undefined) return copied;
    const original = this.#snapshot.get(key);
    if (original === undefined) return undefined;
    const copy = this.#copy(original);
    this.copies += 1;
    this.#copies.set(key, copy);
    return copy;
  }

  #set(property: string | symbol, value: unknown): boolean {
    if (typeof property !== 'string') {
      throw new TypeError('store keys must be strings');
    }
    if (isBlockedObjectKey(property)) {
      throw new HardfsError('EBADNAME', 'store key is a blocked object key', { path: property });
    }
    if (value === undefined || value === DELETE) {
      // `store[key] = undefined` reads as a delete in the legacy JSON store (the key vanished
      // on the next stringify), so it is one here too.
      this.#assigned.delete(property);
      this.#copies.delete(property);
      this.#deleted.add(property);
      return true;
    }
    this.#deleted.delete(property);
    this.#copies.delete(property);
    this.#assigned.set(property, value as E);
    return true;
  }

  #keys(): string[] {
    const keys = new Set<string>();
    for (const key of this.#snapshot.keys()) if (!this.#deleted.has(key)) keys.add(key);
    for (const key of this.#assigned.keys()) keys.add(key);
    return [...keys];
  }
}
