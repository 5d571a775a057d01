// Reading with a cursor: what a cursor may be, how a partial one (taken in the middle of a
// record) moves once that record's line completes, and how a read stops before a line another
// appender has not finished. Other appenders are played with node:fs.
import { appendFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChangeLogCursor } from '../../src/index.js';
import { caught } from '../support/tmp.js';
import { HEADER_BYTES, bytes, expectRecords, expectReset, generationOnDisk, useLogs } from './harness.js';

const { fixture } = useLogs();

const NOT_A_CURSOR = 'returned by ChangeLog#read';

describe('cursor validation', () => {
  it('anything but a cursor-shaped object is a TypeError that says so, never a crash deeper down', async () => {
    const { open } = await fixture();
    const log = await open();
    const { cursor } = await log.read();
    const bad: unknown[] = [
      null,
      'cursor',
      42,
      // A function carrying the fields is not plain data.
      Object.assign(() => undefined, cursor),
      { ...cursor, offset: Number.NaN },
      { ...cursor, offset: -1 },
      { ...cursor, offset: 1.5 },
      { ...cursor, offset: 2 ** 53 },
      { ...cursor, generation: 7 },
      { ...cursor, partial: 'no' },
      { generation: cursor.generation, offset: cursor.offset },
    ];
    for (const candidate of bad) {
      for (const read of [() => log.read(candidate as ChangeLogCursor), () => log.readSync(candidate as ChangeLogCursor)]) {
        const error = await caught(read);
        expect(error, String(candidate)).toBeInstanceOf(TypeError);
        expect(error.message, String(candidate)).toContain(NOT_A_CURSOR);
      }
    }
  });

  it('offset 0 is a well-formed cursor that does not fit the log: a corrupt reset, not a TypeError', async () => {
    const { path, open } = await fixture();
    const log = await open();
    await log.append('a');
    const generation = generationOnDisk(path);
    const end = { generation, offset: HEADER_BYTES + 2, partial: false };
    expect(await log.read({ generation, offset: 0, partial: false })).toEqual({ reset: true, reason: 'corrupt', cursor: end });
    expect(log.readSync({ generation, offset: 0, partial: false })).toEqual({ reset: true, reason: 'corrupt', cursor: end });
  });

  it('a cursor from before the header is reset(corrupt)', async () => {
    const { path, open } = await fixture();
    const log = await open();
    await log.append('a');
    const reset = await log.read({ generation: generationOnDisk(path), offset: 10, partial: false });
    expectReset(reset, 'corrupt');
  });
});

describe('a partial cursor', () => {
  it('moves past the newline that completes its line, even with nothing after it, and is no longer partial', async () => {
    const { path, open } = await fixture();
    const log = await open();
    appendFileSync(path, 'abc'); // another appender, caught in the middle of its record
    const partial = expectReset(await log.read(), 'start');
    expect(partial).toEqual({ generation: generationOnDisk(path), offset: HEADER_BYTES + 3, partial: true });
    appendFileSync(path, '\n'); // the line completes, and that is all
    const completed = await log.read(partial);
    expect(completed).toEqual({ reset: false, records: [], cursor: { generation: partial.generation, offset: HEADER_BYTES + 4, partial: false } });
    await log.append('next');
    expectRecords(await log.read(completed.cursor), ['next']);
    expect(log.readSync(completed.cursor)).toEqual(await log.read(completed.cursor));
  });

  it('skips only the tail of its line: a record right after the completing newline is returned', async () => {
    const { path, open } = await fixture();
    const log = await open();
    appendFileSync(path, 'abc');
    const partial = expectReset(await log.read(), 'start');
    expect(partial.partial).toBe(true);
    appendFileSync(path, '\n');
    await log.append('right-after');
    await log.append('then-this');
    const sync = log.readSync(partial);
    const result = await log.read(partial);
    const cursor = expectRecords(result, ['right-after', 'then-this']);
    expect(cursor).toEqual({ generation: partial.generation, offset: statSync(path).size, partial: false });
    expect(sync).toEqual(result);
  });

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

  it('its line completed by more of its tail and nothing after: no records (the tail is not one), no longer partial', async () => {
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
});

describe('a line still being written', () => {
  it('a read returns the complete lines and stops before it; once completed, it is returned', async () => {
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
