// bench/session-store/store-modes: hardfs/store shared and exclusive beside the raw floor and the
// legacy model, in one run, interleaved rounds (medians): 10 writers on distinct keys, N entries
// of 2 KiB (default N = 1,000), fsync on; a 4-key atomic commit beside a single-key update; the
// first loadAll of a fresh process beside JSON.parse of the equivalent sessions.json; update
// cost at N = 10 vs N. Syscalls per update are counted separately (strace, see --syscalls).
//   node bench/session-store/store-modes.mjs [N]       (after npm run build)
//   strace -c -f -o out node bench/session-store/store-modes.mjs --syscalls <shared|exclusive> <count>
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../dist/store/index.js';
import { formatNumber, measureFor, median, medianTime } from '../lib/stats.mjs';
import { openFloor } from './floor.mjs';
import { LegacyStore } from './legacy-store.mjs';
import { bump, makeEntry } from './shapes.mjs';

const BYTES = 2 * 1024;
const ROUNDS = Number(process.env.HARDFS_BENCH_ROUNDS ?? 3);
const DURATION_MS = Number(process.env.HARDFS_BENCH_MS ?? 1200);
const WRITERS = 10;

async function seeded(n, options) {
  const dir = await mkdtemp(join(tmpdir(), 'hardfs-bench-store-'));
  const store = await openStore(join(dir, 'store'), options);
  const keys = Array.from({ length: n }, (_, i) => `agent:main:s${i}`);
  for (let i = 0; i < n; i += 256) {
    await store.updateMany((record) => {
      for (const key of keys.slice(i, i + 256)) record[key] = makeEntry(i, BYTES);
    });
  }
  return { dir, store, keys };
}

if (process.argv[2] === '--syscalls') {
  // Run under strace -c -f twice, with 0 and with COUNT updates: the difference divided by COUNT
  // is what one single-key update costs in syscalls (all threads: the thread pool included).
  const count = Number(process.argv[4]);
  const { dir, store, keys } = await seeded(100, { writer: process.argv[3] });
  for (let i = 0; i < 20; i += 1) await store.update(keys[i % 10], bump);
  for (let i = 0; i < count; i += 1) await store.update(keys[i % 10], bump);
  await store.close();
  await rm(dir, { recursive: true, force: true });
  process.exit(0);
}

const N = Number(process.argv[2] ?? 1000);
const rows = new Map();
const put = (name, value) => (rows.get(name) ?? rows.set(name, []).get(name)).push(value);

for (let round = 0; round < ROUNDS; round += 1) {
  for (const system of ['floor', 'shared', 'exclusive', 'legacy']) {
    if (system === 'floor') {
      const dir = await mkdtemp(join(tmpdir(), 'hardfs-bench-floor-'));
      const floor = await openFloor(dir);
      const text = JSON.stringify(makeEntry(0, BYTES));
      // The same directory population as the stores (N files of the same size): what a create
      // and a rename cost depends on the directory they land in, and the store's N entries live
      // in one directory.
      for (let i = WRITERS; i < N; i += 1) writeFileSync(join(dir, `s${i}.json`), text);
      const result = await measureFor((worker, i) => floor.write(`s${worker}.json`, text + i), { concurrency: WRITERS, durationMs: DURATION_MS });
      put('floor', result.opsPerSec);
      await floor.close();
      await rm(dir, { recursive: true, force: true });
    } else if (system === 'legacy') {
      const dir = await mkdtemp(join(tmpdir(), 'hardfs-bench-legacy-'));
      const legacy = new LegacyStore(join(dir, 'sessions.json'));
      const all = {};
      for (let i = 0; i < N; i += 1) all[`agent:main:s${i}`] = makeEntry(i, BYTES);
      await legacy.replaceAll(all);
      const result = await measureFor((worker) => legacy.update(`agent:main:s${worker}`, bump), { concurrency: WRITERS, durationMs: DURATION_MS, minOps: 2 });
      put('legacy', result.opsPerSec);
      // First load of a fresh process, the legacy way: read + JSON.parse of sessions.json.
      const text = readFileSync(join(dir, 'sessions.json'));
      put('parse sessions.json ms', await medianTime(() => JSON.parse(text.toString('utf8')), 5));
      await rm(dir, { recursive: true, force: true });
    } else {
      const { dir, store, keys } = await seeded(N, { writer: system });
      const result = await measureFor((worker) => store.update(keys[worker], bump), { concurrency: WRITERS, durationMs: DURATION_MS });
      put(system, result.opsPerSec);
      // Sequential: one key vs an atomic commit of 4 keys.
      const single = await measureFor((_, i) => store.update(keys[i % 50], bump), { durationMs: DURATION_MS / 2 });
      const multi = await measureFor(
        (_, i) =>
          store.updateMany((record) => {
            for (let k = 0; k < 4; k += 1) {
              const key = keys[(i * 4 + k) % 200];
              record[key] = bump(record[key]);
            }
          }),
        { durationMs: DURATION_MS / 2 },
      );
      put(`${system} 4-key/1-key cost`, single.opsPerSec / multi.opsPerSec);
      put(`${system} update ms (N)`, median(single.latencies));
      await store.close();
      if (system === 'shared') {
        // First loadAll of a fresh store object (snapshot file present from the seeding's full load).
        const warm = await openStore(join(dir, 'store'));
        await warm.loadAll();
        await warm.close();
        put('first loadAll ms', await medianTime(async () => {
          const fresh = await openStore(join(dir, 'store'));
          await fresh.loadAll();
          await fresh.close();
        }, 3));
        const small = await seeded(10, { writer: 'shared' });
        const smallSingle = await measureFor((_, i) => small.store.update(small.keys[i % 10], bump), { durationMs: DURATION_MS / 2 });
        put('shared update ms (N=10)', median(smallSingle.latencies));
        await small.store.close();
        await rm(small.dir, { recursive: true, force: true });
      }
      await rm(dir, { recursive: true, force: true });
    }
  }
}

const m = (name) => median(rows.get(name));
const lines = [
  `store modes, N = ${N}, 2 KiB, ${WRITERS} writers on distinct keys, fsync on, ${ROUNDS} interleaved rounds (medians)`,
  `  floor ${formatNumber(m('floor'), 0)} ops/s | shared ${formatNumber(m('shared'), 0)} (${formatNumber(m('shared') / m('floor'))}x floor, ${formatNumber(m('shared') / m('legacy'), 1)}x legacy) | exclusive ${formatNumber(m('exclusive'), 0)} (${formatNumber(m('exclusive') / m('floor'))}x floor) | legacy ${formatNumber(m('legacy'), 1)}`,
  `  4-key atomic commit / single-key update: shared ${formatNumber(m('shared 4-key/1-key cost'))}x, exclusive ${formatNumber(m('exclusive 4-key/1-key cost'))}x`,
  `  update latency (1 writer): N = 10 ${formatNumber(m('shared update ms (N=10)'))} ms, N = ${N} ${formatNumber(m('shared update ms (N)'))} ms (${formatNumber(m('shared update ms (N)') / m('shared update ms (N=10)'))}x)`,
  `  first loadAll of a fresh store ${formatNumber(m('first loadAll ms'))} ms vs JSON.parse of sessions.json ${formatNumber(m('parse sessions.json ms'))} ms (${formatNumber(m('first loadAll ms') / m('parse sessions.json ms'))}x)`,
];
console.log(lines.join('\n'));
