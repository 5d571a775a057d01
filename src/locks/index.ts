// Public API of the locks layer. Re-exports only.
export { KeyedMutex, type RunExclusiveOptions } from './keyed-mutex.js';
export { acquireFileLock, withFileLock, type FileLock } from './file-lock.js';
export { DEFAULT_STALE_MS, DEFAULT_TIMEOUT_MS, type FileLockOptions } from './lock-options.js';
