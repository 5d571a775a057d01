// Public API of the hardfs primitives. Re-exports only: each layer owns its own index.
export * from './errors.js';
export * from './dir/index.js';
export {
  ChangeLog,
  openChangeLog,
  MAX_CHANGE_RECORD_BYTES,
  type ChangeLogOptions,
  type ChangeLogCursor,
  type ChangeLogRead,
  type ChangeLogResetReason,
  type ChangeLogReplaceReason,
} from './io/index.js';
export * from './objects/index.js';
export * from './keys/index.js';
export * from './locks/index.js';
