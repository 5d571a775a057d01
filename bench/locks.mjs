// bench/locks: cost of the cross-process file lock.
//   1. Uncontended acquireFileLock + release in one process (and KeyedMutex.runExclusive for
//      scale), median of several rounds.
//   2. Throughput of 4 processes, each doing N lock / read-increment-write / unlock cycles,
//      on 4 distinct keys versus on 1 shared key. Children are forked from this file and start
//      together on a signal; rounds alternate the two layouts so machine noise hits both alike.
// Figure to reach: 4 keys give at least 2x the throughput of 1 shared key (independent writers
// never wait on each other). The counters are checked after every round.
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
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
  for (let i = 0; i < cycles; i += 1) await cycle(dir, locks, key);
  process.send({ type: 'done', ms: performance.now() - started });
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

const LAYOUTS = {
  distinct: { label: `${PROCESSES} processes, ${PROCESSES} distinct keys`, keys: Array.from({ length: PROCESSES }, (_, i) => `key${i}`) },
  shared: { label: `${PROCESSES} processes, 1 shared key`, keys: Array.from({ length: PROCESSES }, () => 'shared') },
  // Context, not a contender: what one process does alone. "shared" cannot beat it (the work is
  // serial), and distinct/solo is the parallel speed-up this machine offers at all.
  solo: { label: '1 process alone (context)', keys: ['solo'] },
};

async function contended(base, layout) {
  const { keys } = LAYOUTS[layout];
  for (const key of new Set(keys)) await writeFile(join(base, `${key}.count`), '0', { mode: 0o600 });
  const self = fileURLToPath(import.meta.url);
  const children = keys.map((key) => fork(self, ['--child', base, key, String(CYCLES)], { stdio: 'inherit' }));
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
  await Promise.all(done);
  const elapsedMs = performance.now() - t0;
  await Promise.all(children.map((proc) => new Promise((resolve) => (proc.exitCode !== null ? resolve() : proc.once('exit', resolve)))));
  // Correctness: every increment landed.
  for (const key of new Set(keys)) {
    const expected = keys.filter((k) => k === key).length * CYCLES;
    const actual = Number(await readFile(join(base, `${key}.count`), 'utf8'));
    if (actual !== expected) throw new Error(`${layout}: ${key}.count is ${actual}, expected ${expected}`);
  }
  return (keys.length * CYCLES * 1000) / elapsedMs;
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

    const results = { distinct: [], shared: [], solo: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = round % 2 === 0 ? ['distinct', 'shared', 'solo'] : ['solo', 'shared', 'distinct'];
      for (const layout of order) results[layout].push(await contended(base, layout));
    }
    const medians = Object.fromEntries(Object.entries(results).map(([layout, values]) => [layout, median(values)]));
    printTable(
      `Lock / read-increment-write / unlock cycles, ${CYCLES} per process (median of ${ROUNDS} rounds; ${cpus().length} CPUs)`,
      ['layout', 'cycles/s (median)', 'min', 'max'],
      Object.entries(LAYOUTS).map(([layout, { label }]) => ({
        layout: label,
        'cycles/s (median)': formatNumber(medians[layout], 0),
        min: formatNumber(Math.min(...results[layout]), 0),
        max: formatNumber(Math.max(...results[layout]), 0),
      })),
    );
    const ratio = medians.distinct / medians.shared;
    console.log(`\nratio distinct/shared: ${ratio.toFixed(2)}x (target >= 2x): ${ratio >= 2 ? 'met' : 'NOT met'}`);
    console.log(`context: shared/solo ${(medians.shared / medians.solo).toFixed(2)}x (1.0 = no convoy penalty beyond serializing), distinct/solo ${(medians.distinct / medians.solo).toFixed(2)}x (parallel speed-up available on this machine)`);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], Number(process.argv[5]));
} else {
  await main();
}
