// The change log (moving to src/change-log/). The path-level helpers, the atomic write and
// the bounded read now live in src/dir/, temp names in src/sys/: re-exported here so that
// code importing them from 'io' compiles unchanged.
export { writeFileAtomic, readFileNoFollow, type PathWriteOptions, type PathReadOptions } from '../dir/path-level.js';
export type { AtomicWriteOptions, WriteData } from '../dir/atomic-write.js';
export { DEFAULT_MAX_READ_BYTES, type ReadOptions } from '../dir/read-regular-file.js';
export { isTempFileName } from '../sys/temp-names.js';
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
