export { writeFileAtomic, readFileNoFollow, type PathWriteOptions, type PathReadOptions } from './path-level.js';
export type { AtomicWriteOptions, WriteData } from './atomic-write.js';
export { DEFAULT_MAX_READ_BYTES, type ReadOptions } from './read-regular-file.js';
export { isTempFileName } from './temp-names.js';
export {
  ChangeLog,
  openChangeLog,
  MAX_CHANGE_RECORD_BYTES,
  type ChangeLogOptions,
  type ChangeLogCursor,
  type ChangeLogRead,
  type ChangeLogResetReason,
  type ChangeLogReplaceReason,
} from '../change-log/index.js'; // moved to src/change-log/; re-exported so that existing importers compile
