// The test-only fault seam: the steps an atomic write announces (in order, against a real
// directory), a write with no hook installed, and the rename retry switch (on only on Windows
// unless a test turns it on), including its value when the module loads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDir } from '../../src/index.js';
import * as seam from '../../src/sys/fault-seam.js';
import { onPlatform } from '../dir/harness.js';
import { importFresh } from '../support/platform.js';
import { useTempDirs } from '../support/tmp.js';

const MODULE = new URL('../../src/sys/fault-seam.ts', import.meta.url);
const STEPS = ['open', 'chmod', 'write', 'fsync', 'close', 'rename', 'fsyncDir'];

afterEach(() => {
  seam.setFaultHook(undefined);
  seam.setRenameRetrySeam(undefined);
});

describe('atomic write steps', () => {
  const tempDir = useTempDirs();

  it('names every step, in order, and a write without faults passes through all of them', async () => {
    // A copy evaluated by this test (see importFresh): the list is built when the module loads.
    const fresh = await importFresh<typeof seam>(MODULE);
    expect([...fresh.ATOMIC_WRITE_STEPS]).toEqual(STEPS);
    expect([...seam.ATOMIC_WRITE_STEPS]).toEqual(STEPS);
    const dir = await openDir(await tempDir());
    const seen: seam.AtomicWriteStep[] = [];
    seam.setFaultHook((step) => seen.push(step));
    await dir.writeFileAtomic('a', 'x');
    expect(seen).toEqual(STEPS);
    seen.length = 0;
    await dir.writeFileAtomic('a', 'x', { fsync: false });
    expect(seen).toEqual(['open', 'chmod', 'write', 'close', 'rename']);
    seen.length = 0;
    await dir.writeFileAtomic('a', 'x', { syncDirectory: false });
    expect(seen).toEqual(['open', 'chmod', 'write', 'fsync', 'close', 'rename']);
    seen.length = 0;
    await dir.writeFileAtomic('a', 'x', { fsync: false, syncDirectory: true });
    expect(seen).toEqual(['open', 'chmod', 'write', 'close', 'rename', 'fsyncDir']);
    await dir.close();
  });

  it('with the hook removed, a fault point does nothing and writes go through', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    let calls = 0;
    seam.setFaultHook(() => {
      calls += 1;
    });
    seam.faultPoint('open');
    expect(calls).toBe(1);
    seam.setFaultHook(undefined);
    for (const step of STEPS) seam.faultPoint(step as seam.AtomicWriteStep);
    await dir.writeFile('f', 'after');
    dir.writeFileSync('g', 'sync after');
    expect(calls).toBe(1);
    expect([readFileSync(join(base, 'f'), 'utf8'), readFileSync(join(base, 'g'), 'utf8')]).toEqual(['after', 'sync after']);
    await dir.close();
  });
});

describe('the rename retry switch', () => {
  it('is off when the module loads anywhere but Windows, on when it loads on Windows', async () => {
    const posix = await importFresh<typeof seam>(MODULE, 'linux');
    expect(posix.renameRetrySeam).toEqual({ enabled: false });
    const windows = await importFresh<typeof seam>(MODULE, 'win32');
    expect(windows.renameRetrySeam).toEqual({ enabled: true });
  });

  it('setRenameRetrySeam sets what it is given and resets the rest to the platform default', () => {
    const sleep = (): Promise<void> => Promise.resolve();
    const sleepSync = (): void => undefined;
    const random = (): number => 0.5;
    seam.setRenameRetrySeam({ enabled: true, sleep, sleepSync, random });
    expect(seam.renameRetrySeam).toEqual({ enabled: true, sleep, sleepSync, random });
    seam.setRenameRetrySeam({ random });
    expect(seam.renameRetrySeam).toEqual({ enabled: false, sleep: undefined, sleepSync: undefined, random });
    seam.setRenameRetrySeam(undefined);
    expect(seam.renameRetrySeam.enabled).toBe(false);
    onPlatform('win32', () => {
      seam.setRenameRetrySeam(undefined);
    });
    expect(seam.renameRetrySeam.enabled).toBe(true);
    onPlatform('darwin', () => {
      seam.setRenameRetrySeam({});
    });
    expect(seam.renameRetrySeam.enabled).toBe(false);
  });
});
