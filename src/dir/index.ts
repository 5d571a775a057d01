export { assertRealDir, ensureRealDir, type EnsureRealDirOptions } from './real-dir.js';
export { openDirSync } from './open-dir-sync.js';
export {
  openDir,
  SafeDir,
  SafeDirent,
  type OpenDirOptions,
  type OpenRootOptions,
  type IoMode,
  type OpenSubdirOptions,
  type OpenFileOptions,
  type OpenFlags,
  type CreateFileOptions,
  type RenameOptions,
  type DirEntry,
  type DirEntryType,
  type ReadFileOptions,
  type WriteFileOptions,
  type AppendFileOptions,
  type ReaddirOptions,
  type CopyFileOptions,
  type SymlinkPolicy,
  type RmOptions,
  type MkdirOptions,
  type StatOptions,
  type TimeLike,
  type ReadStreamOptions,
  type WriteStreamOptions,
} from './safe-dir.js';
export type { DirPolicy } from './policy.js';
export type { Resolution, ResolutionRequest } from './resolution.js';
export { RESOLUTION_ENV, VERIFY_FALLBACK_WARNING } from './resolution.js';
export { isPathWithin, resolveWithin, assertRealpathWithin } from './containment.js';
export { assertSingleComponent, isSingleComponent } from './names.js';
export { writeFileAtomic, readFileNoFollow, type PathWriteOptions, type PathReadOptions } from './path-level.js';
export type { AtomicWriteOptions, WriteData } from './atomic-write.js';
export { DEFAULT_MAX_READ_BYTES, type ReadOptions } from './read-regular-file.js';
export { isTempFileName } from '../sys/temp-names.js';
export { RENAME_RETRY_BOUND_MS } from '../sys/rename-retry.js';
