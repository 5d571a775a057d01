export { isBlockedObjectKey, BLOCKED_OBJECT_KEYS } from './blocked-keys.js';
export { createDict, dictFromEntries } from './dict.js';
export { assertSafeJsonValue, type SafeJsonValueOptions } from './assert-safe-json-value.js';
export { formatJsonPath, type JsonPathSegment } from './json-path.js';
export { parseJsonSafe, type DroppedKeyListener, type ParseJsonSafeOptions } from './parse-json-safe.js';
export { stableStringify, type StableStringifyOptions } from './stable-stringify.js';
export { DEFAULT_JSON_MAX_BYTES, DEFAULT_JSON_MAX_DEPTH } from './json-limits.js';
