import { existsSync, readFileSync } from 'node:fs';
import { lstat, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireFileLockWithSeams } from '../../src/locks/file-lock.js';
import { parseOwnerRecord } from '../../src/locks/owner-record.js';
import { Child, makeTempDir, type TempDir } from './support.js';

// Real processes against the BUILT package (dist/index.js): run `npx tsup` (or `npm test`) first.

let temp: TempDir;
const children: Child[] = [];
beforeEach(async () => {
  temp = await makeTempDir();
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill();
    await child.exited;
  }
  await temp.cleanup();
});

function start(fixture: string, args: string[]): Child {
  const child = new Child(fixture, args);
  children.push(child);
  return child;
}

function holder(config: Record<string, unknown>): Child {
  return start('lock-holder.mjs', [JSON.stringify({ dir: temp.path, name: 'a.lock', ...config })]);
}

/** The enter/exit log must read enter A, exit A, enter B, exit B, …: never two holders at once. */
function assertNoOverlap(log: string, expectedSections: number): number[] {
  const lines = log.trim().split('\n');
  expect(lines).toHaveLength(expectedSections * 2);
  const pids: number[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const enter = /^enter (\d+)$/.exec(lines[i]!);
    const exit = /^exit (\d+)$/.exec(lines[i + 1]!);
    expect(enter, `line ${i}: ${lines[i]}`).not.toBeNull();
    expect(exit, `line ${i + 1}: ${lines[i + 1]}`).not.toBeNull();
    expect(exit![1]).toBe(enter![1]);
    pids.push(Number(enter![1]));
  }
  return pids;
}

describe('file lock across processes', () => {
  it('4 processes x 200 read-increment-write cycles end at exactly 800', async () => {
    await writeFile(join(temp.path, 'counter'), '0', { mode: 0o600 });
    const workers = Array.from({ length: 4 }, () => start('counter-worker.mjs', [temp.path, 'counter.lock', '200']));
    const statuses = await Promise.all(workers.map((worker) => worker.exited));
    for (const [i, status] of statuses.entries()) {
      expect(status, `worker ${i} stderr: ${workers[i]!.stderr}`).toEqual({ code: 0, signal: null });
    }
    expect(await readFile(join(temp.path, 'counter'), 'utf8')).toBe('800');
    expect((await readdir(temp.path)).sort()).toEqual(['counter']);
  });

  it('after a holder is SIGKILLed mid-section, racers take over by pid check long before timeoutMs, one at a time', async () => {
    const log = join(temp.path, 'log');
    const victim = holder({ holdMs: -1, staleMs: 600_000, timeoutMs: 20_000, log });
    await victim.waitForLine('acquired');
    victim.kill('SIGKILL');
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // The lock file survives the kill (no exit handler runs on SIGKILL): only the pid check can free it.
    const left = parseOwnerRecord(await readFile(join(temp.path, 'a.lock')));
    expect(left?.pid).toBe(victim.pid);

    const racers = Array.from({ length: 4 }, () => holder({ holdMs: 40, staleMs: 600_000, timeoutMs: 20_000, log }));
    const statuses = await Promise.all(racers.map((racer) => racer.exited));
    for (const [i, status] of statuses.entries()) {
      expect(status.code, `racer ${i}: ${racers[i]!.lines.join(' | ')} ${racers[i]!.stderr}`).toBe(0);
    }
    const waits = racers.map((racer) => Number(racer.lines.find((line) => line.startsWith('acquired '))!.split(' ')[1]));
    expect(Math.min(...waits)).toBeLessThan(10_000);
    expect(Math.max(...waits)).toBeLessThan(20_000);
    // The victim entered and never exited; after it, each racer entered and exited alone.
    const lines = readFileSync(log, 'utf8');
    expect(lines.startsWith(`enter ${victim.pid}\n`)).toBe(true);
    const pids = assertNoOverlap(lines.slice(`enter ${victim.pid}\n`.length), 4);
    expect(new Set(pids)).toEqual(new Set(racers.map((racer) => racer.pid)));
    expect(await readdir(temp.path)).toEqual(['log']);
  });

  it('holders SIGKILLed at random moments while others race: takeovers never let two in at once', { timeout: 180_000 }, async () => {
    const log = join(temp.path, 'log');
    await writeFile(log, '');
    const spawnWorker = (freezeAt?: number): Child =>
      start('chaos-worker.mjs', [temp.path, '60', log, ...(freezeAt === undefined ? [] : [String(freezeAt)])]);
    const workers = Array.from({ length: 4 }, () => spawnWorker());
    const killed = new Set<number>();
    const killedHolding = new Set<number>();
    for (let round = 0; round < 8; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 40 + Math.random() * 60));
      let victim: Child | undefined;
      if (round % 2 === 1) {
        // Odd rounds: a worker that freezes inside its k-th section says so on stdout and is
        // SIGKILLed on that line, so the kill lands while it holds the lock, however loaded the
        // machine is: a takeover of a dead holder is then certain to be needed.
        victim = spawnWorker(Math.floor(Math.random() * 5));
        workers.push(victim);
        await victim.waitForLine('holding', 60_000);
        killedHolding.add(victim.pid);
      } else {
        // Even rounds: a random worker at a random moment (inside, waiting, or mid-takeover).
        const alive = workers.filter((worker) => worker.process.exitCode === null && !killed.has(worker.pid));
        victim = alive[Math.floor(Math.random() * alive.length)];
      }
      if (victim === undefined) continue;
      victim.kill('SIGKILL');
      killed.add(victim.pid);
      expect((await victim.exited).signal).toBe('SIGKILL');
      // A fresh racer after every kill: a dead holder is always followed by someone who must take over.
      workers.push(spawnWorker());
    }
    for (const worker of workers.filter((candidate) => !killed.has(candidate.pid))) {
      const status = await worker.exited;
      expect(status.code, `worker ${worker.pid}: ${worker.lines.join(' | ')} ${worker.stderr}`).toBe(0);
    }
    // Replay the log: an "enter" is only allowed when nobody is inside, or when the one inside
    // was SIGKILLed (it will never write its "exit").
    let inside: number | undefined;
    let sections = 0;
    const takenOver = new Set<number>();
    for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
      const [kind, pidText] = line.split(' ');
      const pid = Number(pidText);
      if (kind === 'enter') {
        expect(inside === undefined || killed.has(inside), `${line} while ${inside} is inside`).toBe(true);
        if (inside !== undefined) takenOver.add(inside);
        inside = pid;
        sections += 1;
      } else {
        expect(kind).toBe('exit');
        expect(inside, line).toBe(pid);
        inside = undefined;
      }
    }
    expect(inside, 'the log ends with a holder inside').toBeUndefined();
    expect(sections).toBeGreaterThanOrEqual(4 * 60);
    // Every holder killed inside its section was taken over (4 such kills, by construction).
    expect(killedHolding.size).toBe(4);
    for (const pid of killedHolding) expect(takenOver.has(pid), `holder ${pid} killed while holding was never taken over`).toBe(true);
    // Only debris a SIGKILL during a takeover could leave (an aside copy of a dead lock) may remain.
    const rest = (await readdir(temp.path)).filter((name) => name !== 'log' && !name.startsWith('.hardfs-aside-'));
    expect(rest).toEqual([]);
  });

  // staleMs is 1 s, not less: a loaded CI machine can stall a process for a few hundred ms, and
  // a stall longer than staleMs is indistinguishable from a dead heartbeat (that is the point).
  it('a live holder on another host with a section 3x longer than staleMs is not stolen from, thanks to its heartbeat', async () => {
    const log = join(temp.path, 'log');
    const live = holder({ holdMs: 3_000, staleMs: 1_000, timeoutMs: 20_000, log });
    await live.waitForLine('acquired');
    // Posing as another host, this process cannot use the holder's pid: only the heartbeat (mtime) counts.
    const lock = await acquireFileLockWithSeams(temp.dir, 'a.lock', { staleMs: 1_000, timeoutMs: 20_000 }, { host: 'elsewhere.invalid' });
    const logWhenAcquired = readFileSync(log, 'utf8');
    await lock.release();
    expect(logWhenAcquired).toBe(`enter ${live.pid}\nexit ${live.pid}\n`);
    expect(await live.exited).toEqual({ code: 0, signal: null });
    expect(live.lines).toContain('released'); // its release found its own record: it was never taken over
  });

  it('the same holder without a heartbeat (a record whose mtime stops) is taken over by age', async () => {
    // Control for the test above: a holder that is alive (stopped, not dead)
    // but whose heartbeat stopped is judged abandoned once staleMs passes, on the age path.
    const victim = holder({ holdMs: -1, staleMs: 300, timeoutMs: 20_000 });
    await victim.waitForLine('acquired');
    victim.kill('SIGSTOP'); // alive, frozen: no more heartbeats
    try {
      const lock = await acquireFileLockWithSeams(temp.dir, 'a.lock', { staleMs: 300, timeoutMs: 20_000 }, { host: 'elsewhere.invalid' });
      expect(parseOwnerRecord(await readFile(join(temp.path, 'a.lock')))?.token).toBe(lock.token);
      await lock.release();
    } finally {
      victim.kill('SIGKILL');
    }
  });

  it('locks still held at a normal exit are removed by the exit handler (and the heartbeat does not keep the process alive)', async () => {
    for (const how of ['drain', 'exit']) {
      const child = start('exit-holder.mjs', [temp.path, `${how}.lock`, how]);
      const status = await child.exited;
      expect(status, child.stderr).toEqual({ code: 0, signal: null });
      expect(child.lines).toContain('acquired');
      expect(existsSync(join(temp.path, `${how}.lock`))).toBe(false);
    }
    expect(await readdir(temp.path)).toEqual([]);
  });

  it('the lock file is 0o600 even under umask 0', async () => {
    const child = holder({ holdMs: -1, umask: 0 });
    await child.waitForLine('acquired');
    const stats = await lstat(join(temp.path, 'a.lock'));
    expect(stats.mode & 0o7777).toBe(0o600);
    expect(parseOwnerRecord(await readFile(join(temp.path, 'a.lock')))?.pid).toBe(child.pid);
  });
});
