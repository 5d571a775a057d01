// bench/atomic-write: 1 KiB atomic writes, sequential and 10 concurrent, with and without
// fsync. Compares SafeDir.writeFileAtomic with the raw syscall floor (the same
// open/write/fsync/close/rename/dir-fsync loop inline, no checks), write-file-atomic,
// atomically and @openclaw/fs-safe's root().write (run under Node 22 via npx, which it needs).
// Rounds are interleaved so machine noise hits every contender alike; figures are medians.
import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import writeFileAtomicPkg from 'write-file-atomic';
import { writeFile as atomicallyWriteFile } from 'atomically';
import { openDir } from '../dist/index.js';
import { formatNumber, measure, median, percentile, printTable, roundsFromEnv } from './lib/stats.mjs';

const ROUNDS = roundsFromEnv(5);
const PAYLOAD = randomBytes(768).toString('base64').slice(0, 1024); // 1 KiB of text
const CONFIGS = [
  { fsync: true, concurrency: 1, perWorker: 150 },
  { fsync: true, concurrency: 10, perWorker: 40 },
  { fsync: false, concurrency: 1, perWorker: 2000 },
  { fsync: false, concurrency: 10, perWorker: 300 },
];
const FLOOR_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function contenders(base) {
  return {
    floor: async () => {
      const dir = join(base, 'floor');
      const dirHandle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
      return {
        write: async (name, fsync) => {
          const temp = join(dir, `.floor-${randomBytes(16).toString('hex')}.tmp`);
          const handle = await open(temp, FLOOR_FLAGS, 0o600);
          await handle.writeFile(PAYLOAD);
          if (fsync) await handle.sync();
          await handle.close();
          await rename(temp, join(dir, name));
          if (fsync) await dirHandle.sync();
        },
        close: () => dirHandle.close(),
      };
    },
    'hardfs SafeDir': async () => {
      const dir = await openDir(join(base, 'hardfs'));
      return {
        write: (name, fsync) => dir.writeFileAtomic(name, PAYLOAD, { fsync }),
        close: () => dir.close(),
      };
    },
    'write-file-atomic': async () => ({
      write: (name, fsync) => writeFileAtomicPkg(join(base, 'wfa', name), PAYLOAD, { fsync, mode: 0o600 }),
      close: async () => {},
    }),
    atomically: async () => ({
      write: (name, fsync) => atomicallyWriteFile(join(base, 'atomically', name), PAYLOAD, { fsync, mode: 0o600 }),
      close: async () => {},
    }),
  };
}

// @openclaw/fs-safe targets Node 22 and ships optional native packages that npm cannot lock
// for every platform (npm ci refuses such a lock), so it is not a devDependency: the bench
// installs it once into a scratch prefix and runs its column under Node 22.
const FS_SAFE_PREFIX = join(tmpdir(), 'hardfs-bench-fs-safe');
function fsSafeModule() {
  const entry = join(FS_SAFE_PREFIX, 'node_modules', '@openclaw', 'fs-safe', 'dist', 'index.js');
  if (!existsSync(entry)) {
    const install = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', FS_SAFE_PREFIX, '@openclaw/fs-safe@0.21.0'], { encoding: 'utf8' });
    if (install.status !== 0) return undefined;
  }
  return existsSync(entry) ? entry : undefined;
}

function runFsSafe(base, config) {
  const module = fsSafeModule();
  if (module === undefined) return { error: 'could not install @openclaw/fs-safe' };
  const worker = fileURLToPath(new URL('./atomic-write-fs-safe.mjs', import.meta.url));
  const args = ['-y', 'node@22', worker, join(base, 'fs-safe'), JSON.stringify({ ...config, payload: PAYLOAD, module })];
  const result = spawnSync('npx', args, { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) return { error: (result.stderr || result.stdout || 'failed').trim().split('\n').pop() };
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

async function main() {
  const base = await mkdtemp(join(tmpdir(), 'hardfs-bench-aw-'));
  const { mkdir } = await import('node:fs/promises');
  for (const sub of ['floor', 'hardfs', 'wfa', 'atomically', 'fs-safe']) await mkdir(join(base, sub), { mode: 0o700 });
  const factories = contenders(base);
  const names = [...Object.keys(factories), '@openclaw/fs-safe (node 22)'];
  const results = new Map(); // key -> { ops: [], lat: [] }
  let fsSafeMechanism = 'n/a';
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const config of CONFIGS) {
        // Rotate the order every round so no contender always runs first (cold) or last.
        const order = Object.keys(factories);
        for (let r = 0; r < round % order.length; r += 1) order.push(order.shift());
        for (const name of order) {
          const contender = await factories[name]();
          const m = await measure((worker, i) => contender.write(`w${worker}-${i % 8}.json`, config.fsync), config);
          await contender.close();
          record(results, name, config, m.opsPerSec, m.latencies);
        }
        const fsSafe = runFsSafe(base, config);
        if (fsSafe.error) {
          record(results, names[4], config, Number.NaN, [], fsSafe.error);
        } else {
          fsSafeMechanism = fsSafe.mechanism;
          record(results, names[4], config, fsSafe.opsPerSec, fsSafe.latencies);
        }
      }
      process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
  for (const config of CONFIGS) {
    const floor = summary(results, 'floor', config);
    const rows = names.map((name) => {
      const s = summary(results, name, config);
      return {
        contender: name,
        'ops/s': formatNumber(s.ops),
        'p50 ms': formatNumber(s.p50, 3),
        'p99 ms': formatNumber(s.p99, 3),
        'time/write vs floor': s.error ? s.error.slice(0, 60) : `${formatNumber(floor.ops / s.ops)}x`,
      };
    });
    printTable(
      `1 KiB atomic writes — fsync ${config.fsync ? 'on' : 'off'}, ${config.concurrency === 1 ? 'sequential' : `${config.concurrency} concurrent`} (median of ${ROUNDS} rounds)`,
      ['contender', 'ops/s', 'p50 ms', 'p99 ms', 'time/write vs floor'],
      rows,
    );
  }
  console.log(`\n@openclaw/fs-safe containment mechanism reported: ${fsSafeMechanism}`);
  console.log('Targets: fsync on — hardfs within 1.15x of the floor and at least as fast as write-file-atomic; fsync off — within 1.3x.');
}

function key(name, config) {
  return `${name}|${config.fsync}|${config.concurrency}`;
}

function record(results, name, config, ops, latencies, error) {
  const k = key(name, config);
  if (!results.has(k)) results.set(k, { ops: [], lat: [], error: undefined });
  const entry = results.get(k);
  if (Number.isFinite(ops)) entry.ops.push(ops);
  entry.lat.push(...latencies);
  if (error) entry.error = error;
}

function summary(results, name, config) {
  const entry = results.get(key(name, config)) ?? { ops: [], lat: [] };
  return { ops: median(entry.ops), p50: percentile(entry.lat, 50), p99: percentile(entry.lat, 99), error: entry.error };
}

await main();
