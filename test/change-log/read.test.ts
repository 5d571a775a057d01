// ChangeLog#read: where a reader starts, what it gets after that, and the resets that move it
// (a backlog longer than maxReadBytes, a log truncated behind its back, another generation's
// cursor). Truncation by another process is played with plain node:fs.
import { statSync, truncateSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HEADER_BYTES, bytes, expectRecords, expectReset, generationOnDisk, recordsOnDisk, useLogs } from './harness.js';

const { fixture } = useLogs();

describe('read: where a reader starts and what it gets', () => {
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
});

describe('read: resets', () => {
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

  it('a cursor of an unknown generation is a reset at the end of the current one', async () => {
    const { path, open } = await fixture();
    const log = await open();
    await log.append('a');
    const cursor = expectReset(await log.read({ generation: '0'.repeat(32), offset: HEADER_BYTES, partial: false }), 'rotated');
    expect(cursor).toEqual({ generation: generationOnDisk(path), offset: HEADER_BYTES + 2, partial: false });
  });
});
