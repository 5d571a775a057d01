// bench/locks: cost of the cross-process file lock.
//   1. Uncontended acquireFileLock + release in one process (and KeyedMutex.runExclusive for
//      scale), median of several rounds.
//   2. Throughput of 4 processes, each doing N lock / read-increment-write / unlock cycles on
//      its own key, against a lock-free loop of the same syscalls at 4 processes (the floor:
//      what the machine's parallelism allows for this syscall mix), with 4 processes on 1 shared
//      key as context. Children are forked from this file and start together on a signal;
//      rounds interleave the layouts (order reversed every other round) so machine noise hits
//      all alike, and the medians of the rounds are compared.
// Figure to reach: 4 processes on 4 distinct keys >= 0.8x the lock-free floor at 4 processes.
// The counters are checked after every round.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  fchmodSync,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { KeyedMutex, acquireFileLock, openDir, withFileLock } from '../dist/index.js';
import { formatNumber, median, printTable, roundsFromEnv } from './lib/stats.mjs';

const PROCESSES = 4;
const CYCLES = Number(process.env.HARDFS_BENCH_LOCK_CYCLES ?? 300);
const ROUNDS = roundsFromEnv(5);
const UNCONTENDED_OPS = 1000;
const WARMUP_CYCLES = 100;
const LOCK_OPTIONS = { staleMs: 30_000, timeoutMs: 120_000 };
// Node flags for the forked children, for experiments (e.g. HARDFS_BENCH_CHILD_FLAGS=--single-threaded-gc).
const CHILD_FLAGS = (process.env.HARDFS_BENCH_CHILD_FLAGS ?? '').split(' ').filter(Boolean);

// ---- child: N cycles on one key, started by the parent's "go" --------------------------------
async function cycle(dir, locks, key) {
  await withFileLock(
    locks,
    `${key}.lock`,
    async () => {
      const value = Number(await dir.readFile(`${key}.count`));
      await dir.writeFileAtomic(`${key}.count`, String(value + 1), { fsync: false });
    },
    LOCK_OPTIONS,
  );
}

// The floor: the syscalls one hardfs cycle makes (strace of a warm cycle), issued directly and
// synchronously through the same /proc/self/fd/<dir>/ paths, with no lock semantics around them
// (no record check, no heartbeat timer, no promises): lock create O_EXCL + record write; entry
// open + fstat + read + close; temp create O_EXCL + fchmod + write + close + rename; lock
// fstat + lstat + unlink + close. The random token and temp name are generated as hardfs does.
const { O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = fsConstants;

function floorCycle(dirPrefix, lockPrefix, key, buffer) {
  const lockPath = `${lockPrefix}${key}.lock`;
  const lock = openSync(lockPath, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  const record = `{"v":1,"token":"${randomBytes(16).toString('hex')}","pid":${process.pid},"host":"bench","start":"1","time":${Date.now()}}\n`;
  writeSync(lock, record);
  const entry = openSync(`${dirPrefix}${key}.count`, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
  const { size } = fstatSync(entry);
  const length = readSync(entry, buffer, 0, size + 1, 0);
  closeSync(entry);
  const value = Number(buffer.toString('utf8', 0, length));
  const temp = `${dirPrefix}.hardfs-${randomBytes(16).toString('hex')}.tmp`;
  const out = openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  fchmodSync(out, 0o600);
  writeSync(out, String(value + 1));
  closeSync(out);
  renameSync(temp, `${dirPrefix}${key}.count`);
  fstatSync(lock);
  lstatSync(lockPath);
  unlinkSync(lockPath);
  closeSync(lock);
}

async function floorChild(dirPath, key, cycles) {
  await mkdir(join(dirPath, '.locks'), { recursive: true, mode: 0o700 });
  const dirFd = openSync(dirPath, O_RDONLY | O_DIRECTORY);
  const locksFd = openSync(join(dirPath, '.locks'), O_RDONLY | O_DIRECTORY);
  const dirPrefix = `/proc/self/fd/${dirFd}/`;
  const lockPrefix = `/proc/self/fd/${locksFd}/`;
  const buffer = Buffer.alloc(64);
  const warm = `warm-${process.pid}`;
  await writeFile(join(dirPath, `${warm}.count`), '0', { mode: 0o600 });
  for (let i = 0; i < WARMUP_CYCLES; i += 1) floorCycle(dirPrefix, lockPrefix, warm, buffer);
  unlinkSync(join(dirPath, `${warm}.count`));
  process.send({ type: 'ready' });
  await new Promise((resolve) => process.once('message', resolve));
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < cycles; i += 1) floorCycle(dirPrefix, lockPrefix, key, buffer);
  process.send({ type: 'done', ms: performance.now() - started, cpu: process.cpuUsage(cpu) });
  closeSync(locksFd);
  closeSync(dirFd);
  process.disconnect();
}

async function child(dirPath, key, cycles) {
  const dir = await openDir(dirPath);
  // Lock files live in their own directory, as in the session store's layout (sessions.d/.locks/).
  const locks = await dir.openSubdir('.locks', { create: true });
  // Warm up (JIT, thread pool) on a private key so the timed part measures steady state.
  const warm = `warm-${process.pid}`;
  await writeFile(join(dirPath, `${warm}.count`), '0', { mode: 0o600 });
  for (let i = 0; i < WARMUP_CYCLES; i += 1) await cycle(dir, locks, warm);
  await dir.unlink(`${warm}.count`);
  process.send({ type: 'ready' });
  await new Promise((resolve) => process.once('message', resolve));
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < cycles; i += 1) await cycle(dir, locks, key);
  process.send({ type: 'done', ms: performance.now() - started, cpu: process.cpuUsage(cpu) });
  await locks.close();
  await dir.close();
  process.disconnect();
}

// ---- parent ----------------------------------------------------------------------------------
async function uncontended(base) {
  const dir = await openDir(base);
  const mutex = new KeyedMutex();
  const fileRounds = [];
  const mutexRounds = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    let t0 = performance.now();
    for (let i = 0; i < UNCONTENDED_OPS; i += 1) {
      const lock = await acquireFileLock(dir, 'solo.lock', LOCK_OPTIONS);
      await lock.release();
    }
    fileRounds.push(((performance.now() - t0) * 1000) / UNCONTENDED_OPS);
    t0 = performance.now();
    for (let i = 0; i < UNCONTENDED_OPS; i += 1) await mutex.runExclusive('solo', () => undefined);
    mutexRounds.push(((performance.now() - t0) * 1000) / UNCONTENDED_OPS);
  }
  await dir.close();
  return { file: median(fileRounds), mutex: median(mutexRounds) };
}

const distinctKeys = Array.from({ length: PROCESSES }, (_, i) => `key${i}`);
const LAYOUTS = {
  distinct: { label: `hardfs: ${PROCESSES} processes, ${PROCESSES} distinct keys`, keys: distinctKeys, mode: '--child' },
  floor: { label: `lock-free floor: same syscalls, ${PROCESSES} processes`, keys: distinctKeys, mode: '--floor-child' },
  // Context, not a contender: one key for all, so the work is serial.
  shared: { label: `hardfs: ${PROCESSES} processes, 1 shared key (context)`, keys: Array.from({ length: PROCESSES }, () => 'shared'), mode: '--child' },
};

async function contended(base, layout) {
  const { keys, mode } = LAYOUTS[layout];
  for (const key of new Set(keys)) await writeFile(join(base, `${key}.count`), '0', { mode: 0o600 });
  const self = fileURLToPath(import.meta.url);
  const children = keys.map((key) => fork(self, [mode, base, key, String(CYCLES)], { stdio: 'inherit', execArgv: CHILD_FLAGS }));
  const message = (proc, type) =>
    new Promise((resolve, reject) => {
      const onMessage = (msg) => {
        if (msg.type === type) {
          proc.off('message', onMessage);
          resolve(msg);
        }
      };
      proc.on('message', onMessage);
      proc.once('exit', (code) => code !== 0 && reject(new Error(`child exited with ${code}`)));
    });
  await Promise.all(children.map((proc) => message(proc, 'ready')));
  const t0 = performance.now();
  const done = children.map((proc) => message(proc, 'done'));
  for (const proc of children) proc.send('go');
  const reports = await Promise.all(done);
  const elapsedMs = performance.now() - t0;
  const cpuUs = reports.reduce((sum, { cpu }) => sum + cpu.user + cpu.system, 0);
  const userUs = reports.reduce((sum, { cpu }) => sum + cpu.user, 0);
  await Promise.all(children.map((proc) => new Promise((resolve) => (proc.exitCode !== null ? resolve() : proc.once('exit', resolve)))));
  // Correctness: every increment landed.
  for (const key of new Set(keys)) {
    const expected = keys.filter((k) => k === key).length * CYCLES;
    const actual = Number(await readFile(join(base, `${key}.count`), 'utf8'));
    if (actual !== expected) throw new Error(`${layout}: ${key}.count is ${actual}, expected ${expected}`);
  }
  const cycles = keys.length * CYCLES;
  return { throughput: (cycles * 1000) / elapsedMs, cpuPerCycle: cpuUs / cycles, userPerCycle: userUs / cycles };
}

async function main() {
  const base = await mkdtemp(join(tmpdir(), 'hardfs-bench-locks-'));
  try {
    const solo = await uncontended(base);
    printTable(
      `Uncontended, one process (median of ${ROUNDS} rounds x ${UNCONTENDED_OPS} ops)`,
      ['operation', 'µs/op'],
      [
        { operation: 'acquireFileLock + release', 'µs/op': formatNumber(solo.file) },
        { operation: 'KeyedMutex.runExclusive (no-op)', 'µs/op': formatNumber(solo.mutex) },
      ],
    );

    const results = { distinct: [], floor: [], shared: [] };
    const cpu = { distinct: [], floor: [], shared: [] };
    const user = { distinct: [], floor: [], shared: [] };
    const ratios = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = round % 2 === 0 ? ['distinct', 'floor', 'shared'] : ['shared', 'floor', 'distinct'];
      for (const layout of order) {
        const outcome = await contended(base, layout);
        results[layout].push(outcome.throughput);
        cpu[layout].push(outcome.cpuPerCycle);
        user[layout].push(outcome.userPerCycle);
      }
      ratios.push(results.distinct[round] / results.floor[round]);
    }
    const medians = Object.fromEntries(Object.entries(results).map(([layout, values]) => [layout, median(values)]));
    printTable(
      `Lock / read-increment-write / unlock cycles, ${CYCLES} per process (median of ${ROUNDS} rounds; ${cpus().length} CPUs)`,
      ['layout', 'cycles/s (median)', 'min', 'max', 'CPU µs/cycle', 'user µs/cycle'],
      Object.entries(LAYOUTS).map(([layout, { label }]) => ({
        layout: label,
        'cycles/s (median)': formatNumber(medians[layout], 0),
        min: formatNumber(Math.min(...results[layout]), 0),
        max: formatNumber(Math.max(...results[layout]), 0),
        'CPU µs/cycle': formatNumber(median(cpu[layout]), 0),
        'user µs/cycle': formatNumber(median(user[layout]), 0),
      })),
    );
    const ratio = medians.distinct / medians.floor;
    console.log(`\nratio distinct keys / lock-free floor (medians): ${ratio.toFixed(2)}x (target >= 0.8x): ${ratio >= 0.8 ? 'met' : 'NOT met'}`);
    console.log(`per-round ratios (same round, interleaved): ${ratios.map((r) => r.toFixed(2)).join(' ')}; median ${median(ratios).toFixed(2)}x`);
    console.log(`context: 1 shared key / distinct keys ${(medians.shared / medians.distinct).toFixed(2)}x; load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], Number(process.argv[5]));
} else if (process.argv[2] === '--floor-child') {
  await floorChild(process.argv[3], process.argv[4], Number(process.argv[5]));
} else {
  await main();
}
