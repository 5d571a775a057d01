// Reading with a cursor: what a cursor may be, and how a partial one (taken in the middle of a
// record) moves once that record's line completes. Other appenders are played with node:fs.
import { appendFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChangeLogCursor } from '../../src/index.js';
import { caught } from '../support/tmp.js';
import { HEADER_BYTES, expectRecords, expectReset, generationOnDisk, useLogs } from './harness.js';

const { fixture } = useLogs();

const NOT_A_CURSOR = 'cursor must be one returned by ChangeLog#read';

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
});
