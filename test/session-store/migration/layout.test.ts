// The names a store and its migration use beside each other (storeLayout): what is refused.
import { describe, expect, it } from 'vitest';
import { isEntryFileName, storeLayout } from '../../../src/session-store/index.js';
import { caught } from '../../support/tmp.js';

describe('store layout names', () => {
  it('derives the directory, staging and migration lock names from the legacy file name', () => {
    expect(storeLayout('/state/sessions.json')).toEqual({
      storePath: '/state/sessions.json',
      parentPath: '/state',
      legacyName: 'sessions.json',
      dirName: 'sessions.d',
      stagingName: 'sessions.d.migrating',
      migrationLockName: '.sessions.migrate.lock',
    });
  });

  it('refuses an empty or non-string store path with EBADNAME', async () => {
    for (const bad of ['', 42 as unknown as string]) {
      const error = await caught(() => storeLayout(bad));
      expect(error.code).toBe('EBADNAME');
      expect(error.message).toContain('store path must be a non-empty string');
    }
  });

  it('names the store file in the error for a path without a file name', async () => {
    const error = await caught(() => storeLayout('/'));
    expect(error.code).toBe('EBADNAME');
    expect(error.message).toContain('store file name must not be empty');
  });

  it('refuses a store file named just ".json" (empty stem), naming the path', async () => {
    const error = await caught(() => storeLayout('/state/.json'));
    expect(error.code).toBe('EBADNAME');
    expect(error.message).toContain('store file name has an empty stem');
    expect(error.path).toBe('/state/.json');
  });

  it('does not take a hidden file for an entry file', () => {
    expect(isEntryFileName('.hidden.json')).toBe(false);
    expect(isEntryFileName('.x.json')).toBe(false);
    expect(isEntryFileName('x.json')).toBe(true);
  });
});
