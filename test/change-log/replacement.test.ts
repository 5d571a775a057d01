// When the log at the name is replaced and when it is not: what an opener finds at the name
// (nothing, garbage, a symlink, a FIFO, a socket, a hard link, a directory; in each resolution
// mode), damage found by a reader that holds the log open, and errors that are not about what is
// at the name. What is planted at the name is made with plain node:fs, as another tool would.
import { execFileSync } from 'node:child_process';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChangeLogSync } from '../../src/change-log/index.js';
import { HardfsError, openChangeLog, openDir, type ChangeLogReplaceReason } from '../../src/index.js';
import { MODES } from '../dir/harness.js';
import { caught } from '../support/tmp.js';
import { HEADER_BYTES, expectRecords, expectReset, generationOnDisk, recordsOnDisk, useLogs } from './harness.js';

const { fixture, tempDir, track } = useLogs();

describe.each(MODES)('what is found at the name (%s resolution)', (resolution) => {
  it('a missing log is created with a valid header, onReplace not called', async () => {
    const { path, open } = await fixture(resolution);
    const reasons: ChangeLogReplaceReason[] = [];
    await open({ onReplace: (reason) => reasons.push(reason) });
    expect(readFileSync(path, 'utf8')).toMatch(/^hardfs-change-log 1 [0-9a-f]{32}\n$/);
    expect(reasons).toEqual([]);
  });

  it('garbage at the name is replaced by a fresh log (onReplace(corrupt) once); a reader of the old one resets', async () => {
    const { path, open } = await fixture(resolution);
    const reader = await open();
    await reader.append('kept?');
    let cursor = expectReset(await reader.read());
    writeFileSync(`${path}.garbage`, 'this is not a change log\nat all\n');
    // Replaced under the reader by rename, as a careless tool would.
    renameSync(`${path}.garbage`, path);

    const reasons: ChangeLogReplaceReason[] = [];
    const log = await open({ onReplace: (reason) => reasons.push(reason) });
    expect(reasons).toEqual(['corrupt']);
    const generation = generationOnDisk(path);
    expect(readFileSync(path, 'utf8')).toBe(`hardfs-change-log 1 ${generation}\n`);

    cursor = expectReset(await reader.read(cursor));
    expect(cursor.generation).toBe(generation);
    await log.append('fresh');
    expectRecords(await reader.read(cursor), ['fresh']);
    expectRecords(await log.read(expectReset(await log.read())), []);
    expect(reasons).toEqual(['corrupt']);
  });

  it('a file shorter than a header, or an empty one, is corrupt too', async () => {
    for (const content of ['', 'hardfs-change-log 1 abc\n', `hardfs-change-log 1 ${'G'.repeat(32)}\n`, `hardfs-change-log 2 ${'a'.repeat(32)}\n`]) {
      const { path, open } = await fixture(resolution);
      writeFileSync(path, content);
      const reasons: ChangeLogReplaceReason[] = [];
      const log = await open({ onReplace: (reason) => reasons.push(reason) });
      expect(reasons, JSON.stringify(content)).toEqual(['corrupt']);
      expect(readFileSync(path, 'utf8')).toMatch(/^hardfs-change-log 1 [0-9a-f]{32}\n$/);
      expectReset(await log.read(), 'start');
    }
  });

  it('a symlink planted at the name is replaced itself; its target is never touched (onReplace(symlink))', async () => {
    const { base, path, open } = await fixture(resolution);
    const outsideDir = await tempDir();
    const outside = join(outsideDir, 'precious');
    writeFileSync(outside, 'do not touch\n');
    const before = statSync(outside);
    symlinkSync(outside, path);
    await new Promise((resolve) => setTimeout(resolve, 20)); // an mtime change would show

    const reasons: ChangeLogReplaceReason[] = [];
    const log = await open({ onReplace: (reason) => reasons.push(reason) });
    await log.append('record');

    expect(reasons).toEqual(['symlink']);
    expect(lstatSync(path).isFile()).toBe(true);
    expect(recordsOnDisk(path)).toEqual(['record']);
    expect(readFileSync(outside, 'utf8')).toBe('do not touch\n');
    const after = statSync(outside);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.size).toBe(before.size);
    expect(readdirSync(base)).toEqual(['log']);
  });

  it('a dangling symlink at the name is replaced, never followed to create its target', async () => {
    const { base, path, open } = await fixture(resolution);
    const outsideDir = await tempDir();
    symlinkSync(join(outsideDir, 'created-through-link'), path);
    const reasons: ChangeLogReplaceReason[] = [];
    await open({ onReplace: (reason) => reasons.push(reason) });
    expect(reasons).toEqual(['symlink']);
    expect(lstatSync(path).isFile()).toBe(true);
    expect(readdirSync(outsideDir)).toEqual([]);
    expect(readdirSync(base)).toEqual(['log']);
  });

  it.skipIf(process.platform === 'win32')('a FIFO at the name is replaced without blocking (onReplace(not-a-file))', async () => {
    const { base, path, open } = await fixture(resolution);
    execFileSync('mkfifo', [path]);
    const reasons: ChangeLogReplaceReason[] = [];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('openChangeLog blocked on a FIFO')), 10_000);
    });
    try {
      const log = await Promise.race([open({ onReplace: (reason) => reasons.push(reason) }), timeout]);
      await log.append('after fifo');
    } finally {
      clearTimeout(timer);
    }
    expect(reasons).toEqual(['not-a-file']);
    expect(lstatSync(path).isFile()).toBe(true);
    expect(recordsOnDisk(path)).toEqual(['after fifo']);
    expect(readdirSync(base)).toEqual(['log']);
  });

  it('a hard link at the name (to a file elsewhere) is replaced by rename: the other file never gets a record (onReplace(hard-link))', async () => {
    const { path, open } = await fixture(resolution);
    const outsideDir = await tempDir();
    const other = join(outsideDir, 'other-store-log');
    track(await openChangeLog(track(await openDir(outsideDir)), 'other-store-log'));
    const before = readFileSync(other);
    linkSync(other, path);
    const reasons: ChangeLogReplaceReason[] = [];
    const log = await open({ onReplace: (reason) => reasons.push(reason) });
    await log.append('mine');
    expect(reasons).toEqual(['hard-link']);
    expect(lstatSync(path).nlink).toBe(1);
    expect(recordsOnDisk(path)).toEqual(['mine']);
    expect(readFileSync(other)).toEqual(before);
    expect(lstatSync(other).nlink).toBe(1);
  });

  it.skipIf(process.platform === 'win32')('a UNIX socket at the name is replaced (onReplace(not-a-file)), no native ENXIO', async () => {
    const { path, open } = await fixture(resolution);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const reasons: ChangeLogReplaceReason[] = [];
      const log = await open({ onReplace: (reason) => reasons.push(reason) });
      await log.append('after socket');
      expect(reasons).toEqual(['not-a-file']);
      expect(lstatSync(path).isFile()).toBe(true);
      expect(recordsOnDisk(path)).toEqual(['after socket']);
    } finally {
      server.close();
    }
  });

  it('a directory at the name makes openChangeLog reject and is left alone', async () => {
    const { base, path, open } = await fixture(resolution);
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'content');
    const reasons: ChangeLogReplaceReason[] = [];
    const error = await caught(open({ onReplace: (reason) => reasons.push(reason) }));
    expect(error).toBeInstanceOf(HardfsError);
    expect(error.code).toBe('EINSECURE');
    expect(error.path).toBe(path);
    expect(error.message).toContain('directory is at the change log name');
    expect(lstatSync(path).isDirectory()).toBe(true);
    expect(readdirSync(path)).toEqual(['inside']);
    expect(readFileSync(join(path, 'inside'), 'utf8')).toBe('content');
    expect(readdirSync(base)).toEqual(['log']); // no temp file left behind either
    expect(reasons).toEqual([]);
  });
});

describe('damage to a log an instance holds open', () => {
  it('garbage written over it in place is replaced by the next reader that trips on it; appends go on', async () => {
    const { path, open } = await fixture();
    const replaced: string[] = [];
    const reader = await open({ onReplace: (reason) => replaced.push(reason) });
    const writer = await open();
    let cursor = expectReset(await reader.read());
    await writer.append('before');
    cursor = expectRecords(await reader.read(cursor), ['before']);
    writeFileSync(path, 'short'); // same inode, truncated, no header any more
    const result = await reader.read(cursor);
    expect(result.reset).toBe(true);
    expect(replaced).toEqual(['corrupt']);
    expect(generationOnDisk(path)).toBe(result.cursor.generation);
    await writer.append('after'); // its descriptor was of the damaged file: it re-appends
    expectRecords(await reader.read(result.cursor), ['after']);
  });

  it('truncated in place to nothing: read() is a start reset at offset 0 (not partial); the next read finds the cursor does not fit and replaces the log', async () => {
    const { path, open } = await fixture();
    const reasons: ChangeLogReplaceReason[] = [];
    const log = await open({ onReplace: (reason) => reasons.push(reason) });
    await log.append('before');
    const generation = generationOnDisk(path);
    truncateSync(path, 0);
    // A reset decides nothing about the content: the header is looked at when a cursor does not fit.
    const start = await log.read();
    expect(start).toEqual({ reset: true, reason: 'start', cursor: { generation, offset: 0, partial: false } });
    expect(reasons).toEqual([]);
    const replaced = expectReset(await log.read(start.cursor));
    expect(reasons).toEqual(['corrupt']);
    expect(replaced).toEqual({ generation: generationOnDisk(path), offset: HEADER_BYTES, partial: false });
    expect(replaced.generation).not.toBe(generation);
    await log.append('after');
    expectRecords(await log.read(replaced), ['after']);
  });
});

describe('errors that are not about what is at the name', () => {
  it('the directory closed under a log: its first open rejects with the directory’s ECLOSED, nothing reported replaced', async () => {
    const { base, dir } = await fixture();
    const reasons: ChangeLogReplaceReason[] = [];
    const log = track(openChangeLogSync(dir, 'log', { onReplace: (reason) => reasons.push(reason) }));
    await dir.close();
    for (const operation of [() => log.append('x'), () => log.read()]) {
      const error = await caught(operation);
      expect(error).toBeInstanceOf(HardfsError);
      expect(error.code).toBe('ECLOSED');
    }
    expect(reasons).toEqual([]);
    expect(readdirSync(base)).toEqual([]);
  });
});
