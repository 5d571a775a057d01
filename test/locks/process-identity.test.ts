import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  currentProcessIdentity,
  parseProcStat,
  processLiveness,
} from '../../src/locks/process-identity.js';
import { fcParams } from '../support/fc.js';
import { sleep } from './support.js';

const linux = process.platform === 'linux';

describe('parseProcStat', () => {
  it('finds state and field 22 whatever the command name contains', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 16 }),
        fc.constantFrom('R', 'S', 'Z', 'D'),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (comm, state, start) => {
          // fields 4..21 (18 of them), then 22 = starttime, then some more
          const middle = Array.from({ length: 18 }, (_, i) => String(i + 100)).join(' ');
          const text = `4242 (${comm}) ${state} ${middle} ${start} 999 888\n`;
          expect(parseProcStat(text)).toEqual({ state, start: String(start) });
        },
      ),
      fcParams(),
    );
  });

  it('rejects text that is not a stat line', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('1 (x) S 2 3')).toBeUndefined();
  });
});

describe('process identity and liveness', () => {
  it('describes this process with pid, host name and (on Linux) its start time', async () => {
    const identity = await currentProcessIdentity();
    expect(identity.pid).toBe(process.pid);
    expect(identity.host).toBe(hostname());
    if (linux) {
      const stat = readFileSync('/proc/self/stat', 'utf8');
      expect(identity.start).toBe(stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/)[19]);
    }
  });

  it('says alive for this process, dead for an exited one and for invalid pids', async () => {
    const identity = await currentProcessIdentity();
    expect(await processLiveness(process.pid, identity.start)).toBe('alive');
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((resolve) => child.on('exit', resolve));
    await sleep(50); // let libuv reap it
    expect(await processLiveness(pid, undefined)).toBe('dead');
    expect(await processLiveness(0, undefined)).toBe('dead');
    expect(await processLiveness(-1, undefined)).toBe('dead');
  });

  it.runIf(linux)('says recycled when the pid lives but started at another time', async () => {
    const identity = await currentProcessIdentity();
    expect(await processLiveness(process.pid, `${identity.start}1`)).toBe('recycled');
  });

  it.runIf(linux)('says dead for a zombie (killed, never reaped by its parent)', async () => {
    // `sleep 0` is backgrounded by sh, which then execs `sleep 30`: the new program never waits
    // for children, so the exited `sleep 0` stays a zombie that still answers kill(pid, 0).
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(
        await new Promise<string>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))),
      );
      let state = '';
      for (let i = 0; i < 200 && state !== 'Z'; i += 1) {
        await sleep(10);
        state = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state ?? '';
      }
      expect(state).toBe('Z');
      expect(() => process.kill(pid, 0)).not.toThrow(); // the kernel still lists it
      expect(await processLiveness(pid, undefined)).toBe('dead');
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
