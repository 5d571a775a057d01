// Locks this process holds: tracked while held, removed by the 'exit' handler if the program
// ends holding them (child processes exercise the real exit in file-lock.processes.test.ts).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isHardfsError, type HardfsError } from '../../src/errors.js';
import { heldLockCount } from '../../src/locks/held-locks.js';
import { acquireFileLock } from '../../src/locks/index.js';
import { caught } from '../support/tmp.js';
import { makeTempDir, type TempDir } from './support.js';

let temp: TempDir;
beforeEach(async () => {
  temp = await makeTempDir();
});
afterEach(async () => {
  await temp.cleanup();
});

function exitHandlers(): Array<(...args: unknown[]) => unknown> {
  return process.listeners('exit').filter((listener) => listener.name === 'releaseAllHeldSync') as Array<(...args: unknown[]) => unknown>;
}

describe('held locks: the exit handler', () => {
  it('is installed once, on the first lock, however many locks are taken', async () => {
    const first = await acquireFileLock(temp.dir, 'one.lock');
    const second = await acquireFileLock(temp.dir, 'two.lock');
    expect(exitHandlers()).toHaveLength(1);
    await first.release();
    await second.release();
    expect(exitHandlers()).toHaveLength(1);
  });

  it('removes the files of the locks still held, and their release then reports them lost', async () => {
    const before = heldLockCount();
    const lock = await acquireFileLock(temp.dir, 'held.lock');
    expect(heldLockCount()).toBe(before + 1);
    const [handler] = exitHandlers();
    handler!(0);
    await expect(stat(join(temp.path, 'held.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(heldLockCount()).toBe(0);
    const error = (await caught(lock.release())) as HardfsError;
    expect(isHardfsError(error, 'ELOCKLOST')).toBe(true);
    expect(error.message).toContain('the lock file was removed while held');
    expect(error.path).toBe(join(temp.path, 'held.lock'));
  });
});
