// The entry files of one store directory (entry-files.ts): the one read-or-quarantine path every
// reader uses, which failures move a file to .quarantine/ and which are thrown, quarantine itself
// (its races and its failures), staged files read for a commit under way, and the sweep of temp
// files left by crashes. On real temp directories, with the EntryFiles of a real SafeDir.
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { HARDFS_ERROR_CODES, HardfsError, openDir, type SafeDir } from '../../src/index.js';
import { EntryFiles, isQuarantinable } from '../../src/store/entry-files.js';
import { entryFileName } from '../../src/store/entry-record.js';
import { resolveStoreOptions, type StoreOptions } from '../../src/store/options.js';
import { fcParams } from '../support/fc.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();
const QUARANTINABLE = new Set(['ECORRUPT', 'EDEPTH', 'ETOOBIG', 'EINSECURE', 'ESYMLINK', 'EBADNAME']);
const ID = '0123456789abcdef01234567';

interface Warned {
  message: string;
  details: Record<string, unknown>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function filesIn(options: StoreOptions = {}): Promise<{ base: string; dir: SafeDir; files: EntryFiles; warnings: Warned[] }> {
  const base = await tempDir();
  const dir = await openDir(base);
  cleanups.push(() => dir.close());
  const warnings: Warned[] = [];
  const logger = { warn: (message: string, details?: Record<string, unknown>) => warnings.push({ message, details: details ?? {} }) };
  const files = new EntryFiles(dir, resolveStoreOptions({ fsync: false, ...options, logger }));
  return { base, dir, files, warnings };
}

function record(key: string, entry: object, rev = 1): string {
  return `{"entry":${JSON.stringify(entry)},"key":${JSON.stringify(key)},"rev":${rev},"v":1}\n`;
}

function quarantined(base: string): string[] {
  return existsSync(join(base, '.quarantine')) ? readdirSync(join(base, '.quarantine')) : [];
}

async function socketAt(path: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('what is quarantined', () => {
  it('hardfs refusals of what a file is (corrupt, too deep, too big, insecure, a symlink, a bad name) and a socket; nothing else', () => {
    for (const code of HARDFS_ERROR_CODES) {
      expect(isQuarantinable(new HardfsError(code, 'refused')), code).toBe(QUARANTINABLE.has(code));
    }
    // open(2) of a UNIX socket: ENXIO, from the system, not from hardfs
    expect(isQuarantinable(Object.assign(new Error('no such device or address'), { code: 'ENXIO' }))).toBe(true);
    for (const code of ['ENOENT', 'EACCES', 'EIO', 'EMFILE', 'EISDIR']) {
      expect(isQuarantinable(Object.assign(new Error(code), { code })), code).toBe(false);
    }
    // the codes of hardfs refusals, on errors that are not hardfs's own
    for (const code of QUARANTINABLE) {
      expect(isQuarantinable(Object.assign(new Error(code), { code })), code).toBe(false);
      expect(isQuarantinable({ code }), code).toBe(false);
    }
    for (const value of [undefined, null, 'ECORRUPT', 0, new Error('plain')]) expect(isQuarantinable(value)).toBe(false);
  });

  it('a hardfs refusal is quarantinable exactly when its code says the file is not an entry', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HARDFS_ERROR_CODES), fc.string(), (code, message) => {
        expect(isQuarantinable(new HardfsError(code, message))).toBe(QUARANTINABLE.has(code));
      }),
      fcParams(),
    );
  });
});

describe('reading an entry file', () => {
  it('reads a valid record by read() and readSync(); a missing file is undefined', async () => {
    const { base, files } = await filesIn();
    const name = entryFileName('a');
    writeFileSync(join(base, name), record('a', { n: 1 }, 3));
    expect((await files.read(name))?.record).toMatchObject({ key: 'a', rev: 3, entry: { n: 1 } });
    expect(files.readSync(name)?.record).toMatchObject({ key: 'a', rev: 3, entry: { n: 1 } });
    expect(await files.read(entryFileName('missing'))).toBeUndefined();
    expect(files.readSync(entryFileName('missing'))).toBeUndefined();
  });

  it('a UNIX socket at an entry name is quarantined by read() and by readSync()', async () => {
    const { base, files, warnings } = await filesIn();
    const first = entryFileName('sock1');
    await socketAt(join(base, first));
    expect(await files.read(first)).toBeUndefined();
    expect(existsSync(join(base, first))).toBe(false);
    const second = entryFileName('sock2');
    await socketAt(join(base, second));
    const pending: Array<Promise<void>> = [];
    expect(files.readSync(second, pending)).toBeUndefined();
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    expect(existsSync(join(base, second))).toBe(false);
    expect(quarantined(base)).toHaveLength(2);
    expect(warnings.map((warning) => warning.message)).toEqual([`hardfs store: quarantined ${first}`, `hardfs store: quarantined ${second}`]);
  });

  it('readSync() with no list of pending work still quarantines a bad file, in the background', async () => {
    const { base, files } = await filesIn();
    const name = entryFileName('bad');
    writeFileSync(join(base, name), 'not json');
    expect(files.readSync(name)).toBeUndefined();
    await until(() => !existsSync(join(base, name)) && quarantined(base).length === 1, 'the quarantine');
  });

  it('a failure that says nothing about the file is thrown, never quarantined: a closed directory', async () => {
    const { base, dir, files, warnings } = await filesIn();
    const name = entryFileName('a');
    writeFileSync(join(base, name), record('a', { n: 1 }));
    await dir.close();
    const pending: Array<Promise<void>> = [];
    expect(await caught(() => files.readSync(name, pending))).toMatchObject({ code: 'ECLOSED' });
    expect(await caught(files.read(name))).toMatchObject({ code: 'ECLOSED' });
    expect(await caught(() => files.readStagedSync(`.staged-${ID}-0`, name))).toMatchObject({ code: 'ECLOSED' });
    await Promise.all(pending);
    expect(pending).toEqual([]);
    expect(existsSync(join(base, name))).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('a quarantine that fails in the background is reported (the store directory, the reason) and the file stays', async () => {
    const { base, files, warnings } = await filesIn();
    writeFileSync(join(base, '.quarantine'), 'a file where the quarantine directory goes');
    const name = entryFileName('bad');
    writeFileSync(join(base, name), 'not json');
    const pending: Array<Promise<void>> = [];
    expect(files.readSync(name, pending)).toBeUndefined();
    await Promise.all(pending);
    expect(existsSync(join(base, name))).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain('could not quarantine a file');
    expect(warnings[0]?.details['file']).toBe(base);
    expect(typeof warnings[0]?.details['reason']).toBe('string');
    expect(warnings[0]?.details['reason']).not.toBe('');
  });
});

describe('staged files of a multi-key commit under way', () => {
  it('read as the record for their target; gone or unusable read as undefined and are never quarantined', async () => {
    const { base, files, warnings } = await filesIn();
    const target = entryFileName('a');
    const staged = `.staged-${ID}-0`;
    writeFileSync(join(base, staged), record('a', { n: 2 }, 2));
    expect(files.readStagedSync(staged, target)?.record).toMatchObject({ key: 'a', rev: 2, entry: { n: 2 } });
    expect(files.readStagedSync(`.staged-${ID}-1`, target)).toBeUndefined();
    const torn = `.staged-${ID}-2`;
    writeFileSync(join(base, torn), '{"entry":');
    expect(files.readStagedSync(torn, target)).toBeUndefined();
    expect(existsSync(join(base, torn))).toBe(true);
    expect(quarantined(base)).toEqual([]);
    expect(warnings).toEqual([]);
  });
});

describe('quarantine', () => {
  it('a file already gone (another reader quarantined it first) is nothing to do: no warning, nothing recorded', async () => {
    const { files, warnings } = await filesIn();
    const recorded: string[] = [];
    files.onQuarantined = (fileName) => {
      recorded.push(fileName);
      return Promise.resolve();
    };
    await files.quarantine(entryFileName('gone'), new Error('bad'));
    expect(warnings).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it('a move that fails otherwise is thrown, and the file stays (a name too long to take the quarantine suffix)', async () => {
    const { base, files, warnings } = await filesIn();
    const recorded: string[] = [];
    files.onQuarantined = (fileName) => {
      recorded.push(fileName);
      return Promise.resolve();
    };
    const name = `${'k'.repeat(240)}.json`;
    writeFileSync(join(base, name), 'not json');
    const error = await caught(files.quarantine(name, new Error('bad')));
    expect(error.code).toBe('ENAMETOOLONG');
    expect(existsSync(join(base, name))).toBe(true);
    expect(warnings).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it('is recorded through onQuarantined; when recording fails the move stands and the failure is reported', async () => {
    const { base, files, warnings } = await filesIn();
    const recorded: string[] = [];
    files.onQuarantined = (fileName) => {
      recorded.push(fileName);
      return Promise.resolve();
    };
    const first = entryFileName('bad1');
    writeFileSync(join(base, first), 'not json');
    await files.quarantine(first, new Error('bad'));
    expect(recorded).toEqual([first]);
    files.onQuarantined = () => Promise.reject(new Error('the change log is gone'));
    const second = entryFileName('bad2');
    writeFileSync(join(base, second), 'not json');
    await files.quarantine(second, new Error('bad'));
    expect(existsSync(join(base, second))).toBe(false);
    expect(quarantined(base)).toHaveLength(2);
    expect(warnings.map((warning) => warning.message)).toEqual([
      `hardfs store: quarantined ${first}`,
      `hardfs store: quarantined ${second}`,
      'hardfs store: could not record a quarantine in the change log',
    ]);
    expect(warnings[2]?.details).toEqual({ file: join(base, second), reason: 'the change log is gone' });
  });

  it('with nobody to tell, a quarantine only moves the file and says so', async () => {
    const { base, files, warnings } = await filesIn();
    const name = entryFileName('bad');
    writeFileSync(join(base, name), 'not json');
    await files.quarantine(name, 'not json');
    expect(quarantined(base)).toHaveLength(1);
    expect(warnings.map((warning) => warning.message)).toEqual([`hardfs store: quarantined ${name}`]);
    expect(warnings[0]?.details['reason']).toBe('not json');
  });
});

describe('the sweep of temp files', () => {
  it('removes old temp files and old staged files no intent keeps; keeps young ones, kept ones, directories and entries', async () => {
    const { base, files, warnings } = await filesIn({ staleTempMs: 60_000 });
    const hourAgo = new Date(Date.now() - 3_600_000);
    const old = (name: string, content = 'x'): string => {
      writeFileSync(join(base, name), content);
      utimesSync(join(base, name), hourAgo, hourAgo);
      return name;
    };
    const oldTemp = old(`.hardfs-${'a'.repeat(32)}.tmp`);
    const youngTemp = `.hardfs-${'b'.repeat(32)}.tmp`;
    writeFileSync(join(base, youngTemp), 'x');
    const oldStaged = old(`.staged-${ID}-0`);
    const keptStaged = old(`.staged-${'f'.repeat(24)}-0`);
    const youngStaged = `.staged-${'e'.repeat(24)}-0`;
    writeFileSync(join(base, youngStaged), 'x');
    const entry = old(entryFileName('a'), record('a', { n: 1 }));
    const notStaged = old(`x.staged-${ID}-0`);
    const tempDirName = `.hardfs-${'c'.repeat(32)}.tmp`;
    mkdirSync(join(base, tempDirName));
    utimesSync(join(base, tempDirName), hourAgo, hourAgo);
    const stagedDirName = `.staged-${ID}-1`;
    mkdirSync(join(base, stagedDirName));
    utimesSync(join(base, stagedDirName), hourAgo, hourAgo);

    await files.sweepTempFiles((name) => name === keptStaged);

    expect(readdirSync(base).sort()).toEqual([youngTemp, youngStaged, keptStaged, entry, notStaged, tempDirName, stagedDirName].sort());
    expect(warnings.map((warning) => [warning.message, warning.details['file']]).sort()).toEqual(
      [
        ['hardfs store: removed a temp file left by a crash', join(base, oldTemp)],
        ['hardfs store: removed a temp file left by a crash', join(base, oldStaged)],
      ].sort(),
    );
  });

  it('two sweeps at once both finish: a file the other sweep removed first is skipped, each removal said once', async () => {
    // Both sweeps list the same files and race on the thread pool: the loser of a file meets
    // ENOENT at its lstat or its unlink.
    const { base, dir, files, warnings } = await filesIn({ staleTempMs: 60_000 });
    const logger = { warn: (message: string, details?: Record<string, unknown>) => warnings.push({ message, details: details ?? {} }) };
    const other = new EntryFiles(dir, resolveStoreOptions({ fsync: false, staleTempMs: 60_000, logger }));
    const hourAgo = new Date(Date.now() - 3_600_000);
    const names = Array.from({ length: 40 }, (_, index) => `.hardfs-${index.toString(16).padStart(32, '0')}.tmp`);
    for (const name of names) {
      writeFileSync(join(base, name), 'x');
      utimesSync(join(base, name), hourAgo, hourAgo);
    }
    await Promise.all([files.sweepTempFiles(() => false), other.sweepTempFiles(() => false)]);
    expect(readdirSync(base)).toEqual([]);
    expect(warnings.map((warning) => warning.details['file']).sort()).toEqual(names.map((name) => join(base, name)).sort());
  });
});
