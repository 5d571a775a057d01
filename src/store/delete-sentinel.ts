/**
 * Returned by an update() mutator (or assigned to a key in updateMany's record) to delete the
 * entry. Returning undefined keeps the current entry, as it always did; deletion is explicit.
 * A registered symbol, so that two copies of the package in one process (two installed
 * versions) agree on it.
 * `hardfs/session-store` re-exports the same value.
 *
 * @example
 * ```ts
 * await store.update('old', () => DELETE); // removes 'old' (nothing written if absent)
 * await store.commit(['a', 'b'], () => new Map([['a', DELETE]])); // removes 'a', keeps 'b'
 * ```
 */
export const DELETE: unique symbol = Symbol.for('hardfs.store.DELETE') as typeof DELETE;
export type DELETE = typeof DELETE;
