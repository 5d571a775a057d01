export { isBlockedObjectKey, BLOCKED_OBJECT_KEYS } from './blocked-keys.js';
export { createDict, dictFromEntries } from './dict.js';
export { parseJsonSafe, type ParseJsonSafeOptions } from './parse-json-safe.js';
export { stableStringify, type StableStringifyOptions } from './stable-stringify.js';
export { DEFAULT_JSON_MAX_BYTES, DEFAULT_JSON_MAX_DEPTH } from './json-limits.js';
