// openChangeLog: its arguments (the name and the options, refused before anything is created),
// the options' defaults, the mode of the file it creates, the log's path, and two first opens of
// a missing log at once in one process (across processes: shared.processes.test.ts).
import { appendFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openChangeLogSync } from '../../src/change-log/index.js';
import {
  HardfsError,
  MAX_CHANGE_RECORD_BYTES,
  openChangeLog,
  type ChangeLogCursor,
  type ChangeLogOptions,
  type ChangeLogReplaceReason,
} from '../../src/index.js';
import { MODES } from '../dir/harness.js';
import { caught } from '../support/tmp.js';
import { HEADER_BYTES, expectRecords, generationOnDisk, useLogs } from './harness.js';

const { fixture, track } = useLogs();

const MiB = 1024 * 1024;

describe('openChangeLog arguments', () => {
  it('a name that is not one component is EBADNAME, naming the change log', async () => {
    const { base, dir } = await fixture();
    for (const name of ['.', '..', 'a/b', '../log', '/abs']) {
      const error = await caught(openChangeLog(dir, name));
      expect(error, name).toBeInstanceOf(HardfsError);
      expect(error.code, name).toBe('EBADNAME');
      expect(error.path, name).toBe(name);
      expect(error.message, name).toContain('change log name');
    }
    // The empty name has no path to name.
    const empty = await caught(openChangeLog(dir, ''));
    expect(empty).toBeInstanceOf(HardfsError);
    expect(empty.code).toBe('EBADNAME');
    expect(empty.message).toContain('change log name');
    expect(readdirSync(base)).toEqual([]);
  });

  it('bad options are TypeErrors naming the option, before anything is created; the smallest sizes are accepted', async () => {
    const { base, dir } = await fixture();
    const bad: Array<Record<string, unknown>> = [
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
      expect(error.message, JSON.stringify(options)).toContain(`${Object.keys(options)[0]!} must be`);
    }
    expect(readdirSync(base)).toEqual([]);
    // The smallest accepted sizes.
    const log = track(await openChangeLog(dir, 'log', { rotateBytes: HEADER_BYTES, maxReadBytes: HEADER_BYTES }));
    await log.append('x');
  });

  it('a mode that is not an integer up to 0o777 keeping owner read and write is a TypeError that says so', async () => {
    const { base, dir } = await fixture();
    for (const mode of [-1, -0o600, 0o1000, 0o1600, 0o4755, 1.5, Number.NaN, 0, 0o400, 0o200, 0o477]) {
      const error = await caught(openChangeLog(dir, 'log', { mode } as ChangeLogOptions));
      expect(error, String(mode)).toBeInstanceOf(TypeError);
      expect(error.message, String(mode)).toContain('up to 0o777 with owner read and write');
    }
    expect(readdirSync(base)).toEqual([]);
  });

  it('the widest mode, 0o777, is accepted and exact', async () => {
    const previous = process.umask(0o022);
    try {
      const { dir, path } = await fixture();
      const log = track(await openChangeLog(dir, 'log', { mode: 0o777 }));
      expect(statSync(path).mode & 0o7777).toBe(0o777);
      await log.rotate();
      expect(statSync(path).mode & 0o7777).toBe(0o777);
    } finally {
      process.umask(previous);
    }
  });
});

describe('the mode of the log file', () => {
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

describe('defaults of the size options', () => {
  /** Whole records that together take exactly `total` bytes in the log, newlines included. */
  function recordsFilling(total: number): string[] {
    const line = MAX_CHANGE_RECORD_BYTES + 1;
    const records = Array.from({ length: Math.floor(total / line) }, (_, i) => String(i % 10).repeat(MAX_CHANGE_RECORD_BYTES));
    const rest = total % line;
    if (rest > 0) records.push('r'.repeat(rest - 1));
    return records;
  }

  it('rotateBytes is 1 MiB: a log of exactly 1 MiB is kept, the append that passes it rotates', async () => {
    const { path, open } = await fixture();
    const log = await open();
    const generation = generationOnDisk(path);
    for (const record of recordsFilling(MiB - HEADER_BYTES)) await log.append(record);
    expect(statSync(path).size).toBe(MiB);
    expect(generationOnDisk(path)).toBe(generation);
    await log.append('x');
    expect(generationOnDisk(path)).not.toBe(generation);
    expect(statSync(path).size).toBe(HEADER_BYTES);
  });

  it('maxReadBytes is 4 MiB: that much unread is read whole (also by name), one byte more is a backlog (by name: corrupt)', async () => {
    const f = await fixture();
    const log = await f.open({ rotateBytes: 8 * MiB });
    const byName = track(openChangeLogSync(f.dir, 'log'));
    const atHeader: ChangeLogCursor = { generation: generationOnDisk(f.path), offset: HEADER_BYTES, partial: false };
    const records = recordsFilling(4 * MiB);
    for (const record of records) await log.append(record);
    expect(statSync(f.path).size).toBe(HEADER_BYTES + 4 * MiB);
    expectRecords(await log.read(atHeader), records);
    expectRecords(byName.readSync(atHeader), records);

    appendFileSync(f.path, 'x\n');
    const end = { ...atHeader, offset: statSync(f.path).size };
    expect(await log.read(atHeader)).toEqual({ reset: true, reason: 'backlog', cursor: end });
    expect(byName.readSync(atHeader)).toEqual({ reset: true, reason: 'corrupt', cursor: atHeader });
  });
});

describe('the log’s path', () => {
  it('is the directory path and the name', async () => {
    const { path, open } = await fixture();
    const log = await open();
    expect(log.path).toBe(path);
  });
});

describe('two first opens at once in one process (each resolution)', () => {
  // Both create the missing log; the later creation replaces the earlier by rename, so one
  // opener may hold a file with no link left, or have its root refuse it: a concurrent creation,
  // never reported as a hard link or a file that had to be replaced.
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
