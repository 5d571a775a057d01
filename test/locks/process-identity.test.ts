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

function procStatStartOfSelf(): string | undefined {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/)[19];
}

// Must run before anything else in this file asks for the identity: it is computed once.
describe('currentProcessIdentity (first use in this module)', () => {
  it('records pid, host name and, on Linux, the start time read from /proc', async () => {
    const identity = await currentProcessIdentity();
    expect(identity).toEqual(
      linux ? { pid: process.pid, host: hostname(), start: procStatStartOfSelf() } : { pid: process.pid, host: hostname() },
    );
    if (linux) expect(identity.start).toMatch(/^\d+$/);
  });
});

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
  it('says alive for this process, dead for an exited one, unknown for pids it cannot ask about', async () => {
    const identity = await currentProcessIdentity();
    expect(await processLiveness(process.pid, identity.start)).toBe('alive');
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((resolve) => child.on('exit', resolve));
    await sleep(50); // let libuv reap it
    expect(await processLiveness(pid, undefined)).toBe('dead');
    // 0 and negative pids address process groups: not asked about, judged by age instead.
    expect(await processLiveness(0, undefined)).toBe('unknown');
    expect(await processLiveness(-1, undefined)).toBe('unknown');
  });

  it.runIf(linux)('says recycled when the pid lives but started at another time', async () => {
    const identity = await currentProcessIdentity();
    expect(await processLiveness(process.pid, `${identity.start}1`)).toBe('recycled');
  });

  it.runIf(linux)('says dead for a zombie (killed, never reaped by its parent)', async () => {
    // `sleep 1` is backgrounded by sh, which then execs `sleep 30`: the new program never waits
    // for children, so the exited `sleep 1` stays a zombie that still answers kill(pid, 0). (A
    // child quicker than the exec could be reaped by sh itself on a loaded machine.)
    const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(
        await new Promise<string>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))),
      );
      let state = '';
      for (let i = 0; i < 1_000 && state !== 'Z'; i += 1) {
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

describe('parseProcStat: field counting and validation', () => {
  // fields 4..21 (18 of them) between state (3) and starttime (22)
  const middle = Array.from({ length: 18 }, (_, i) => String(i + 100));

  it('refuses text without a closing parenthesis even if it has enough numeric fields', () => {
    expect(parseProcStat(`4242 S ${middle.join(' ')} 777 1 2`)).toBeUndefined();
    expect(parseProcStat(`S ${middle.join(' ')} 777 1 2`)).toBeUndefined();
  });

  it('parses a line whose only parenthesis is its first character', () => {
    expect(parseProcStat(`) S ${middle.join(' ')} 777 1 2`)).toEqual({ state: 'S', start: '777' });
  });

  it('treats runs of whitespace as one separator', () => {
    expect(parseProcStat(`1 (a  b)  R   ${middle.join('  ')} \t 31337  5 6\n`)).toEqual({ state: 'R', start: '31337' });
  });

  it('refuses a start field that is not all digits', () => {
    for (const bad of ['12x', 'x12', '1-2']) {
      expect(parseProcStat(`1 (c) S ${middle.join(' ')} ${bad} 9 9`)).toBeUndefined();
    }
  });
});

describe('processLiveness: inputs that need no kernel answer, and a missing start stamp', () => {
  it('says alive for a live pid when no start time was recorded', async () => {
    expect(await processLiveness(process.pid, undefined)).toBe('alive');
  });

  it('says unknown for pids that are not positive integers in the platform range, without asking the kernel', async () => {
    // process.kill(1.5, 0) or (2 ** 31, 0) would throw a TypeError (ERR_INVALID_ARG_TYPE), not a liveness answer.
    expect(await processLiveness(1.5, undefined)).toBe('unknown');
    expect(await processLiveness(Number.NaN, undefined)).toBe('unknown');
    expect(await processLiveness(2 ** 53, undefined)).toBe('unknown');
  });
});
