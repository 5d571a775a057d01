// The change log (src/change-log/change-log.ts) on real temp directories, no mocks. Other processes and
// attackers are played with plain node:fs on the same files: a second writer that does not use
// the API, a truncation, garbage, a planted symlink, FIFO or directory at the name.
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HardfsError,
  MAX_CHANGE_RECORD_BYTES,
  openChangeLog,
  openDir,
  type ChangeLog,
  type ChangeLogCursor,
  type ChangeLogOptions,
  type ChangeLogRead,
  type ChangeLogReplaceReason,
  type Resolution,
  type SafeDir,
} from '../../src/index.js';
import { MODES } from '../dir/harness.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

const HEADER_PATTERN = /^hardfs-change-log 1 ([0-9a-f]{32})\n/;
/** 'hardfs-change-log 1 ' + 32 hex digits + '\n'. */
const HEADER_BYTES = 53;

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  // Logs before their directories.
  for (const handle of opened.splice(0).reverse()) await handle.close();
});

interface Fixture {
  base: string;
  dir: SafeDir;
  path: string;
  open(options?: ChangeLogOptions): Promise<ChangeLog>;
}

async function fixture(resolution?: Resolution): Promise<Fixture> {
  const base = await tempDir();
  const dir = await openDir(base, resolution === undefined ? {} : { resolution });
  opened.push(dir);
  return {
    base,
    dir,
    path: join(base, 'log'),
    async open(options) {
      const log = await openChangeLog(dir, 'log', options);
      opened.push(log);
      return log;
    },
  };
}

function generationOnDisk(path: string): string {
  const match = HEADER_PATTERN.exec(readFileSync(path, 'latin1'));
  expect(match, `no valid header in ${path}`).not.toBeNull();
  return match![1]!;
}

/** The records on disk after the header (complete lines only). */
function recordsOnDisk(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  expect(text).toMatch(HEADER_PATTERN);
  const body = text.slice(HEADER_BYTES);
  const lines = body.split('\n');
  lines.pop(); // '' after the last newline, or a partial line
  return lines;
}

function expectReset(result: ChangeLogRead, reason?: string): ChangeLogCursor {
  expect(result.reset, JSON.stringify(result)).toBe(true);
  if (!result.reset) throw new Error('unreachable');
  if (reason !== undefined) expect(result.reason).toBe(reason);
  return result.cursor;
}

function expectRecords(result: ChangeLogRead, records: string[]): ChangeLogCursor {
  expect(result).toMatchObject({ reset: false, records });
  return result.cursor;
}

function bytes(records: string[]): number {
  return records.reduce((sum, record) => sum + Buffer.byteLength(record) + 1, 0);
}

describe('append and read', () => {
  it('the first read is a reset(start) at the end of the log; then exactly the appended records, in order', async () => {
    const { path, open } = await fixture();
    const log = await open();
    const start = await log.read();
    let cursor = expectReset(start, 'start');
    expect(cursor).toEqual({ generation: generationOnDisk(path), offset: HEADER_BYTES, partial: false });

    await log.append('one');
    await log.append('two');
    await log.append('three');
    const first = await log.read(cursor);
    cursor = expectRecords(first, ['one', 'two', 'three']);
    expect(cursor).toEqual({ generation: generationOnDisk(path), offset: HEADER_BYTES + bytes(['one', 'two', 'three']), partial: false });
    expect(statSync(path).size).toBe(cursor.offset);

    // Nothing new: no records, the very same position.
    const idle = await log.read(cursor);
    expect(idle).toEqual({ reset: false, records: [], cursor });

    await log.append('four');
    const next = await log.read(idle.cursor);
    cursor = expectRecords(next, ['four']);
    expect(cursor.offset).toBe(HEADER_BYTES + bytes(['one', 'two', 'three', 'four']));
    expect(recordsOnDisk(path)).toEqual(['one', 'two', 'three', 'four']);
  });

  it('a reset cursor taken after records were appended starts after them', async () => {
    const { open } = await fixture();
    const log = await open();
    await log.append('before');
    const cursor = expectReset(await log.read(), 'start');
    expect(cursor.offset).toBe(HEADER_BYTES + bytes(['before']));
    await log.append('after');
    expectRecords(await log.read(cursor), ['after']);
  });

  it('two instances on the same name (one through another SafeDir handle) see each other’s appends', async () => {
    const { base, open } = await fixture();
    const a = await open();
    const otherDir = await openDir(base);
    opened.push(otherDir);
    const b = await openChangeLog(otherDir, 'log');
    opened.push(b);
    let cursorA = expectReset(await a.read(), 'start');
    let cursorB = expectReset(await b.read(), 'start');
    expect(cursorB).toEqual(cursorA);

    await a.append('from a');
    await b.append('from b');
    await a.append('from a again');
    cursorA = expectRecords(await a.read(cursorA), ['from a', 'from b', 'from a again']);
    cursorB = expectRecords(await b.read(cursorB), ['from a', 'from b', 'from a again']);
    expect(cursorB).toEqual(cursorA);
    // A cursor is plain data: one instance's cursor works with the other.
    await b.append('last');
    expectRecords(await a.read(cursorB), ['last']);
  });

  it('multi-byte UTF-8 records round-trip and the offsets count bytes, across several reads', async () => {
    const { path, open } = await fixture();
    const log = await open();
    let cursor = expectReset(await log.read());
    const batches = [['é'], ['😀', 'a😀é', 'ÆØÅ'], ['日本語テキスト', '\u0301combining'], ['𝄞𝄞', 'tab\there', 'cr\rinside']];
    const all: string[] = [];
    for (const batch of batches) {
      for (const record of batch) await log.append(record);
      all.push(...batch);
      cursor = expectRecords(await log.read(cursor), batch);
      expect(cursor.offset).toBe(HEADER_BYTES + bytes(all));
    }
    expect(recordsOnDisk(path)).toEqual(all);
    expect(statSync(path).size).toBe(cursor.offset);
  });

  it('the path is the directory path and the name', async () => {
    const { path, open } = await fixture();
    const log = await open();
    expect(log.path).toBe(path);
  });
});

describe('rotation', () => {
  it('rotate() starts a new generation: the rotating instance’s reader gets reset(rotated) in it', async () => {
    const { path, open } = await fixture();
    const log = await open();
    let cursor = expectReset(await log.read());
    await log.append('old');
    cursor = expectRecords(await log.read(cursor), ['old']);
    const before = generationOnDisk(path);

    await log.rotate();
    const after = generationOnDisk(path);
    expect(after).not.toBe(before);
    expect(readFileSync(path, 'utf8')).toBe(`hardfs-change-log 1 ${after}\n`);

    const reset = await log.read(cursor);
    cursor = expectReset(reset, 'rotated');
    expect(cursor).toEqual({ generation: after, offset: HEADER_BYTES, partial: false });
    await log.append('new');
    expectRecords(await log.read(cursor), ['new']);
  });

  it('a reader in another instance, holding a descriptor of the old generation, also gets a reset in the new one', async () => {
    const { path, open } = await fixture();
    const reader = await open();
    const rotator = await open();
    let cursor = expectReset(await reader.read());
    await rotator.append('old');
    cursor = expectRecords(await reader.read(cursor), ['old']);
    await rotator.rotate();
    await rotator.append('new');
    cursor = expectReset(await reader.read(cursor), 'rotated');
    expect(cursor.generation).toBe(generationOnDisk(path));
    expect(cursor.offset).toBe(HEADER_BYTES + bytes(['new']));
    await rotator.append('newer');
    expectRecords(await reader.read(cursor), ['newer']);
  });

  it('an instance whose descriptor was rotated away re-appends its record to the new generation', async () => {
    const { path, open } = await fixture();
    const a = await open(); // opened: holds a descriptor of generation 1
    const b = await open();
    await a.append('before');
    const oldIno = lstatSync(path).ino;
    // Keep our own view of generation 1 to see what happens to it.
    const oldFd = openSync(path, 'r');
    try {
      const oldGeneration = generationOnDisk(path);
      await b.rotate();
      const newGeneration = generationOnDisk(path);
      expect(newGeneration).not.toBe(oldGeneration);
      expect(lstatSync(path).ino).not.toBe(oldIno);
      const reader = await open();
      const cursor = expectReset(await reader.read());
      expect(cursor.generation).toBe(newGeneration);

      await a.append('x');

      // The reader following the new generation sees x.
      expectRecords(await reader.read(cursor), ['x']);
      expect(readFileSync(path, 'utf8')).toBe(`hardfs-change-log 1 ${newGeneration}\nx\n`);
      // Generation 1 is unlinked, and A's first write of x went there before it noticed.
      const old = fstatSync(oldFd);
      expect(old.ino).toBe(oldIno);
      expect(old.nlink).toBe(0);
      const oldContent = Buffer.alloc(old.size);
      readSync(oldFd, oldContent, 0, old.size, 0);
      expect(oldContent.toString('utf8')).toBe(`hardfs-change-log 1 ${oldGeneration}\nbefore\nx\n`);

      // A now appends straight to the new generation (once).
      await a.append('y');
      expect(readFileSync(path, 'utf8')).toBe(`hardfs-change-log 1 ${newGeneration}\nx\ny\n`);
      expect(fstatSync(oldFd).size).toBe(old.size);
    } finally {
      closeSync(oldFd);
    }
  });

  it('rotates by itself once an append leaves the file larger than rotateBytes; the size stays bounded', async () => {
    const { path, open } = await fixture();
    const rotateBytes = 200;
    const writer = await open({ rotateBytes });
    const follower = await open({ rotateBytes });
    let writerCursor = expectReset(await writer.read());
    let followerCursor = expectReset(await follower.read());
    const generations = new Set([generationOnDisk(path)]);
    let sinceReset: string[] = [];
    let baseline = 0; // how many of this generation's records came before the follower's reset
    let appendedThisGeneration: string[] = [];
    let followerResets = 0;
    let maxSize = 0;
    for (let i = 0; i < 1000; i += 1) {
      const record = `record-${i}`;
      const generationBefore = generationOnDisk(path);
      await writer.append(record);
      const size = statSync(path).size;
      maxSize = Math.max(maxSize, size);
      expect(size).toBeLessThanOrEqual(rotateBytes);
      const generation = generationOnDisk(path);
      generations.add(generation);
      if (generation === generationBefore) {
        appendedThisGeneration.push(record);
      } else {
        // The append that crossed rotateBytes rotated: the new generation is empty.
        expect(statSync(path).size).toBe(HEADER_BYTES);
        appendedThisGeneration = [];
      }
      expect(recordsOnDisk(path)).toEqual(appendedThisGeneration);

      if (i % 7 === 0) {
        // The writer's own reader: a rotation it did itself is reported as such.
        const own = await writer.read(writerCursor);
        if (own.reset) expect(own.reason).toBe('rotated');
        writerCursor = own.cursor;
      }
      if (i % 5 === 0) {
        const seen = await follower.read(followerCursor);
        if (seen.reset) {
          followerResets += 1;
          expect(seen.reason).not.toBe('corrupt');
          expect(seen.reason).not.toBe('backlog');
          sinceReset = [];
          baseline = appendedThisGeneration.length;
          expect(seen.cursor.offset).toBe(HEADER_BYTES + bytes(appendedThisGeneration));
        } else {
          sinceReset.push(...seen.records);
        }
        followerCursor = seen.cursor;
        expect(followerCursor.generation).toBe(generation);
        // Everything the follower got since its reset is exactly this generation's records.
        expect(sinceReset).toEqual(appendedThisGeneration.slice(baseline));
      }
    }
    // 1,000 records of ~11 bytes in files of at most 200: dozens of rotations.
    expect(generations.size).toBeGreaterThan(50);
    expect(followerResets).toBeGreaterThan(20);
    expect(maxSize).toBeGreaterThan(rotateBytes - 20);
  });
});

describe('resets', () => {
  it('backlog: a reader further behind than maxReadBytes gets reset(backlog) at the end, then only what is new', async () => {
    const { path, open } = await fixture();
    const maxReadBytes = 100;
    const log = await open({ maxReadBytes });
    let cursor = expectReset(await log.read());
    // Exactly maxReadBytes unread is still readable.
    const ten = Array.from({ length: 10 }, (_, i) => `rec-${String(i).padStart(5, '0')}`); // 10 x 10 bytes
    for (const record of ten) await log.append(record);
    expect(bytes(ten)).toBe(maxReadBytes);
    cursor = expectRecords(await log.read(cursor), ten);

    for (let i = 0; i < 11; i += 1) await log.append(`rec-${String(100 + i).padStart(5, '0')}`);
    const reset = await log.read(cursor);
    cursor = expectReset(reset, 'backlog');
    expect(cursor).toEqual({ generation: generationOnDisk(path), offset: statSync(path).size, partial: false });

    await log.append('new-1');
    await log.append('new-2');
    expectRecords(await log.read(cursor), ['new-1', 'new-2']);
  });

  it('truncation behind the log’s back (to just the header) is reset(corrupt); reading goes on from there', async () => {
    const { path, open } = await fixture();
    const log = await open();
    let cursor = expectReset(await log.read());
    await log.append('a');
    await log.append('b');
    cursor = expectRecords(await log.read(cursor), ['a', 'b']);
    truncateSync(path, HEADER_BYTES);
    const reset = await log.read(cursor);
    cursor = expectReset(reset, 'corrupt');
    expect(cursor.offset).toBe(HEADER_BYTES);
    await log.append('c');
    expectRecords(await log.read(cursor), ['c']);
  });

  it('a cursor from before the header is reset(corrupt)', async () => {
    const { path, open } = await fixture();
    const log = await open();
    await log.append('a');
    const reset = await log.read({ generation: generationOnDisk(path), offset: 10, partial: false });
    expectReset(reset, 'corrupt');
  });

  it('a cursor of an unknown generation is a reset at the end of the current one', async () => {
    const { path, open } = await fixture();
    const log = await open();
    await log.append('a');
    const cursor = expectReset(await log.read({ generation: '0'.repeat(32), offset: HEADER_BYTES, partial: false }), 'rotated');
    expect(cursor).toEqual({ generation: generationOnDisk(path), offset: HEADER_BYTES + 2, partial: false });
  });
});

describe('partial lines', () => {
  it('a reset taken in the middle of a line is partial: the next read skips the tail of that line', async () => {
    const { path, open } = await fixture();
    const log = await open();
    await log.append('complete');
    appendFileSync(path, 'half-writ'); // another appender, caught in the middle of its record
    const cursor = expectReset(await log.read(), 'start');
    expect(cursor).toEqual({ generation: generationOnDisk(path), offset: statSync(path).size, partial: true });

    // Still nothing complete after the cursor: nothing returned, the cursor stays partial.
    const waiting = await log.read(cursor);
    expect(waiting).toEqual({ reset: false, records: [], cursor });

    appendFileSync(path, 'ten\n'); // that record completes
    await log.append('real');
    const next = await log.read(cursor);
    const after = expectRecords(next, ['real']);
    expect(after).toEqual({ generation: cursor.generation, offset: statSync(path).size, partial: false });
    await log.append('more');
    expectRecords(await log.read(after), ['more']);
  });

  it('a partial cursor whose line completes with nothing after it returns no records and is no longer partial', async () => {
    const { path, open } = await fixture();
    const log = await open();
    appendFileSync(path, 'abc');
    const cursor = expectReset(await log.read());
    expect(cursor.partial).toBe(true);
    appendFileSync(path, 'def\n');
    const done = await log.read(cursor);
    const after = expectRecords(done, []);
    expect(after).toEqual({ generation: cursor.generation, offset: statSync(path).size, partial: false });
  });

  it('reading while a line is still incomplete returns the complete ones and stops before it; completed, it is returned', async () => {
    const { path, open } = await fixture();
    const log = await open();
    let cursor = expectReset(await log.read());
    await log.append('first');
    await log.append('second');
    appendFileSync(path, 'thi');
    cursor = expectRecords(await log.read(cursor), ['first', 'second']);
    expect(cursor).toEqual({ generation: generationOnDisk(path), offset: HEADER_BYTES + bytes(['first', 'second']), partial: false });
    // Still incomplete: nothing, same cursor.
    appendFileSync(path, 'r');
    expect(await log.read(cursor)).toEqual({ reset: false, records: [], cursor });
    appendFileSync(path, 'd\n');
    await log.append('fourth');
    cursor = expectRecords(await log.read(cursor), ['third', 'fourth']);
    expect(cursor.offset).toBe(statSync(path).size);
  });

  it('a reset that ends exactly at a newline is not partial', async () => {
    const { path, open } = await fixture();
    const log = await open();
    appendFileSync(path, 'by-hand\n');
    expect(expectReset(await log.read()).partial).toBe(false);
    expect(statSync(path).size).toBe(HEADER_BYTES + 8);
  });
});

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
    const otherLog = await openChangeLog(await openDir(outsideDir).then((d) => (opened.push(d), d)), 'other-store-log');
    opened.push(otherLog);
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
    expect((error as HardfsError).code).toBe('EINSECURE');
    expect((error as HardfsError).path).toBe(path);
    expect((error as Error).message).toContain('directory is at the change log name');
    expect(lstatSync(path).isDirectory()).toBe(true);
    expect(readdirSync(path)).toEqual(['inside']);
    expect(readFileSync(join(path, 'inside'), 'utf8')).toBe('content');
    expect(readdirSync(base)).toEqual(['log']); // no temp file left behind either
    expect(reasons).toEqual([]);
  });
});

describe('readSync', () => {
  it('gives what read() gives, through the open descriptor or by name after a rotation', async () => {
    const { open } = await fixture();
    const writer = await open();
    const reader = await open();
    const first = reader.readSync();
    expect(first.reset).toBe(true);
    await writer.append('a');
    await writer.append('b');
    const second = reader.readSync(first.cursor);
    expect(second).toEqual({ reset: false, records: ['a', 'b'], cursor: second.cursor });
    await writer.rotate(); // the reader's descriptor now names a replaced file
    await writer.append('c');
    const third = reader.readSync(second.cursor);
    expect(third.reset && third.reason).toBe('rotated');
    await writer.append('d');
    const fourth = reader.readSync(third.cursor);
    expect(fourth).toEqual({ reset: false, records: ['d'], cursor: fourth.cursor });
    expect(await reader.read(third.cursor)).toEqual(fourth);
  });
});

describe('readSync by name (no usable descriptor: another instance rotated the log)', () => {
  async function rotatedAway(options?: Parameters<Fixture['open']>[0]) {
    const { open, path } = await fixture();
    const writer = await open();
    const reader = await open(options);
    const start = await reader.read();
    await writer.rotate();
    const rotated = reader.readSync(start.cursor);
    expect(rotated.reset && rotated.reason).toBe('rotated');
    return { writer, reader, path, cursor: rotated.cursor };
  }

  it('a cursor past the end of the file is reset(corrupt) at the end', async () => {
    const { reader, cursor, path } = await rotatedAway();
    const read = reader.readSync({ ...cursor, offset: cursor.offset + 1000 });
    expect(read.reset && read.reason).toBe('corrupt');
    expect(read.cursor.offset).toBe(statSync(path).size);
  });

  it('garbage or nothing at the name, or a file over maxReadBytes, is reset(corrupt) and the cursor does not advance', async () => {
    const { reader, writer, cursor, path } = await rotatedAway({ maxReadBytes: 64 });
    writeFileSync(path, 'no header here\n');
    const garbage = reader.readSync(cursor);
    expect(garbage.reset && garbage.reason).toBe('corrupt');
    expect(garbage.cursor).toEqual(cursor);
    rmSync(path);
    const gone = reader.readSync(cursor);
    expect(gone.reset && gone.reason).toBe('corrupt');
    expect(gone.cursor).toEqual(cursor);
    await writer.rotate();
    for (let i = 0; i < 10; i += 1) await writer.append(`record-${i}`);
    const big = reader.readSync(cursor);
    expect(big.reset && big.reason).toBe('corrupt');
    expect(big.cursor).toEqual(cursor);
  });
});

describe('validation', () => {
  it('a record must be a non-empty string without a newline (TypeError), nothing written', async () => {
    const { path, open } = await fixture();
    const log = await open();
    const size = statSync(path).size;
    for (const bad of [42, undefined, null, {}, '', 'a\nb', '\n', 'trailing\n']) {
      const error = await caught(log.append(bad as unknown as string));
      expect(error, JSON.stringify(bad)).toBeInstanceOf(TypeError);
    }
    expect(statSync(path).size).toBe(size);
  });

  it('a record is at most MAX_CHANGE_RECORD_BYTES UTF-8 bytes: one more is ETOOBIG, exactly that many reads back', async () => {
    expect(MAX_CHANGE_RECORD_BYTES).toBe(64 * 1024);
    const { path, open } = await fixture();
    const log = await open();
    let cursor = expectReset(await log.read());
    const size = statSync(path).size;

    const tooBig = await caught(log.append('a'.repeat(MAX_CHANGE_RECORD_BYTES + 1)));
    expect(tooBig).toBeInstanceOf(HardfsError);
    expect(tooBig.code).toBe('ETOOBIG');
    // Counted in bytes, not in UTF-16 units: half as many 'é' fill it, one more byte is too many.
    const tooBigUtf8 = await caught(log.append(`${'é'.repeat(MAX_CHANGE_RECORD_BYTES / 2)}a`));
    expect(tooBigUtf8.code).toBe('ETOOBIG');
    expect(statSync(path).size).toBe(size);

    const exact = 'b'.repeat(MAX_CHANGE_RECORD_BYTES);
    const exactUtf8 = 'é'.repeat(MAX_CHANGE_RECORD_BYTES / 2);
    await log.append(exact);
    await log.append(exactUtf8);
    cursor = expectRecords(await log.read(cursor), [exact, exactUtf8]);
    expect(cursor.offset).toBe(HEADER_BYTES + 2 * (MAX_CHANGE_RECORD_BYTES + 1));
  });

  it('bad options are TypeErrors, before anything is created', async () => {
    const { base, dir } = await fixture();
    const bad: unknown[] = [
      { rotateBytes: HEADER_BYTES - 1 },
      { rotateBytes: 0 },
      { rotateBytes: -1 },
      { rotateBytes: 1000.5 },
      { rotateBytes: Number.NaN },
      { rotateBytes: Number.POSITIVE_INFINITY },
      { rotateBytes: '1000' },
      { maxReadBytes: HEADER_BYTES - 1 },
      { maxReadBytes: 100.5 },
      { maxReadBytes: Number.NaN },
      { maxReadBytes: 2 ** 53 },
      { mode: -1 },
      { mode: 0o1000 },
      { mode: 0o4755 },
      { mode: 1.5 },
      { mode: '0600' },
      { mode: 0o400 }, // the owner could not reopen its own log
      { mode: 0 },
      { mode: 0o644 & ~0o200 },
      { onReplace: 'log it' },
      { onReplace: {} },
    ];
    for (const options of bad) {
      const error = await caught(openChangeLog(dir, 'log', options as ChangeLogOptions));
      expect(error, JSON.stringify(options)).toBeInstanceOf(TypeError);
    }
    expect(readdirSync(base)).toEqual([]);
    // The smallest accepted sizes.
    const log = await openChangeLog(dir, 'log', { rotateBytes: HEADER_BYTES, maxReadBytes: HEADER_BYTES });
    opened.push(log);
    await log.append('x');
  });

  it('a record with a lone surrogate is a TypeError (UTF-8 would read it back as another record)', async () => {
    const { path, open } = await fixture();
    const log = await open();
    for (const record of ['\ud800x', 'x\udfff', '\udc00']) {
      expect(await caught(log.append(record))).toBeInstanceOf(TypeError);
    }
    await log.append('😀 paired is fine');
    expect(recordsOnDisk(path)).toEqual(['😀 paired is fine']);
  });

  it('a cursor that read() never returned is a TypeError, not a crash deeper down', async () => {
    const { open } = await fixture();
    const log = await open();
    const { cursor } = await log.read();
    const bad: unknown[] = [
      null,
      'cursor',
      { ...cursor, offset: Number.NaN },
      { ...cursor, offset: -1 },
      { ...cursor, offset: 1.5 },
      { ...cursor, generation: 7 },
      { ...cursor, partial: 'no' },
      { generation: cursor.generation, offset: cursor.offset },
    ];
    for (const candidate of bad) {
      expect(await caught(log.read(candidate as ChangeLogCursor)), JSON.stringify(candidate)).toBeInstanceOf(TypeError);
    }
  });

  it('the name must be a single path component', async () => {
    const { base, dir } = await fixture();
    for (const name of ['', '.', '..', 'a/b', '../log', '/abs']) {
      const error = await caught(openChangeLog(dir, name));
      expect(error, name).toBeInstanceOf(Error);
    }
    expect(readdirSync(base)).toEqual([]);
  });
});

describe('mode', () => {
  it('is 0o600 by default even under umask 0, and stays so across rotations', async () => {
    const previous = process.umask(0);
    try {
      const { path, open } = await fixture();
      const log = await open({ rotateBytes: 100 });
      expect(statSync(path).mode & 0o7777).toBe(0o600);
      for (let i = 0; i < 10; i += 1) await log.append(`record ${i}`);
      await log.rotate();
      expect(statSync(path).mode & 0o7777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('a custom mode is exact, whatever the umask', async () => {
    const previous = process.umask(0o077);
    try {
      const { path, open } = await fixture();
      const log = await open({ mode: 0o644 });
      expect(statSync(path).mode & 0o7777).toBe(0o644);
      await log.rotate();
      expect(statSync(path).mode & 0o7777).toBe(0o644);
    } finally {
      process.umask(previous);
    }
  });
});

describe('close', () => {
  it('append, read and rotate reject with ECLOSED afterwards; closing twice is fine', async () => {
    const { path, open } = await fixture();
    const log = await open();
    await log.append('before close');
    await log.close();
    await log.close();
    const size = statSync(path).size;
    for (const operation of [() => log.append('after'), () => log.read(), () => log.rotate()]) {
      const error = await caught(operation);
      expect(error).toBeInstanceOf(HardfsError);
      expect(error.code).toBe('ECLOSED');
    }
    expect(statSync(path).size).toBe(size);
    expect(recordsOnDisk(path)).toEqual(['before close']);
  });

  it.skipIf(process.platform !== 'linux')('closes its descriptor (counted in /proc/self/fd)', async () => {
    const { base, open } = await fixture();
    const into = (): string[] =>
      readdirSync('/proc/self/fd').flatMap((fd) => {
        try {
          const target = readlinkSync(`/proc/self/fd/${fd}`).replace(/ \(deleted\)$/, '');
          return target.startsWith(`${base}/`) ? [target] : [];
        } catch {
          return [];
        }
      });
    expect(into()).toEqual([]);
    const log = await open();
    await log.append('a');
    expect(into()).toEqual([join(base, 'log')]);
    await log.close();
    // close() starts the descriptor's close without waiting for it: give it a few turns.
    for (let attempt = 0; attempt < 50 && into().length > 0; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(into()).toEqual([]);

    // A log whose generation was rotated away drops the old descriptor too, not only the last one.
    const rotated = await open();
    const other = await open();
    await other.rotate();
    await rotated.append('re-appended');
    await rotated.close();
    await other.close();
    for (let attempt = 0; attempt < 50 && into().length > 0; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(into()).toEqual([]);
  });

  it('a close while an append is in flight leaves no stray write: the append lands or rejects ECLOSED', async () => {
    const { path, open } = await fixture();
    const log = await open();
    const append = log.append('racing').then(
      () => 'ok',
      (error: unknown) => (error as { code?: string }).code,
    );
    await log.close();
    const outcome = await append;
    expect(['ok', 'ECLOSED']).toContain(outcome);
    expect(recordsOnDisk(path)).toEqual(outcome === 'ok' ? ['racing'] : []);
  });
});

describe('damage to a log that instances hold open', () => {
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
});

describe('two first opens at once in one process (each resolution)', () => {
  // Both create the missing log; the later creation replaces the earlier by rename, so one
  // opener may hold a file with no link left, or have its root refuse it: a concurrent creation,
  // never reported as a hard link or a file that had to be replaced (processes: see
  // change-log.processes.test.ts).
  for (const resolution of MODES) {
    it(`${resolution}: 200 rounds, onReplace never called, both open and append`, async () => {
      const { dir, path } = await fixture(resolution);
      const reasons: ChangeLogReplaceReason[] = [];
      for (let round = 0; round < 200; round += 1) {
        rmSync(path, { force: true });
        const logs = await Promise.all([0, 1].map(() => openChangeLog(dir, 'log', { onReplace: (reason) => reasons.push(reason) })));
        await Promise.all(logs.map((log, index) => log.append(`r${round}-${index}`)));
        await Promise.all(logs.map((log) => log.close()));
        generationOnDisk(path);
      }
      expect(reasons).toEqual([]);
    });
  }
});
