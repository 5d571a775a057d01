export { assertRealDir, ensureRealDir, type EnsureRealDirOptions } from './real-dir.js';
export {
  openDir,
  SafeDir,
  type OpenDirOptions,
  type IoMode,
  type OpenSubdirOptions,
  type OpenFileOptions,
  type CreateFileOptions,
  type RenameOptions,
  type DirEntry,
  type DirEntryType,
} from './safe-dir.js';
export type { DirPolicy } from './policy.js';
export type { Resolution, ResolutionRequest } from './resolution.js';
export { RESOLUTION_ENV } from './resolution.js';
export { isPathWithin, resolveWithin, assertRealpathWithin } from './containment.js';
export { assertSingleComponent, isSingleComponent } from './names.js';
