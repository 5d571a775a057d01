import { isSingleComponent } from '../index.js';

/**
 * The names a store owns inside its directory (DESIGN.md, "Store — contract"):
 *
 *   <encodeKey(key)>.json   one entry file per key
 *   .changes                the change log (one record per commit)
 *   .snapshot               the snapshot file: a full load saved for the next process
 *   .locks/                 per-key lock files, multi-key commit intents, the exclusive writer lock
 *   .quarantine/            files that failed to parse or to match their name
 */
export const ENTRY_SUFFIX = '.json';
/** The change log's file name in a store directory: one record per commit. */
export const CHANGES_FILE = '.changes';
/**
 * What the change log was called before it had its own name. A store that still has one opens:
 * the name is migrated (renamed to `.changes`) the first time the store is opened.
 */
export const LEGACY_CHANGES_FILE = '.stamp';
/** The snapshot file's name: a full load saved for the next process to start from. */
export const SNAPSHOT_FILE = '.snapshot';
/** The subdirectory holding per-key lock files, multi-key commit intents and the writer lock. */
export const LOCKS_DIR = '.locks';
/** The subdirectory where files that are not valid entries are moved (never deleted). */
export const QUARANTINE_DIR = '.quarantine';
export const LOCK_SUFFIX = '.lock';
/** A multi-key commit's intent record, in `.locks/`: `<id>.txn`. */
export const INTENT_SUFFIX = '.txn';
/** The store-wide lock an exclusive writer holds for its lifetime, in `.locks/`. */
export const WRITER_LOCK = 'writer.lock';
/** Entry bytes staged by a multi-key commit before its renames: `.staged-<id>-<n>`. */
export const STAGED_PREFIX = '.staged-';

/**
 * Whether `name` has the shape of an entry file (`<stem>.json`, not a dot file): what a store
 * reads as an entry. It does not check that the stem decodes to a key.
 */
export function isEntryFileName(name: string): boolean {
  // The suffix starts with '.', so a name that is only the suffix is a dot file: no stem check.
  return name.endsWith(ENTRY_SUFFIX) && !name.startsWith('.');
}

/** An entry file name that is also safe to open: what a change record or a lock name may name. */
export function isSafeEntryFileName(name: string): boolean {
  // encodeKey gives at most 200 bytes: anything longer came from elsewhere (and would be
  // ENAMETOOLONG at open).
  return isEntryFileName(name) && name.length <= MAX_ENTRY_FILE_NAME && isSingleComponent(name);
}

const MAX_ENTRY_FILE_NAME = 200 + ENTRY_SUFFIX.length;

export function lockFileName(entryFile: string): string {
  return `${entryFile}${LOCK_SUFFIX}`;
}

/** The entry file a lock file name belongs to, if it is one. */
export function lockedEntryFile(lockName: string): string | undefined {
  if (!lockName.endsWith(LOCK_SUFFIX)) return undefined;
  const entryFile = lockName.slice(0, -LOCK_SUFFIX.length);
  return isSafeEntryFileName(entryFile) ? entryFile : undefined;
}

const INTENT_ID = /^[0-9a-f]{24}$/;

export function isIntentId(id: string): boolean {
  return INTENT_ID.test(id);
}

export function intentFileName(id: string): string {
  return `${id}${INTENT_SUFFIX}`;
}

/** The commit id an intent file name belongs to, if it is one. */
export function intentIdOf(name: string): string | undefined {
  if (!name.endsWith(INTENT_SUFFIX)) return undefined;
  const id = name.slice(0, -INTENT_SUFFIX.length);
  return isIntentId(id) ? id : undefined;
}

export function stagedFileName(id: string, index: number): string {
  return `${STAGED_PREFIX}${id}-${index}`;
}

/** The commit id a staged file belongs to, if it is one. */
export function stagedIdOf(name: string): string | undefined {
  if (!name.startsWith(STAGED_PREFIX)) return undefined;
  const rest = name.slice(STAGED_PREFIX.length);
  const dash = rest.indexOf('-');
  const id = rest.slice(0, dash);
  // No dash: slice(0, -1) could still leave 24 hex digits, so its absence is checked itself (an
  // empty id before a leading dash is no intent id).
  return dash !== -1 && isIntentId(id) && /^[0-9]+$/.test(rest.slice(dash + 1)) ? id : undefined;
}
