// Public API of hardfs/session-store/compat: the gateway's store functions by their own names and
// call shapes, so adopting the directory store is an import. Re-exports only.
export {
  loadSessionStore,
  loadSessionStoreAsync,
  readSessionUpdatedAt,
  readSessionUpdatedAtAsync,
  resolveSessionStoreDir,
  saveSessionStore,
  updateSessionStore,
  updateSessionStoreEntry,
  normalizeStoreSessionKey,
} from './function-api.js';
export { migrateSessionStoreToDirectory, listAgentSessionDirs } from './migration.js';
export { closeSessionStores, clearSessionStoreCacheForTest } from './open-stores.js';
export { configureSessionStoreCompat, type SessionStoreCompatConfig } from './config.js';
export { mergeSessionEntryPatch } from './merge-patch.js';
export {
  DEFAULT_SESSION_MAINTENANCE,
  type SessionMaintenanceConfig,
  type SessionMaintenanceWarning,
  type SessionMaintenanceApplyReport,
  type SaveSessionStoreOptions,
} from './maintenance.js';
export type { SessionEntry } from '../entry-record.js';
