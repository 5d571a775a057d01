// ChangeLog#append: what a record may be, what reads back (in bytes, and across instances on
// the same name), and an append that a full disk cuts short (a real tmpfs filled to the byte,
// see test/support/full-disk.ts).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardfsError, MAX_CHANGE_RECORD_BYTES, openChangeLog, openDir } from '../../src/index.js';
import { mountSmallDisk, smallDiskSkipReason } from '../support/full-disk.js';
import { caught } from '../support/tmp.js';
import {
  HEADER_BYTES,
  bytes,
  expectRecords,
  expectReset,
  generationOnDisk,
  recordsOnDisk,
  useLogs,
} from './harness.js';

const { fixture, track } = useLogs();

describe('append: what a record may be', () => {
  it('a record that is not a string is a TypeError that says what a record must be; nothing written', async () => {
    const { path, open } = await fixture();
    const log = await open();
    const size = statSync(path).size;
    for (const bad of [42, undefined, null, {}, ['a'], { length: 1, includes: () => false }]) {
      const error = await caught(log.append(bad as unknown as string));
      expect(error, JSON.stringify(bad)).toBeInstanceOf(TypeError);
      expect(error.message, JSON.stringify(bad)).toContain('must be a non-empty string');
    }
    const empty = await caught(log.append(''));
    expect(empty).toBeInstanceOf(TypeError);
    expect(empty.message).toContain('non-empty string');
    for (const withNewline of ['a\nb', '\n', 'trailing\n']) {
      const newline = await caught(log.append(withNewline));
      expect(newline, JSON.stringify(withNewline)).toBeInstanceOf(TypeError);
      expect(newline.message, JSON.stringify(withNewline)).toContain('must not contain a newline');
    }
    expect(statSync(path).size).toBe(size);
  });

  it('a record with a lone surrogate is a TypeError (UTF-8 would read it back as another record)', async () => {
    const { path, open } = await fixture();
    const log = await open();
    for (const record of ['\ud800x', 'x\udfff', '\udc00']) {
      const error = await caught(log.append(record));
      expect(error, JSON.stringify(record)).toBeInstanceOf(TypeError);
      expect(error.message, JSON.stringify(record)).toContain('lone surrogate');
    }
    await log.append('😀 paired is fine');
    expect(recordsOnDisk(path)).toEqual(['😀 paired is fine']);
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
    expect(tooBig.message).toContain(`at most ${MAX_CHANGE_RECORD_BYTES} bytes`);
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
});

describe('append: what reads back', () => {
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

  it('two instances on the same name (one through another SafeDir handle) see each other’s appends', async () => {
    const { base, open } = await fixture();
    const a = await open();
    const otherDir = track(await openDir(base));
    const b = track(await openChangeLog(otherDir, 'log'));
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
});

const diskSkip = smallDiskSkipReason();
if (diskSkip !== undefined) console.log(`skipped: full-disk appends (${diskSkip})`);

describe.skipIf(diskSkip !== undefined)('append on a full disk', () => {
  it('a record the disk cuts short is not reported appended: the append rejects with ENOSPC', async () => {
    const disk = mountSmallDisk(256 * 1024);
    try {
      const dir = track(await openDir(disk.path));
      const path = join(disk.path, 'log');
      const log = track(await openChangeLog(dir, 'log', { rotateBytes: 1 << 20 }));
      let cursor = expectReset(await log.read());
      // Fill the log's first page up to a few bytes short of its end: on tmpfs that page is
      // allocated, the next is not, so once the disk is full a write across the boundary
      // lands only in part (a short write).
      const page = 4096;
      const records: string[] = [];
      while (HEADER_BYTES + bytes(records) + 101 < page - 20) records.push(`r${records.length}-${'x'.repeat(96)}`.slice(0, 100));
      const filler = 'f'.repeat(page - 20 - (HEADER_BYTES + bytes(records)) - 1);
      records.push(filler);
      for (const record of records) await log.append(record);
      expect(statSync(path).size).toBe(page - 20);
      cursor = expectRecords(await log.read(cursor), records);
      const generation = generationOnDisk(path);

      disk.fill();
      const error = await caught(log.append('y'.repeat(60)));
      expect(error.code).toBe('ENOSPC');
      // Part of the record did land: the log is no longer a sequence of whole lines.
      expect(statSync(path).size).toBe(page);
      expect(generationOnDisk(path)).toBe(generation);
      expect(recordsOnDisk(path)).toEqual(records);

      // Space again: a rotation gives every reader a reset, and appends go on.
      disk.free();
      await log.rotate();
      cursor = expectReset(await log.read(cursor), 'rotated');
      await log.append('after');
      expectRecords(await log.read(cursor), ['after']);
    } finally {
      disk.unmount();
    }
  });
});
