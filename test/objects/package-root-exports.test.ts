import { describe, expect, it } from 'vitest';
import * as root from '../../src/index.js';
import * as keys from '../../src/keys/index.js';
import * as objects from '../../src/objects/index.js';

// The other suites import from the folders (faster to load); this one pins the public names.
describe('safe objects and the key codec are exported from the package root', () => {
  it.each([
    'isBlockedObjectKey',
    'BLOCKED_OBJECT_KEYS',
    'createDict',
    'dictFromEntries',
    'parseJsonSafe',
    'assertSafeJsonValue',
    'formatJsonPath',
    'stableStringify',
    'DEFAULT_JSON_MAX_BYTES',
    'DEFAULT_JSON_MAX_DEPTH',
    'encodeKey',
    'decodeKey',
    'isLongKeyStem',
    'MAX_STEM_LENGTH',
    'LONG_STEM_DIGEST_LENGTH',
  ])('%s', (name) => {
    const fromFolder = (objects as Record<string, unknown>)[name] ?? (keys as Record<string, unknown>)[name];
    expect(fromFolder).toBeDefined();
    expect((root as Record<string, unknown>)[name]).toBe(fromFolder);
  });
});
