// io: 'hybrid' answers small operations inline, 'async' puts every one on the thread pool;
// HARDFS_RESOLUTION forces the resolution mode.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, type SafeDir } from '../../../src/index.js';
import { nextTurn, PoolGates, threadPoolSize } from '../../support/pool-gates.js';
import { useTempDirs } from '../../support/tmp.js';

const tempDir = useTempDirs();

/** True if `promise` settles before the event loop's next check phase (no thread-pool round trip). */
async function settlesWithinATurn(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await nextTurn();
  return settled;
}

async function withGates<T>(run: (gates: PoolGates) => Promise<T>): Promise<T> {
  const gates = new PoolGates(await tempDir());
  try {
    return await run(gates);
  } finally {
    await gates.releaseAll();
  }
}

describe('io mode: which operations wait for the thread pool', () => {
  async function statWhilePoolIsHeld(dir: SafeDir): Promise<{ withinATurn: boolean; stats: Promise<unknown> }> {
    return withGates(async (gates) => {
      gates.add(threadPoolSize());
      const stats = dir.stat('f');
      const withinATurn = await settlesWithinATurn(stats);
      return { withinATurn, stats };
    });
  }

  it("io: 'hybrid' (the default) answers a stat inline, even while every pool thread is busy", async () => {
    const base = await tempDir();
    execFileSync('touch', [join(base, 'f')]);
    for (const options of [{ io: 'hybrid' as const }, {}]) {
      const dir = await openDir(base, { resolution: 'descriptor', ...options });
      try {
        const { withinATurn, stats } = await statWhilePoolIsHeld(dir);
        expect(withinATurn).toBe(true);
        expect(((await stats) as { isFile(): boolean }).isFile()).toBe(true);
      } finally {
        await dir.close();
      }
    }
  });

  it("io: 'async' queues the same stat on the thread pool, behind the work already there", async () => {
    const base = await tempDir();
    execFileSync('touch', [join(base, 'f')]);
    const dir = await openDir(base, { resolution: 'descriptor', io: 'async' });
    try {
      const { withinATurn, stats } = await statWhilePoolIsHeld(dir);
      expect(withinATurn).toBe(false);
      expect(((await stats) as { isFile(): boolean }).isFile()).toBe(true);
    } finally {
      await dir.close();
    }
  });
});

describe('HARDFS_RESOLUTION and io: async', () => {
  it('HARDFS_RESOLUTION=verify forces the fallback; io: async uses the thread pool for everything', async () => {
    const base = await tempDir();
    process.env['HARDFS_RESOLUTION'] = 'verify';
    try {
      const dir = await openDir(base);
      expect(dir.resolution).toBe('verify');
      await dir.close();
    } finally {
      delete process.env['HARDFS_RESOLUTION'];
    }
    const dir = await openDir(base, { io: 'async' });
    await dir.writeFileAtomic('a', 'x');
    expect((await dir.readFile('a')).toString()).toBe('x');
    expect(await dir.list()).toEqual(['a']);
    expect((await dir.stat('a')).isFile()).toBe(true);
    await dir.unlink('a');
    await dir.close();
  });
});
