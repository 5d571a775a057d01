// Session keys as file names: the cases of the gateway's sanitizeSessionKey / desanitizeSessionKey
// (store.directory.test.ts), asserted on what hardfs writes. hardfs differs in the encoding
// (its key codec, not percent-encoding), so each case asserts the property the gateway's test
// protects — one file per key, no path separator in the name, the key recovered exactly —
// on the entry file a real save creates, not on a string.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeKey } from '../../../src/index.js';
import { loadSessionStore, resolveSessionStoreDir, saveSessionStore } from '../../../src/session-store/compat/index.js';
import { useCompatFixtures } from './support.js';

const { caseDir } = useCompatFixtures();

const cases: [title: string, key: string][] = [
  ['replaces colons with %3A', 'agent:main:telegram:direct:james'],
  ['round-trips correctly', 'agent:main:telegram:direct:james'],
  ['handles keys without colons', 'simple-key'],
  ['handles keys with percent signs', 'agent:main:100%done'],
  ['handles keys with hyphens (no ambiguity)', 'agent:my-agent:telegram:direct:user'],
  ['encodes forward slashes to prevent path traversal', 'agent:main:some/nested/path'],
  ['encodes backslashes to prevent path traversal', 'agent:main:some\\nested\\path'],
  ['round-trips keys with all special characters', 'agent:main:100%done/with\\work'],
];

describe('session keys as file names (gateway store.directory.test.ts: sanitizeSessionKey / desanitizeSessionKey)', () => {
  for (const [title, key] of cases) {
    it(title, async () => {
      const storePath = join(await caseDir('keys'), 'sessions.json');
      await saveSessionStore(storePath, { [key]: { sessionId: 's', updatedAt: 1 } }, { skipMaintenance: true });
      const files = readdirSync(resolveSessionStoreDir(storePath)).filter((name) => name.endsWith('.json') && !name.startsWith('.'));
      expect(files).toHaveLength(1);
      const name = files[0] ?? '';
      expect(name).not.toMatch(/[/\\]/);
      expect(decodeKey(name.slice(0, -'.json'.length))).toBe(key);
      expect(Object.keys(loadSessionStore(storePath))).toEqual([key]);
    });
  }

  it('keys differing only in case, or in a character the gateway escaped, stay distinct after trimming and lower-casing', async () => {
    const storePath = join(await caseDir('keys'), 'sessions.json');
    await saveSessionStore(storePath, { 'a:b': { updatedAt: 1 }, 'a%3Ab': { updatedAt: 2 }, 'a/b': { updatedAt: 3 } }, { skipMaintenance: true });
    expect(Object.keys(loadSessionStore(storePath)).sort()).toEqual(['a%3ab', 'a/b', 'a:b']);
  });
});
