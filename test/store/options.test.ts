import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type StoreEntry as SessionEntry } from '../../src/store/entry-record.js';
import { resolveStoreOptions } from '../../src/session-store/options.js';
import { positiveOption, resolveStoreOptions as resolveCoreOptions } from '../../src/store/options.js';
import { useTempDirs } from '../support/tmp.js';
const tempDir = useTempDirs();

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, nothing was thrown');
}

describe('store options: defaults, and what each refusal names', () => {
  it('fsync and migrateOnOpen default to true; false is kept', () => {
    const defaults = resolveStoreOptions({});
    expect(defaults.fsync).toBe(true);
    expect(defaults.migrateOnOpen).toBe(true);
    expect(resolveStoreOptions().fsync).toBe(true);
    expect(resolveStoreOptions({ fsync: false }).fsync).toBe(false);
  });

  it('each numeric option is named in its refusal, with the value and what it must be', () => {
    // [option, bad value, the value as the refusal reports it, the range it names]
    const cases: [string, number, string, string][] = [
      ['maxEntryBytes', 0, '0', 'a positive'],
      ['maxEntryDepth', -1, '-1', 'a positive'],
      ['lockStaleMs', Infinity, 'Infinity', 'a positive'],
      ['lockTimeoutMs', 0, '0', 'a positive'],
      ['staleTempMs', -1, '-1', 'non-negative'],
      ['maxUpdateRetries', Number.NaN, 'NaN', 'a positive'],
    ];
    for (const [name, value, got, range] of cases) {
      const error = thrown(() => resolveStoreOptions({ [name]: value }));
      expect(error, name).toBeInstanceOf(TypeError);
      expect(error.message, name).toMatch(new RegExp(`^${name} `));
      expect(error.message, name).toContain(range);
      expect(error.message, name).toContain(`got ${got}`);
    }
    expect(resolveStoreOptions({ staleTempMs: 0 }).staleTempMs).toBe(0);
  });

  it('a normalizeKey that is not a function, and a logger without warn()', () => {
    const normalizeKey = thrown(() => resolveStoreOptions({ normalizeKey: 'lower' as never }));
    expect(normalizeKey).toBeInstanceOf(TypeError);
    expect(normalizeKey.message).toMatch(/^normalizeKey /);
    const logger = thrown(() => resolveStoreOptions({ logger: {} as never }));
    expect(logger).toBeInstanceOf(TypeError);
    expect(logger.message).toMatch(/^logger .*warn\(/); // names the method it lacks
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
    // Whole messages on purpose: the words are the test's own; what is pinned is how the details
    // are appended (as JSON, after a space, none when there are none).
    expect(warnings.map((warning) => ({ name: warning.name, message: warning.message, code: warning.code }))).toEqual([
      { name: 'Warning', message: 'hardfs test: with details {"file":"a.json","n":1}', code: 'HARDFS_STORE' },
      { name: 'Warning', message: 'hardfs test: bare', code: 'HARDFS_STORE' },
    ]);
  });
});

describe('core store options (src/store/options): defaults and refusals', () => {
  it('the defaults of an empty options object', () => {
    const resolved = resolveCoreOptions({});
    const { normalizeKey, logger, ...rest } = resolved;
    expect(rest).toStrictEqual({
      writer: 'shared',
      normalizeEntry: undefined,
      transformEntry: undefined,
      create: true,
      maxEntryBytes: 16 * 1024 * 1024,
      maxEntryDepth: 256,
      maxSnapshotBytes: 256 * 1024 * 1024,
      maxTotalEntryBytes: 1024 * 1024 * 1024,
      fsync: true,
      lockStaleMs: 10_000,
      lockTimeoutMs: 10_000,
      staleTempMs: 60_000,
      maxUpdateRetries: 20,
      allowNetworkFilesystem: false,
    });
    expect(normalizeKey('  Mixed Key ')).toBe('  Mixed Key '); // identity: keys are not normalized by default
    expect(typeof logger.warn).toBe('function');
    expect(resolveCoreOptions()).toMatchObject({ writer: 'shared', allowNetworkFilesystem: false });
  });

  it('what the caller gives is kept', () => {
    const normalizeEntry = (entry: SessionEntry): SessionEntry => entry;
    const resolved = resolveCoreOptions({ writer: 'exclusive', allowNetworkFilesystem: true, normalizeEntry, transformEntry: normalizeEntry, create: false });
    expect(resolved).toMatchObject({ writer: 'exclusive', allowNetworkFilesystem: true, normalizeEntry, transformEntry: normalizeEntry, create: false });
  });

  it('the default core logger warns through process warnings coded HARDFS_STORE', async () => {
    const { logger } = resolveCoreOptions({});
    const seen: string[] = [];
    const listener = (warning: Error & { code?: string }): void => {
      if (warning.code === 'HARDFS_STORE') seen.push(warning.message);
    };
    process.on('warning', listener);
    try {
      logger.warn('hardfs core test', { n: 2 });
      await new Promise((done) => setImmediate(done));
    } finally {
      process.off('warning', listener);
    }
    expect(seen).toEqual(['hardfs core test {"n":2}']);
  });

  it.each(['normalizeKey', 'normalizeEntry', 'transformEntry'] as const)('%s that is not a function is a TypeError naming it', (name) => {
    const error = thrown(() => resolveCoreOptions({ [name]: 'not a function' } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(new RegExp(`^${name} must be a function`));
  });

  it('a writer other than shared or exclusive is a TypeError naming the option', () => {
    const error = thrown(() => resolveCoreOptions({ writer: 'single' as never }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^writer must be/);
    expect(error.message).toContain('got single');
  });

  it('positiveOption: a value that is not a number is refused naming the option', () => {
    for (const value of ['5', null, {}, Number.NaN, Infinity, -1]) {
      const error = thrown(() => positiveOption('someMs', value as never, 1));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/^someMs must be a positive finite number/);
    }
    expect(positiveOption('someMs', undefined, 7)).toBe(7);
    expect(positiveOption('someMs', 0, 7, true)).toBe(0);
    expect(thrown(() => positiveOption('someMs', 0, 7)).message).toContain('got 0');
  });
});
