// bench/session-store: the directory store against a faithful model of the legacy store
// (one sessions.json, global mutex + lock file, full read-modify-write, atomic rename), SQLite
// (WAL, synchronous FULL, one row per session; under Node 24 for node:sqlite) and the physical
// floor (durable atomic write of the same bytes to distinct files, no locks), all fsync on,
// in one run: N = 10 … 5,000 entries, 2 KiB and 64 KiB entries, 1 and 10 concurrent writers
// and 4 processes. Each writer updates its own session (independent sessions).
//   HARDFS_BENCH_ROUNDS=3 (default)   HARDFS_BENCH_MS=1200 (per measurement)
//   HARDFS_BENCH_QUICK=1 (N up to 1,000, 2 KiB only)   HARDFS_BENCH_NO_SQLITE=1
//   HARDFS_BENCH_NS=10,1000,5000   HARDFS_BENCH_SHAPES=2KiB   (a chosen subset)
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSessionStore } from '../dist/session-store/index.js';
import { formatNumber, measureFor, median, medianTime, percentile, printTable, roundsFromEnv } from './lib/stats.mjs';
import { openFloor } from './session-store/floor.mjs';
import { LegacyStore } from './session-store/legacy-store.mjs';
import { SHAPES, bump, makeEntry } from './session-store/shapes.mjs';

const QUICK = process.env.HARDFS_BENCH_QUICK === '1';
const ROUNDS = roundsFromEnv(QUICK ? 2 : 3);
const DURATION_MS = Number(process.env.HARDFS_BENCH_MS ?? 1200);
const listFromEnv = (name) => process.env[name]?.split(',').map((item) => item.trim()).filter(Boolean);
const NS = listFromEnv('HARDFS_BENCH_NS')?.map(Number) ?? (QUICK ? [10, 100, 1000] : [10, 100, 1000, 5000]);
const SHAPE_NAMES = listFromEnv('HARDFS_BENCH_SHAPES') ?? (QUICK ? ['2KiB'] : Object.keys(SHAPES));
const WITH_SQLITE = process.env.HARDFS_BENCH_NO_SQLITE !== '1';
const SYSTEMS = ['hardfs directory', 'legacy sessions.json', 'floor (no locks)'];
const WORKER = fileURLToPath(new URL('./session-store/worker.mjs', import.meta.url));
const SQLITE = fileURLToPath(new URL('./session-store/sqlite.mjs', import.meta.url));

const results = new Map();
const put = (k, field, value) => {
  if (!results.has(k)) results.set(k, {});
  const entry = results.get(k);
  (entry[field] ??= []).push(value);
};
const keyOf = (shape, n, system) => `${shape}|${n}|${system}`;

function runProcesses(system, target, bytes) {
  return Promise.all(
    [0, 1, 2, 3].map(
      (worker) =>
        new Promise((done, fail) => {
          const child = spawn(process.execPath, [WORKER, system, target, `agent:main:s${worker}`, String(DURATION_MS), String(bytes)]);
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (chunk) => (stdout += chunk));
          child.stderr.on('data', (chunk) => (stderr += chunk));
          child.on('error', fail);
          child.on('close', (code) => (code === 0 ? done(JSON.parse(stdout.trim().split('\n').pop())) : fail(new Error(`${system} worker exited ${code}: ${stderr}`))));
        }),
    ),
  ).then((children) => {
    const latencies = children.flatMap((c) => c.latencies);
    return { opsPerSec: (latencies.length * 1000) / Math.max(...children.map((c) => c.elapsedMs)), latencies };
  });
}

function runSqlite(dir, n, bytes) {
  const r = spawnSync('npx', ['-y', 'node@24', SQLITE, 'main', dir, String(n), String(bytes), String(DURATION_MS)], {
    encoding: 'utf8',
    timeout: 900_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`sqlite child failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function benchOne(shape, n) {
  const bytes = SHAPES[shape];
  const base = await mkdtemp(join(tmpdir(), 'hardfs-bench-store-'));
  try {
    for (const sub of ['dir', 'legacy', 'floor', 'sqlite']) await mkdir(join(base, sub), { mode: 0o700 });
    const storePath = join(base, 'dir', 'sessions.json');
    const legacyPath = join(base, 'legacy', 'sessions.json');
    // Seed both stores with the same N entries (without fsync: seeding is not measured).
    const seedStore = await openSessionStore(storePath, { fsync: false });
    const legacySeed = Object.create(null);
    for (let start = 0; start < n; start += 32) {
      await Promise.all(
        Array.from({ length: Math.min(32, n - start) }, (_, j) => {
          const entry = makeEntry(start + j, bytes);
          legacySeed[`agent:main:s${start + j}`] = entry;
          return seedStore.update(`agent:main:s${start + j}`, () => entry);
        }),
      );
    }
    await seedStore.close();
    await writeFile(legacyPath, JSON.stringify(legacySeed, null, 2), { mode: 0o600 });

    const store = await openSessionStore(storePath);
    const legacy = new LegacyStore(legacyPath);
    const floor = await openFloor(join(base, 'floor'));
    const floorText = JSON.stringify(makeEntry(0, bytes));
    const ops = {
      [SYSTEMS[0]]: (w) => store.update(`agent:main:s${w}`, (e) => bump(e)),
      [SYSTEMS[1]]: (w) => legacy.update(`agent:main:s${w}`, (e) => bump(e)),
      [SYSTEMS[2]]: (w) => floor.write(`s${w}.json`, floorText),
    };
    const targets = { [SYSTEMS[0]]: ['directory', storePath], [SYSTEMS[1]]: ['legacy', legacyPath], [SYSTEMS[2]]: ['floor', join(base, 'floor')] };
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = [...SYSTEMS];
      for (let r = 0; r < round % order.length; r += 1) order.push(order.shift());
      for (const concurrency of [1, 10]) {
        for (const system of order) {
          const m = await measureFor((w) => ops[system](w), { concurrency, durationMs: DURATION_MS, minOps: 1 });
          put(keyOf(shape, n, system), `ops${concurrency}`, m.opsPerSec);
          put(keyOf(shape, n, system), `lat${concurrency}`, m.latencies);
        }
      }
      for (const system of order) {
        const [kind, target] = targets[system];
        const m = await runProcesses(kind, target, bytes);
        put(keyOf(shape, n, system), 'ops4p', m.opsPerSec);
      }
      if (WITH_SQLITE) {
        const s = runSqlite(join(base, 'sqlite', `r${round}`), n, bytes);
        const k = keyOf(shape, n, 'sqlite (WAL, FULL)');
        put(k, 'ops1', s.update1.opsPerSec);
        put(k, 'lat1', s.update1.latencies);
        put(k, 'ops10', s.update10.opsPerSec);
        put(k, 'lat10', s.update10.latencies);
        put(k, 'ops4p', s.proc4.opsPerSec);
        put(k, 'loadAll', s.loadAllMs);
        put(k, 'get', s.getMs);
        put(k, 'getUpdatedAt', s.getUpdatedAtMs);
      }
    }
    // Reads. loadAll after another instance committed (the cache refreshes what the change log
    // names), and loadAll by a store opened just now (every file read and parsed).
    const other = await openSessionStore(storePath);
    const dk = keyOf(shape, n, SYSTEMS[0]);
    put(dk, 'loadAll', await loadAllAfterForeignCommit(store, other));
    put(dk, 'loadAllFirst', await firstLoadAll(storePath));
    put(dk, 'loadAllCached', await medianTime(() => store.loadAll(), 7));
    put(dk, 'get', await medianTime((i) => store.get(`agent:main:s${i % n}`), 21));
    put(dk, 'getUpdatedAt', await medianTime((i) => store.getUpdatedAt(`agent:main:s${i % n}`), 21));
    const lk = keyOf(shape, n, SYSTEMS[1]);
    put(lk, 'loadAll', await medianTime(() => legacy.loadAll(), 5));
    put(lk, 'get', await medianTime((i) => legacy.get(`agent:main:s${i % n}`), 5));
    put(lk, 'getUpdatedAt', await medianTime((i) => legacy.getUpdatedAt(`agent:main:s${i % n}`), 5));
    await other.close();
    await store.close();
    await floor.close();
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

async function firstLoadAll(storePath) {
  const times = [];
  for (let i = 0; i < 5; i += 1) {
    const fresh = await openSessionStore(storePath);
    const t0 = performance.now();
    await fresh.loadAll();
    times.push(performance.now() - t0);
    await fresh.close();
  }
  return median(times);
}

async function loadAllAfterForeignCommit(store, other) {
  const times = [];
  for (let i = 0; i < 5; i += 1) {
    await other.update('agent:main:s0', (e) => bump(e));
    const t0 = performance.now();
    await store.loadAll();
    times.push(performance.now() - t0);
  }
  return median(times);
}

const med = (k, field) => median(results.get(k)?.[field] ?? []);
const pct = (k, field, p) => percentile((results.get(k)?.[field] ?? []).flat(), p);

async function main() {
  const started = Date.now();
  for (const shape of SHAPE_NAMES) {
    for (const n of NS) {
      process.stderr.write(`bench session-store: ${shape} N=${n} …\n`);
      await benchOne(shape, n);
    }
  }
  const systems = [...SYSTEMS, ...(WITH_SQLITE ? ['sqlite (WAL, FULL)'] : [])];
  for (const shape of SHAPE_NAMES) {
    const rows = [];
    for (const n of NS) {
      for (const system of systems) {
        const k = keyOf(shape, n, system);
        rows.push({
          N: String(n),
          system,
          '1w ops/s': formatNumber(med(k, 'ops1')),
          '1w p50/p99 ms': `${formatNumber(pct(k, 'lat1', 50))}/${formatNumber(pct(k, 'lat1', 99))}`,
          '10w ops/s': formatNumber(med(k, 'ops10')),
          '10w p50/p99 ms': `${formatNumber(pct(k, 'lat10', 50))}/${formatNumber(pct(k, 'lat10', 99))}`,
          '4 procs ops/s': formatNumber(med(k, 'ops4p')),
        });
      }
    }
    printTable(`Updates, ${shape} entries, fsync on (median of ${ROUNDS} rounds, ${DURATION_MS} ms each)`, ['N', 'system', '1w ops/s', '1w p50/p99 ms', '10w ops/s', '10w p50/p99 ms', '4 procs ops/s'], rows);
    const readRows = [];
    for (const n of NS) {
      for (const system of [SYSTEMS[0], SYSTEMS[1], ...(WITH_SQLITE ? ['sqlite (WAL, FULL)'] : [])]) {
        const k = keyOf(shape, n, system);
        readRows.push({
          N: String(n),
          system,
          'loadAll ms': formatNumber(med(k, 'loadAll'), 3),
          'first loadAll ms': system === SYSTEMS[0] ? formatNumber(med(k, 'loadAllFirst'), 3) : '',
          'loadAll cached ms': system === SYSTEMS[0] ? formatNumber(med(k, 'loadAllCached'), 3) : '',
          'get ms': formatNumber(med(k, 'get'), 3),
          'getUpdatedAt ms': formatNumber(med(k, 'getUpdatedAt'), 3),
        });
      }
    }
    printTable(`Reads, ${shape} entries (hardfs loadAll: after another instance's commit; first: in a store just opened)`, ['N', 'system', 'loadAll ms', 'first loadAll ms', 'loadAll cached ms', 'get ms', 'getUpdatedAt ms'], readRows);
  }
  // The figures the issue names, computed from this run (reported, not asserted).
  const d = (shape, n) => keyOf(shape, n, SYSTEMS[0]);
  const lines = [];
  const largest = NS[NS.length - 1];
  for (const shape of SHAPE_NAMES) {
    const flat = med(d(shape, 10), 'ops1') / med(d(shape, largest), 'ops1');
    lines.push(`[${shape}] update time at N=${largest} vs N=10 (1 writer): ${formatNumber(flat)}x   (target <= 1.5x)`);
  }
  const s = '2KiB';
  const vsLegacy = med(d(s, 1000), 'ops10') / med(keyOf(s, 1000, SYSTEMS[1]), 'ops10');
  const vsFloor = med(d(s, 1000), 'ops10') / med(keyOf(s, 1000, SYSTEMS[2]), 'ops10');
  lines.push(`[2KiB] 10 writers, N=1000: ${formatNumber(vsLegacy)}x the legacy model's throughput (target >= 50x)`);
  lines.push(`[2KiB] 10 writers, N=1000: ${formatNumber(vsFloor)}x the raw floor's throughput (target >= 0.5x)`);
  const guaRatio = med(d(s, largest), 'getUpdatedAt') / med(d(s, 10), 'getUpdatedAt');
  lines.push(`[2KiB] getUpdatedAt at N=${largest} vs N=10: ${formatNumber(guaRatio)}x (O(1): ~1x)`);
  const legacyLoad = med(keyOf(s, largest, SYSTEMS[1]), 'loadAll');
  const loadRatio = med(d(s, largest), 'loadAll') / legacyLoad;
  lines.push(`[2KiB] loadAll after another process's commit, N=${largest}: ${formatNumber(loadRatio)}x parsing the equivalent sessions.json (target <= 2x)`);
  const firstRatio = med(d(s, largest), 'loadAllFirst') / legacyLoad;
  lines.push(`[2KiB] first loadAll of a newly opened store, N=${largest}: ${formatNumber(firstRatio)}x parsing the equivalent sessions.json (starts from .snapshot; target <= 2x)`);
  console.log(`\nFigures (this run):\n  ${lines.join('\n  ')}`);
  console.log(`\nfsyncs per directory-store update: 2 (entry file + directory); lock files and the change log are not fsynced.`);
  console.log(`total bench time: ${Math.round((Date.now() - started) / 1000)} s`);
}

await main();
