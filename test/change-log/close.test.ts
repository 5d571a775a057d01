// ChangeLog#close: what a closed log refuses, the descriptors it lets go of (counted in
// /proc/self/fd on Linux), and an append that a close overtakes.
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HardfsError } from '../../src/index.js';
import { caught } from '../support/tmp.js';
import { descriptorsInto, recordsOnDisk, settledDescriptorsInto, useLogs } from './harness.js';

const { fixture } = useLogs();

describe('close', () => {
  it('append, read and rotate reject with ECLOSED (the log’s path) afterwards; closing twice is fine', async () => {
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
      expect(error.path).toBe(path);
      expect(error.message).toContain('closed');
    }
    expect(statSync(path).size).toBe(size);
    expect(recordsOnDisk(path)).toEqual(['before close']);
  });

  it.skipIf(process.platform !== 'linux')('closes its descriptor (counted in /proc/self/fd)', async () => {
    const { base, path, open } = await fixture();
    expect(descriptorsInto(base)).toEqual([]);
    const log = await open();
    await log.append('a');
    expect(descriptorsInto(base)).toEqual([path]);
    await log.close();
    // close() starts the descriptor's close without waiting for it: give it a few turns.
    expect(await settledDescriptorsInto(base, 0)).toEqual([]);

    // A log whose generation was rotated away drops the old descriptor too, not only the last one.
    const rotated = await open();
    const other = await open();
    await other.rotate();
    await rotated.append('re-appended');
    await rotated.close();
    await other.close();
    expect(await settledDescriptorsInto(base, 0)).toEqual([]);
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
