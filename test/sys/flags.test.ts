// The open flags as flags.ts computes them when it loads: the kernel's no-follow, directory and
// non-blocking bits on POSIX, each proved by what an open with them does to a real symlink,
// regular file and FIFO; the Windows switch proved by loading the module as on Windows.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as loaded from '../../src/sys/flags.js';
import { importFresh } from '../support/platform.js';
import { caught, useTempDirs } from '../support/tmp.js';

type Flags = typeof loaded;
const FLAGS = new URL('../../src/sys/flags.ts', import.meta.url);

describe('open flags on POSIX', () => {
  const tempDir = useTempDirs();
  // A copy evaluated by this test file (see importFresh); the one imported above may be older.
  let flags: Flags;
  beforeAll(async () => {
    flags = await importFresh<Flags>(FLAGS);
  });

  it('a fresh load computes the flags the loaded module holds', () => {
    expect({ ...flags }).toEqual({ ...loaded });
  });

  it('are the kernel\u2019s bits, and IS_WINDOWS is false', () => {
    expect(flags.IS_WINDOWS).toBe(false);
    expect(flags.O_NOFOLLOW).toBe(constants.O_NOFOLLOW);
    expect(flags.O_DIRECTORY).toBe(constants.O_DIRECTORY);
    expect(flags.O_NONBLOCK).toBe(constants.O_NONBLOCK);
    expect([flags.O_NOFOLLOW, flags.O_DIRECTORY, flags.O_NONBLOCK]).not.toContain(0);
  });

  it('OPEN_READ_FLAGS refuses a symlink in the open itself (ELOOP)', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'target'), 'x');
    symlinkSync(join(base, 'target'), join(base, 'link'));
    const error = await caught(open(join(base, 'link'), flags.OPEN_READ_FLAGS));
    expect(error.code).toBe('ELOOP');
    expect(error.path).toBe(join(base, 'link'));
  });

  it('OPEN_DIR_FLAGS refuses a regular file (ENOTDIR) and a symlink to a directory', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'x');
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'link'));
    const notDir = await caught(open(join(base, 'file'), flags.OPEN_DIR_FLAGS));
    expect([notDir.code, notDir.path]).toEqual(['ENOTDIR', join(base, 'file')]);
    const link = await caught(open(join(base, 'link'), flags.OPEN_DIR_FLAGS));
    expect(['ENOTDIR', 'ELOOP']).toContain(link.code);
    closeSync(openSync(join(base, 'real'), flags.OPEN_DIR_FLAGS));
  });

  it('OPEN_READ_FLAGS opens a FIFO without a writer at once (O_NONBLOCK) instead of blocking', async () => {
    const base = await tempDir();
    const fifo = join(base, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const handle = await open(fifo, flags.OPEN_READ_FLAGS);
    expect((await handle.stat()).isFIFO()).toBe(true);
    await handle.close();
  });

  it('CREATE_EXCLUSIVE_FLAGS creates a new file and refuses an existing one (EEXIST) or a dangling symlink', async () => {
    const base = await tempDir();
    closeSync(openSync(join(base, 'new'), flags.CREATE_EXCLUSIVE_FLAGS, 0o600));
    const exists = await caught(open(join(base, 'new'), flags.CREATE_EXCLUSIVE_FLAGS));
    expect([exists.code, exists.path]).toEqual(['EEXIST', join(base, 'new')]);
    symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
    expect((await caught(open(join(base, 'dangling'), flags.CREATE_EXCLUSIVE_FLAGS))).code).toBe('EEXIST');
  });
});

describe('open flags loaded on Windows', () => {
  it('IS_WINDOWS is true there', async () => {
    const windows = await importFresh<Flags>(FLAGS, 'win32');
    expect(windows.IS_WINDOWS).toBe(true);
  });
});
