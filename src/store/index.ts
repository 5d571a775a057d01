// Public API of hardfs/store. Re-exports only.
export {
  openStore,
  openStoreSync,
  Store,
  type OpenStoreOptions,
  type EntryMutator,
  type RecordMutator,
  type CurrentEntry,
  type LoadAllOptions,
} from './store.js';
export { DELETE } from './delete-sentinel.js';
export type { StoreRecord } from './change-tracker.js';
export type { StoreEntry, EntryRecord } from './entry-record.js';
export { entryFileName } from './entry-record.js';
export type { StoreOptions, StoreLogger, WriterMode, LockCallOptions } from './options.js';
export { isPossiblyApplied, type PossiblyAppliedError } from './commit.js';
export { inspectEntryFile, type EntryFileReport, type InspectLimits } from './inspect.js';
export type { VerifyReport, VerifyProblem, VerifyProblemKind } from './verify.js';
export { networkFilesystemName } from './network-fs.js';
export {
  CHANGES_FILE,
  LEGACY_CHANGES_FILE,
  SNAPSHOT_FILE,
  LOCKS_DIR,
  QUARANTINE_DIR,
  WRITER_LOCK,
  isEntryFileName,
} from './layout.js';
// Retention (built by the compat helper on loadAll + updateMany: every removal goes through the commit layer).
export {
  prune,
  expireArchives,
  isArchiveFileName,
  planRetention,
  defaultTimestamp,
  type PruneOptions,
  type PruneReport,
  type PrunedEntry,
  type PrunableStore,
  type RetentionArchiveOptions,
  type RetentionRule,
  type RetentionPlan,
  type TimestampOf,
  type PlannedRemoval,
  type RemovalReason,
} from './retention.js';
