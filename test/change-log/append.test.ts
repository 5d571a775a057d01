// ChangeLog#append: what a record may be, and an append that a full disk cuts short (a real
// tmpfs filled to the byte, see test/support/full-disk.ts).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChangeLog, openDir } from '../../src/index.js';
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
      expect(error.message, JSON.stringify(bad)).toContain('a change record must be a non-empty string');
    }
    const empty = await caught(log.append(''));
    expect(empty.message).toContain('non-empty string');
    const newline = await caught(log.append('a\nb'));
    expect(newline.message).toContain('must not contain a newline');
    expect(statSync(path).size).toBe(size);
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
