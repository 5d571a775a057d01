import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type StoreEntry as SessionEntry } from '../../src/store/entry-record.js';
import { resolveStoreOptions } from '../../src/session-store/options.js';
import { useTempDirs } from '../support/tmp.js';
const tempDir = useTempDirs();

describe('store options: defaults, and the wording of each refusal', () => {
  it('fsync and migrateOnOpen default to true; false is kept', () => {
    const defaults = resolveStoreOptions({});
    expect(defaults.fsync).toBe(true);
    expect(defaults.migrateOnOpen).toBe(true);
    expect(resolveStoreOptions().fsync).toBe(true);
    expect(resolveStoreOptions({ fsync: false }).fsync).toBe(false);
  });

  it('each numeric option is named in its refusal, with the value and what it must be', () => {
    const cases: [string, number, string][] = [
      ['maxEntryBytes', 0, 'maxEntryBytes must be a positive finite number, got 0'],
      ['maxEntryDepth', -1, 'maxEntryDepth must be a positive finite number, got -1'],
      ['lockStaleMs', Infinity, 'lockStaleMs must be a positive finite number, got Infinity'],
      ['lockTimeoutMs', 0, 'lockTimeoutMs must be a positive finite number, got 0'],
      ['staleTempMs', -1, 'staleTempMs must be a non-negative finite number, got -1'],
      ['maxUpdateRetries', Number.NaN, 'maxUpdateRetries must be a positive finite number, got NaN'],
    ];
    for (const [name, value, message] of cases) {
      expect(() => resolveStoreOptions({ [name]: value })).toThrow(new TypeError(message));
    }
    expect(resolveStoreOptions({ staleTempMs: 0 }).staleTempMs).toBe(0);
  });

  it('a normalizeKey that is not a function, and a logger without warn()', () => {
    expect(() => resolveStoreOptions({ normalizeKey: 'lower' as never })).toThrow(new TypeError('normalizeKey must be a function'));
    expect(() => resolveStoreOptions({ logger: {} as never })).toThrow(new TypeError('logger must have a warn(message, details) method'));
  });

  it('the default logger emits a process warning coded HARDFS_STORE, with the details as JSON', async () => {
    const { logger } = resolveStoreOptions({});
    const warnings: (Error & { code?: string })[] = [];
    const listener = (warning: Error & { code?: string }): void => {
      if (warning.code === 'HARDFS_STORE') warnings.push(warning);
    };
    process.on('warning', listener);
    try {
      logger.warn('hardfs test: with details', { file: 'a.json', n: 1 });
      logger.warn('hardfs test: bare');
      await new Promise((done) => setImmediate(done)); // emitWarning emits on process.nextTick, which runs first
    } finally {
      process.off('warning', listener);
    }
    expect(warnings.map((warning) => ({ name: warning.name, message: warning.message, code: warning.code }))).toEqual([
      { name: 'Warning', message: 'hardfs test: with details {"file":"a.json","n":1}', code: 'HARDFS_STORE' },
      { name: 'Warning', message: 'hardfs test: bare', code: 'HARDFS_STORE' },
    ]);
  });
});
