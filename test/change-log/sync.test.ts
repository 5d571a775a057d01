// ChangeLog#readSync and openChangeLogSync: the synchronous reader, by name through the pinned
// directory (no descriptor yet, or the one it had was rotated away) and through the descriptor
// an asynchronous call opened. Real files; other writers played with plain node:fs.
import { appendFileSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChangeLogSync } from '../../src/change-log/index.js';
import { HardfsError, type ChangeLog, type ChangeLogCursor, type ChangeLogOptions } from '../../src/index.js';
import { caught } from '../support/tmp.js';
import {
  HEADER_BYTES,
  bytes,
  descriptorsInto,
  expectRecords,
  expectReset,
  generationOnDisk,
  settledDescriptorsInto,
  type Fixture,
  useLogs,
} from './harness.js';

const { fixture, tempDir, track } = useLogs();

const NO_CURSOR: ChangeLogCursor = { generation: '', offset: 0, partial: false };

/** A reader that only ever reads synchronously: it never opens a descriptor, every read is by name. */
function syncReader(f: Fixture, options?: ChangeLogOptions): ChangeLog {
  return track(openChangeLogSync(f.dir, 'log', options));
}

describe('openChangeLogSync', () => {
  it('creates nothing: a missing log reads as a corrupt reset that keeps the cursor, until a writer creates it', async () => {
    const f = await fixture();
    const reader = syncReader(f);
    expect(readdirSync(f.base)).toEqual([]);
    expect(reader.readSync()).toEqual({ reset: true, reason: 'corrupt', cursor: NO_CURSOR });
    const stored: ChangeLogCursor = { generation: 'a'.repeat(32), offset: 99, partial: true };
    // The cursor cannot advance on a log that is not there: the very one given comes back.
    expect(reader.readSync(stored)).toEqual({ reset: true, reason: 'corrupt', cursor: stored });
    expect(readdirSync(f.base)).toEqual([]);

    const writer = await f.open();
    const start = reader.readSync();
    const cursor = expectReset(start, 'start');
    expect(cursor).toEqual({ generation: generationOnDisk(f.path), offset: HEADER_BYTES, partial: false });
    await writer.append('first');
    expectRecords(reader.readSync(cursor), ['first']);
  });

  it('the name must be a single component (EBADNAME naming the change log), checked before anything is read', async () => {
    const f = await fixture();
    const error = caught(() => openChangeLogSync(f.dir, 'a/b'));
    const thrown = await error;
    expect(thrown).toBeInstanceOf(HardfsError);
    expect(thrown.code).toBe('EBADNAME');
    expect(thrown.path).toBe('a/b');
    expect(thrown.message).toContain('change log name');
    expect(readdirSync(f.base)).toEqual([]);
  });

  it('checks its options as openChangeLog does: a TypeError naming the option, nothing created', async () => {
    const f = await fixture();
    for (const options of [{ rotateBytes: HEADER_BYTES - 1 }, { maxReadBytes: 1.5 }, { mode: 0o400 }, { onReplace: 'no' }]) {
      const error = await caught(() => openChangeLogSync(f.dir, 'log', options as ChangeLogOptions));
      expect(error, JSON.stringify(options)).toBeInstanceOf(TypeError);
      expect(error.message, JSON.stringify(options)).toContain(`${Object.keys(options)[0]!} must be`);
    }
    expect(readdirSync(f.base)).toEqual([]);
  });
});

describe('readSync and read', () => {
  it('give the same: through the open descriptor, or by name after a rotation', async () => {
    const f = await fixture();
    const writer = await f.open();
    const reader = await f.open();
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

describe('readSync by name once another instance rotated the log (no usable descriptor)', () => {
  async function rotatedAway(options?: ChangeLogOptions) {
    const f = await fixture();
    const writer = await f.open();
    const reader = await f.open(options);
    const start = await reader.read();
    await writer.rotate();
    const rotated = reader.readSync(start.cursor);
    expect(rotated.reset && rotated.reason).toBe('rotated');
    return { writer, reader, path: f.path, cursor: rotated.cursor };
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

describe('readSync by name', () => {
  it('follows a log another instance appends to: start, records, nothing new, a cursor at the bare header', async () => {
    const f = await fixture();
    const writer = await f.open();
    const reader = syncReader(f);
    const generation = generationOnDisk(f.path);
    // A cursor at the header of an empty log is where a reader stands: nothing to read yet.
    const atHeader: ChangeLogCursor = { generation, offset: HEADER_BYTES, partial: false };
    expect(reader.readSync(atHeader)).toEqual({ reset: false, records: [], cursor: atHeader });

    await writer.append('one');
    await writer.append('two');
    let cursor = expectReset(reader.readSync(), 'start');
    expect(cursor).toEqual({ generation, offset: HEADER_BYTES + bytes(['one', 'two']), partial: false });
    await writer.append('three');
    await writer.append('fóur');
    cursor = expectRecords(reader.readSync(cursor), ['three', 'fóur']);
    expect(cursor).toEqual({ generation, offset: statSync(f.path).size, partial: false });
    // At the end: nothing, the same cursor.
    expect(reader.readSync(cursor)).toEqual({ reset: false, records: [], cursor });
    expectRecords(reader.readSync(atHeader), ['one', 'two', 'three', 'fóur']);
    // Still no descriptor of its own: every one of those reads was by name.
    expect(descriptorsInto(f.base)).toHaveLength(1); // the writer's
  });

  it('a cursor past the end (the log was truncated) or inside the header is a corrupt reset at the end', async () => {
    const f = await fixture();
    const writer = await f.open();
    const reader = syncReader(f);
    await writer.append('alpha');
    await writer.append('beta');
    const generation = generationOnDisk(f.path);
    const end = { generation, offset: HEADER_BYTES + bytes(['alpha', 'beta']), partial: false };
    truncateSync(f.path, HEADER_BYTES + bytes(['alpha']));
    const shorter = { generation, offset: HEADER_BYTES + bytes(['alpha']), partial: false };
    expect(reader.readSync(end)).toEqual({ reset: true, reason: 'corrupt', cursor: shorter });
    for (const offset of [0, 1, HEADER_BYTES - 1]) {
      expect(reader.readSync({ generation, offset, partial: false }), String(offset)).toEqual({ reset: true, reason: 'corrupt', cursor: shorter });
    }
    // Another generation's cursor: rotated, at the end.
    expect(reader.readSync({ generation: 'f'.repeat(32), offset: HEADER_BYTES, partial: false })).toEqual({
      reset: true,
      reason: 'rotated',
      cursor: shorter,
    });
  });

  it('a reset in the middle of a line is partial; the tail of that line is skipped', async () => {
    const f = await fixture();
    const writer = await f.open();
    const reader = syncReader(f);
    expect(expectReset(reader.readSync()).partial).toBe(false); // just the header
    appendFileSync(f.path, 'half-wri'); // another appender, caught in the middle of its record
    const cursor = expectReset(reader.readSync(), 'start');
    expect(cursor).toEqual({ generation: generationOnDisk(f.path), offset: HEADER_BYTES + 8, partial: true });
    appendFileSync(f.path, 'tten\n');
    await writer.append('whole');
    const after = expectRecords(reader.readSync(cursor), ['whole']);
    expect(after).toEqual({ generation: cursor.generation, offset: statSync(f.path).size, partial: false });
  });

  it('garbage, a symlink or a directory at the name: a corrupt reset that keeps the cursor, nothing replaced or created', async () => {
    const f = await fixture();
    const reader = syncReader(f);
    const stored: ChangeLogCursor = { generation: 'b'.repeat(32), offset: HEADER_BYTES, partial: false };
    const outside = join(await tempDir(), 'target');
    writeFileSync(outside, `hardfs-change-log 1 ${'c'.repeat(32)}\nlured\n`);
    const plant: Array<[string, () => void]> = [
      ['garbage', () => writeFileSync(f.path, 'this is not a change log, but it is long enough to hold a header\nx\n')],
      ['short', () => writeFileSync(f.path, 'hardfs')],
      ['symlink', () => symlinkSync(outside, f.path)],
      ['directory', () => mkdirSync(f.path)],
    ];
    for (const [what, planted] of plant) {
      planted();
      expect(reader.readSync(), what).toEqual({ reset: true, reason: 'corrupt', cursor: NO_CURSOR });
      expect(reader.readSync(stored), what).toEqual({ reset: true, reason: 'corrupt', cursor: stored });
      expect(readdirSync(f.base)).toEqual(['log']);
      if (what === 'directory') expect(readdirSync(f.path)).toEqual([]);
      rmSync(f.path, { recursive: true, force: true });
    }
  });

  it('reads at most maxReadBytes past the header; a larger file is a corrupt reset that keeps the cursor', async () => {
    const f = await fixture();
    const maxReadBytes = 100;
    const writer = await f.open({ rotateBytes: 10_000 });
    const reader = syncReader(f, { maxReadBytes });
    const records = Array.from({ length: 10 }, (_, i) => `rec-${String(i).padStart(5, '0')}`); // 10 x 10 bytes
    for (const record of records) await writer.append(record);
    expect(statSync(f.path).size).toBe(HEADER_BYTES + maxReadBytes);
    const generation = generationOnDisk(f.path);
    const atHeader: ChangeLogCursor = { generation, offset: HEADER_BYTES, partial: false };
    // Exactly the bound: read whole.
    expectReset(reader.readSync(), 'start');
    expectRecords(reader.readSync(atHeader), records);
    // One byte more: refused by name (reading it would cost more than maxReadBytes).
    appendFileSync(f.path, 'x');
    expect(reader.readSync()).toEqual({ reset: true, reason: 'corrupt', cursor: NO_CURSOR });
    expect(reader.readSync(atHeader)).toEqual({ reset: true, reason: 'corrupt', cursor: atHeader });
  });
});

describe('readSync through the descriptor an asynchronous call opened', () => {
  it('reads the tail of a log larger than maxReadBytes, and says backlog (not corrupt) when too far behind', async () => {
    const f = await fixture();
    const maxReadBytes = 100;
    const writer = await f.open({ rotateBytes: 10_000 });
    const reader = await f.open({ maxReadBytes }); // opened: holds a descriptor
    const behind = expectReset(reader.readSync(), 'start');
    for (let i = 0; i < 30; i += 1) await writer.append(`rec-${String(i).padStart(5, '0')}`);
    expect(statSync(f.path).size).toBeGreaterThan(HEADER_BYTES + maxReadBytes);
    const end = { generation: behind.generation, offset: statSync(f.path).size, partial: false };
    // 300 unread bytes: a backlog reset at the end (by name, this file could not even be read).
    expect(reader.readSync(behind)).toEqual({ reset: true, reason: 'backlog', cursor: end });
    await writer.append('tail-1');
    await writer.append('tail-2');
    const after = expectRecords(reader.readSync(end), ['tail-1', 'tail-2']);
    expect(after.offset).toBe(statSync(f.path).size);
    expect(await reader.read(end)).toEqual(reader.readSync(end));
  });

  it('a log overwritten in place (same file, no header) is a corrupt reset that keeps the cursor, as by name', async () => {
    const f = await fixture();
    const writer = await f.open();
    const reader = await f.open();
    let cursor = expectReset(reader.readSync());
    await writer.append('before');
    cursor = expectRecords(reader.readSync(cursor), ['before']);
    const ino = statSync(f.path).ino;
    writeFileSync(f.path, 'short'); // same inode, truncated, no header any more
    expect(statSync(f.path).ino).toBe(ino);
    expect(reader.readSync(cursor)).toEqual({ reset: true, reason: 'corrupt', cursor });
    // The next asynchronous read replaces it; readSync follows the new generation.
    const fresh = expectReset(await reader.read(cursor));
    expect(fresh.generation).toBe(generationOnDisk(f.path));
    await writer.append('after');
    expectRecords(reader.readSync(fresh), ['after']);
  });

  it.skipIf(process.platform !== 'linux')('releases the descriptor: close() after readSync leaves none open (counted in /proc/self/fd)', async () => {
    const f = await fixture();
    const reader = await f.open();
    let cursor = expectReset(reader.readSync());
    await reader.append('a');
    for (let i = 0; i < 3; i += 1) cursor = reader.readSync(cursor).cursor;
    expect(descriptorsInto(f.base)).toEqual([f.path]);
    await reader.close();
    expect(await settledDescriptorsInto(f.base, 0)).toEqual([]);
  });

  it('readSync on a closed log is ECLOSED with the log’s path', async () => {
    const f = await fixture();
    const log = await f.open();
    await log.close();
    const error = await caught(() => log.readSync());
    expect(error).toBeInstanceOf(HardfsError);
    expect(error.code).toBe('ECLOSED');
    expect(error.path).toBe(f.path);
    expect(error.message).toContain('closed');
  });
});
