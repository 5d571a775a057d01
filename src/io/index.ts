export { writeFileAtomic, readFileNoFollow, type PathWriteOptions, type PathReadOptions } from './path-level.js';
export type { AtomicWriteOptions, WriteData } from './atomic-write.js';
export { DEFAULT_MAX_READ_BYTES, type ReadOptions } from './read-regular-file.js';
export { isTempFileName } from './temp-names.js';
