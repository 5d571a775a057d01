// Public API of the change-log layer. Re-exports only.
export {
  ChangeLog,
  openChangeLog,
  openChangeLogSync,
  MAX_CHANGE_RECORD_BYTES,
  type ChangeLogOptions,
  type ChangeLogCursor,
  type ChangeLogRead,
  type ChangeLogResetReason,
  type ChangeLogReplaceReason,
} from './change-log.js';
