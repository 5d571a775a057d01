// Public API of hardfs/session-store. Re-exports only.
export { openSessionStore, SessionStore, DELETE, type EntryMutator, type StoreMutator, type SessionRecord } from './session-store.js';
export { openSessionStoreSync, readLegacySessionsSync, type LegacySessionsRead } from './open-sync.js';
export type { SessionEntry, EntryRecord } from './entry-record.js';
export { defaultNormalizeKey, type SessionStoreOptions, type SessionStoreLogger } from './options.js';
export {
  migrateSessionStoreToDirectory,
  type MigrationOptions,
  type MigrationResult,
  type MigrationPhase,
  type SkippedLegacyEntry,
  type LeftAlone,
} from './migration.js';
export type { BackupRetention } from './backups.js';
export { exportSessionStore, rollbackSessionStore, type ExportOptions, type ExportResult, type RollbackResult } from './rollback.js';
export { listAgentSessionDirs, type AgentSessionDir, type ListAgentSessionDirsOptions } from './discovery.js';
export {
  loadSessionStore,
  updateSessionStore,
  updateSessionStoreEntry,
  readSessionUpdatedAt,
  closeSessionStores,
} from './function-api.js';
export { entryFileName } from './entry-record.js';
export {
  STAMP_FILE,
  CHANGES_FILE,
  LEGACY_CHANGES_FILE,
  SNAPSHOT_FILE,
  STAGING_SUFFIX,
  LOCKS_DIR,
  QUARANTINE_DIR,
  storeLayout,
  isEntryFileName,
  type StoreLayout,
} from './layout.js';
