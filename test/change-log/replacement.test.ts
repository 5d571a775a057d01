// When the log at the name is replaced and when it is not: damage found by a reader that holds
// the log open, and errors that are not about what is at the name.
import { readdirSync, truncateSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openChangeLogSync } from '../../src/change-log/index.js';
import { HardfsError, type ChangeLogReplaceReason } from '../../src/index.js';
import { caught } from '../support/tmp.js';
import { HEADER_BYTES, expectRecords, expectReset, generationOnDisk, useLogs } from './harness.js';

const { fixture, track } = useLogs();

describe('damage to a log an instance holds open', () => {
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
