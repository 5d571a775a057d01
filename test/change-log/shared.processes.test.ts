// The change log shared by real processes: children append through the BUILT package
// (dist/index.js, see fixtures/change-log-appender.mjs) while this process reads through src,
// and two children open a missing log at once (in one process: open.test.ts).
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openChangeLog, type ChangeLog, type ChangeLogCursor, type ChangeLogReplaceReason } from '../../src/index.js';
import { Child, makeTempDir, sleep, type TempDir } from '../locks/support.js';
import { HEADER_PATTERN } from './harness.js';

const RECORD = /^p(\d+)-(\d+)$/;

let temp: TempDir;
const children: Child[] = [];
const logs: ChangeLog[] = [];
beforeEach(async () => {
  temp = await makeTempDir('hardfs-change-log-');
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill();
    await child.exited;
  }
  for (const log of logs.splice(0)) await log.close();
  await temp.cleanup();
});

interface AppenderConfig {
  count: number;
  rotateBytes?: number;
  pauseEvery?: number;
}

function appender(config: AppenderConfig): Child {
  // Child resolves fixtures next to test/locks/support.ts: step over to this suite's fixtures.
  const child = new Child('../../change-log/fixtures/change-log-appender.mjs', [
    JSON.stringify({ dir: temp.path, name: 'log', go: join(temp.path, 'go'), ...config }),
  ]);
  children.push(child);
  return child;
}

async function openLog(onReplace?: (reason: ChangeLogReplaceReason) => void): Promise<ChangeLog> {
  const log = await openChangeLog(temp.dir, 'log', onReplace === undefined ? {} : { onReplace });
  logs.push(log);
  return log;
}

/** Starts the children together: each waits for the `go` file once it printed "ready". */
async function startTogether(started: Child[]): Promise<void> {
  await Promise.all(started.map((child) => child.waitForLine('ready')));
  writeFileSync(join(temp.path, 'go'), '');
}

function parse(record: string): { pid: number; i: number } {
  const match = RECORD.exec(record);
  expect(match, `torn or foreign record ${JSON.stringify(record)}`).not.toBeNull();
  return { pid: Number(match![1]), i: Number(match![2]) };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Follows the log until every child has exited, checking each batch: records well formed, from
 * these children, and each child's consecutive since the last reset.
 */
async function follow(
  log: ChangeLog,
  started: Child[],
  cursor: ChangeLogCursor,
): Promise<{ cursor: ChangeLogCursor; resets: string[]; batches: number; sinceReset: string[]; total: number }> {
  const pids = new Set(started.map((child) => child.pid));
  let running = true;
  const all = Promise.all(started.map((child) => child.exited)).then(() => {
    running = false;
  });
  const resets: string[] = [];
  let sinceReset: string[] = [];
  let lastOf = new Map<number, number>();
  let batches = 0;
  let total = 0;
  const take = (records: string[]): void => {
    for (const record of records) {
      const { pid, i } = parse(record);
      expect(pids.has(pid), record).toBe(true);
      // Each child's appends are sequential and a generation is current for one stretch of
      // time, so a child's records in one generation are consecutive (none lost, none twice).
      const last = lastOf.get(pid);
      if (last !== undefined) expect(i, `${record} after p${pid}-${last} in the same generation`).toBe(last + 1);
      lastOf.set(pid, i);
    }
    sinceReset.push(...records);
    total += records.length;
  };
  let final = false;
  for (;;) {
    const last = !running; // one more read after every child has exited
    const result = await log.read(cursor);
    if (result.reset) {
      resets.push(result.reason);
      sinceReset = [];
      lastOf = new Map();
    } else {
      if (result.records.length > 0) batches += 1;
      take(result.records);
    }
    cursor = result.cursor;
    if (final) break;
    final = last;
    await nextTurn();
  }
  await all;
  return { cursor, resets, batches, sinceReset, total };
}

function expectAllDone(started: Child[], statuses: Array<{ code: number | null; signal: string | null }>): void {
  for (const [i, status] of statuses.entries()) {
    const child = started[i]!;
    expect(status, `child ${child.pid}: ${child.lines.join(' | ')} ${child.stderr}`).toEqual({ code: 0, signal: null });
    expect(child.lines.at(-1)).toBe('done');
  }
}

describe('change log across processes', () => {
  it('4 processes x 500 appends, no rotation: the reader gets all 2,000 records whole, once, each child in order', async () => {
    const log = await openLog();
    const start = await log.read();
    expect(start.reset).toBe(true);
    const started = Array.from({ length: 4 }, () => appender({ count: 500, pauseEvery: 25 }));
    await startTogether(started);
    const seen = await follow(log, started, start.cursor);
    expectAllDone(started, await Promise.all(started.map((child) => child.exited)));

    expect(seen.resets).toEqual([]);
    expect(seen.batches).toBeGreaterThan(1); // it really read while they were appending
    expect(seen.sinceReset).toHaveLength(2000);
    expect(new Set(seen.sinceReset).size).toBe(2000);
    for (const child of started) {
      const own = seen.sinceReset.filter((record) => record.startsWith(`p${child.pid}-`));
      expect(own).toEqual(Array.from({ length: 500 }, (_, i) => `p${child.pid}-${i}`));
    }
    // And the file says the same.
    const text = readFileSync(join(temp.path, 'log'), 'utf8');
    expect(text.replace(HEADER_PATTERN, '').split('\n').slice(0, -1)).toEqual(seen.sinceReset);
  });

  it('4 processes x 500 appends rotating every ~2 KiB: never torn, each child’s records consecutive in a generation, no corrupt reset', async () => {
    const log = await openLog();
    const start = await log.read();
    const started = Array.from({ length: 4 }, () => appender({ count: 500, rotateBytes: 2048, pauseEvery: 25 }));
    await startTogether(started);
    const seen = await follow(log, started, start.cursor);
    expectAllDone(started, await Promise.all(started.map((child) => child.exited)));

    // 2,000 records of ~12 bytes in files of ~2 KiB: a dozen rotations or more, of which the
    // reader sees at least one (several that happen between two of its reads make one reset).
    expect(seen.resets.length).toBeGreaterThan(0);
    expect(seen.resets.filter((reason) => reason === 'corrupt' || reason === 'backlog')).toEqual([]);
    expect(seen.total).toBeGreaterThan(0);
    expect(new Set(seen.sinceReset).size).toBe(seen.sinceReset.length);

    // The last generation on disk: a valid header, whole records, none twice, each child in order.
    const text = readFileSync(join(temp.path, 'log'), 'utf8');
    expect(text).toMatch(HEADER_PATTERN);
    // Whoever wrote last into the final file saw its size after that write: it is not over.
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2048);
    const lines = text.replace(HEADER_PATTERN, '').split('\n');
    expect(lines.pop()).toBe('');
    expect(new Set(lines).size).toBe(lines.length);
    const lastOf = new Map<number, number>();
    for (const line of lines) {
      const { pid, i } = parse(line);
      const last = lastOf.get(pid);
      if (last !== undefined) expect(i, line).toBe(last + 1);
      lastOf.set(pid, i);
    }
    // The reader that kept up holds exactly the last generation's records since its reset.
    expect(lines.slice(lines.length - seen.sinceReset.length)).toEqual(seen.sinceReset);
    // Rotations leave no temp files behind.
    expect(readdirSync(temp.path).sort()).toEqual(['go', 'log']);
  });

  it('4 processes x 300 appends rotating after every record or two: rotations settle, every append succeeds', async () => {
    // Every append crosses rotateBytes: without the identity check before rotating and the
    // backoff between re-appends, the appenders replaced each other's fresh files until one
    // gave up with ELOCKED.
    const log = await openLog();
    const start = await log.read();
    const started = Array.from({ length: 4 }, () => appender({ count: 300, rotateBytes: 100 }));
    await startTogether(started);
    const seen = await follow(log, started, start.cursor);
    expectAllDone(started, await Promise.all(started.map((child) => child.exited)));
    expect(seen.resets.length).toBeGreaterThan(0);
    const text = readFileSync(join(temp.path, 'log'), 'utf8');
    expect(text).toMatch(HEADER_PATTERN);
    expect(readdirSync(temp.path).sort()).toEqual(['go', 'log']);
  });

  it('children SIGKILLed while appending in a loop leave a log that opens, reads and takes appends', async () => {
    const reader = await openLog();
    const start = await reader.read();
    // A few rotations in the time they run, so that a kill may land in the middle of one.
    const started = Array.from({ length: 3 }, () => appender({ count: -1, rotateBytes: 32 * 1024 }));
    await startTogether(started);
    await Promise.all(started.map((child) => child.waitForLine('started')));
    const killer = (async () => {
      for (const child of started) {
        await sleep(20 + Math.random() * 80);
        child.kill('SIGKILL');
      }
    })();
    const seen = await follow(reader, started, start.cursor);
    await killer;
    for (const child of started) expect((await child.exited).signal).toBe('SIGKILL');
    expect(seen.resets.filter((reason) => reason === 'corrupt')).toEqual([]);

    // What is left on disk: a valid header, whole records, at most a partial last line.
    const text = readFileSync(join(temp.path, 'log'), 'utf8');
    expect(text).toMatch(HEADER_PATTERN);
    const lines = text.replace(HEADER_PATTERN, '').split('\n');
    const tail = lines.pop()!;
    for (const line of lines) parse(line);
    expect(tail.length === 0 || /^p\d*-?\d*$/.test(tail), JSON.stringify(tail)).toBe(true);
    // A rotation cut short can leave its temp file, nothing else.
    expect(readdirSync(temp.path).filter((name) => !/^\.hardfs-[0-9a-f]{32}\.tmp$/.test(name)).sort()).toEqual(['go', 'log']);

    // A fresh instance opens it as it is (not corrupt), and a reader goes on from a reset.
    const reasons: ChangeLogReplaceReason[] = [];
    const fresh = await openLog((reason) => reasons.push(reason));
    const reset = await fresh.read();
    expect(reset.reset).toBe(true);
    expect(reset.cursor.partial).toBe(tail.length > 0);
    expect(reasons).toEqual([]);
    await fresh.append('after the kill');
    const after = await fresh.read(reset.cursor);
    const old = await reader.read(seen.cursor);
    if (tail.length === 0) {
      expect(after).toMatchObject({ reset: false, records: ['after the kill'] });
      expect(old).toMatchObject({ reset: false, records: ['after the kill'] });
    } else {
      // A write cut short by the kill (never seen in practice for records this small): the next
      // record is glued to it. The partial cursor skips that line, the other reader gets it whole.
      expect(after).toMatchObject({ reset: false, records: [] });
      expect(old).toMatchObject({ reset: false, records: [`${tail}after the kill`] });
    }
  });
});

describe('two processes opening a missing log at once', () => {
  // Both find no log and create one; the second creation replaces the first by rename. An opener
  // holding the first file then sees it with no link left (or its root refuses it): that is a
  // concurrent creation, not a planted hard link or a file to replace, and is never reported.
  it('200 rounds of a concurrent first open: no replacement is ever reported, each opener appends, a log stays at the name', async () => {
    const rounds = 200;
    const go = join(temp.path, 'go');
    const pair = [0, 1].map(() => {
      const child = new Child('../../change-log/fixtures/change-log-first-open.mjs', [JSON.stringify({ dir: temp.path, name: 'log', go, rounds })]);
      children.push(child);
      return child;
    });
    await Promise.all(pair.map((child) => child.waitForLine('ready')));
    const reported: string[] = [];
    for (let round = 0; round < rounds; round += 1) {
      rmSync(join(temp.path, 'log'), { force: true });
      writeFileSync(`${go}-${round}`, '');
      const lines = await Promise.all(pair.map((child) => child.waitForLine(`round ${round} `)));
      for (const line of lines) if (!line.endsWith(' -')) reported.push(line);
      // What is at the name is a log (a record appended before the second creation may be in the
      // replaced file: readers of the new generation start with a reset, by design).
      expect(readFileSync(join(temp.path, 'log'), 'utf8')).toMatch(HEADER_PATTERN);
    }
    for (const child of pair) expect(child.lines.filter((line) => line.startsWith('error'))).toEqual([]);
    expect(reported).toEqual([]);
  }, 120_000);
});
