// bench/root (issue 11): what a root's relative-path walk costs.
//   - an atomic write and a read at depth 3 (a/b/c/x.json) and at depth 1, against the raw floor
//     (open O_EXCL|O_NOFOLLOW, write, fsync, close, rename, directory fsync — by path, with
//     node:fs, no checks) and plain fs.readFile;
//   - stat and readdir at depth 3 against node:fs;
//   - rm -r of a 10,000-file tree against fs.rm;
//   - @openclaw/fs-safe's root() for the same operations (write, readBytes, stat, list, remove),
//     run under Node 22 (its requirement) in a child that times only the operations.
// Rounds are interleaved and the order rotates each round; figures are medians of the rounds,
// ratios are within this run. Run with `npm run bench -- root` (builds dist/ first);
// HARDFS_BENCH_ROUNDS sets the rounds, HARDFS_BENCH_QUICK=1 shrinks every count.
import { randomBytes } from 'node:crypto';
import { constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { formatNumber, median, printTable, roundsFromEnv } from './lib/stats.mjs';

const QUICK = process.env.HARDFS_BENCH_QUICK === '1';
const ROUNDS = roundsFromEnv(QUICK ? 3 : 5);
const RM_ROUNDS = Math.max(3, Math.min(ROUNDS, 5));
const PAYLOAD = randomBytes(768).toString('base64').slice(0, 1024); // 1 KiB of text
const COUNTS = QUICK ? { write: 60, read: 500, stat: 500, readdir: 200, files: 2000 } : { write: 200, read: 3000, stat: 3000, readdir: 1000, files: 10_000 };
const LISTING = 100; // entries in the directory readdir lists
const FLOOR_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Times `count` sequential calls of `op(i)`; returns microseconds per call. */
async function perOp(count, op) {
  const start = performance.now();
  for (let i = 0; i < count; i += 1) await op(i);
  return ((performance.now() - start) * 1000) / count;
}

/** Makes a/b/c (and the listing directory) under `dir`, with x.json at depth 1 and 3. */
function prepare(dir) {
  mkdirSync(join(dir, 'a/b/c/list'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'x.json'), PAYLOAD, { mode: 0o600 });
  writeFileSync(join(dir, 'a/b/c/x.json'), PAYLOAD, { mode: 0o600 });
  for (let i = 0; i < LISTING; i += 1) writeFileSync(join(dir, 'a/b/c/list', `e${i}.json`), '{}', { mode: 0o600 });
}

/** A tree of `files` files: 100 directories of files/100 each, two levels deep. */
function buildTree(dir, files) {
  const perDir = 100;
  for (let d = 0; d < files / perDir; d += 1) {
    const sub = join(dir, `d${d % 10}`, `e${d}`);
    mkdirSync(sub, { recursive: true, mode: 0o700 });
    for (let f = 0; f < perDir; f += 1) writeFileSync(join(sub, `f${f}`), 'x');
  }
}

// --- the fs-safe child -----------------------------------------------------------------------

if (process.argv[2] === '--fs-safe-worker') {
  const [, , , module, dir, op, rawCount] = process.argv;
  const count = Number(rawCount);
  const { root } = await import(module);
  const fs = await root(dir);
  const ops = {
    'write-3': (i) => fs.write(`a/b/c/w${i % 8}.json`, PAYLOAD, { durable: true, mode: 0o600 }),
    'write-1': (i) => fs.write(`w${i % 8}.json`, PAYLOAD, { durable: true, mode: 0o600 }),
    'read-3': () => fs.readBytes('a/b/c/x.json'),
    'read-1': () => fs.readBytes('x.json'),
    'stat-3': () => fs.stat('a/b/c/x.json'),
    readdir: () => fs.list('a/b/c/list'),
    'rm-r': () => fs.remove('tree', { recursive: true, force: true, maxEntries: 1_000_000 }),
  };
  const us = await perOp(count, ops[op]);
  console.log(JSON.stringify({ us }));
  process.exit(0);
}

// --- the parent ------------------------------------------------------------------------------

const FS_SAFE_PREFIX = join(tmpdir(), 'hardfs-bench-fs-safe');
function fsSafeModule() {
  const entry = join(FS_SAFE_PREFIX, 'node_modules', '@openclaw', 'fs-safe', 'dist', 'index.js');
  if (!existsSync(entry)) {
    // a scratch install outside the repository: fs-safe is never a dependency of hardfs
    spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', FS_SAFE_PREFIX, '@openclaw/fs-safe@0.21.0'], { encoding: 'utf8' });
  }
  return existsSync(entry) ? entry : undefined;
}

function runFsSafe(module, dir, op, count) {
  const self = fileURLToPath(import.meta.url);
  const result = spawnSync('npx', ['-y', 'node@22', self, '--fs-safe-worker', module, dir, op, String(count)], { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) return { error: (result.stderr || result.stdout || 'failed').trim().split('\n').pop() };
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

async function main() {
  const { openDir } = await import('../dist/index.js');
  const module = fsSafeModule();
  const base = await fsp.mkdtemp(join(tmpdir(), 'hardfs-bench-root-'));
  const places = { hardfs: join(base, 'hardfs'), floor: join(base, 'floor'), fsSafe: join(base, 'fs-safe') };
  for (const dir of Object.values(places)) {
    mkdirSync(dir, { mode: 0o700 });
    prepare(dir);
  }
  const dir = await openDir(places.hardfs);
  const floorDirs = { 1: await fsp.open(places.floor, 'r'), 3: await fsp.open(join(places.floor, 'a/b/c'), 'r') };
  const floorWrite = async (depth, i) => {
    const where = depth === 3 ? join(places.floor, 'a/b/c') : places.floor;
    const temp = join(where, `.floor-${randomBytes(8).toString('hex')}.tmp`);
    const handle = await fsp.open(temp, FLOOR_FLAGS, 0o600);
    await handle.writeFile(PAYLOAD);
    await handle.sync();
    await handle.close();
    await fsp.rename(temp, join(where, `w${i % 8}.json`));
    await floorDirs[depth].sync();
  };
  const hardfsPath = (depth, name) => (depth === 3 ? `a/b/c/${name}` : name);
  const nodePath = (depth, name) => join(places.floor, depth === 3 ? `a/b/c/${name}` : name);

  /** Each benchmark: its contenders, as functions of the round returning µs/op. */
  const benches = {
    'atomic write, depth 3': {
      count: COUNTS.write,
      contenders: {
        floor: (n) => perOp(n, (i) => floorWrite(3, i)),
        'hardfs writeFile': (n) => perOp(n, (i) => dir.writeFile(hardfsPath(3, `w${i % 8}.json`), PAYLOAD)),
        'fs-safe write': 'write-3',
      },
      base: 'floor',
    },
    'atomic write, depth 1': {
      count: COUNTS.write,
      contenders: {
        floor: (n) => perOp(n, (i) => floorWrite(1, i)),
        'hardfs writeFile': (n) => perOp(n, (i) => dir.writeFile(hardfsPath(1, `w${i % 8}.json`), PAYLOAD)),
        'fs-safe write': 'write-1',
      },
      base: 'floor',
    },
    'read 1 KiB, depth 3': {
      count: COUNTS.read,
      contenders: {
        'fs.readFile': (n) => perOp(n, () => fsp.readFile(nodePath(3, 'x.json'))),
        'hardfs readFile': (n) => perOp(n, () => dir.readFile(hardfsPath(3, 'x.json'))),
        'fs-safe readBytes': 'read-3',
      },
      base: 'fs.readFile',
    },
    'read 1 KiB, depth 1': {
      count: COUNTS.read,
      contenders: {
        'fs.readFile': (n) => perOp(n, () => fsp.readFile(nodePath(1, 'x.json'))),
        'hardfs readFile': (n) => perOp(n, () => dir.readFile(hardfsPath(1, 'x.json'))),
        'fs-safe readBytes': 'read-1',
      },
      base: 'fs.readFile',
    },
    'stat, depth 3': {
      count: COUNTS.stat,
      contenders: {
        'fs.stat': (n) => perOp(n, () => fsp.stat(nodePath(3, 'x.json'))),
        'hardfs stat': (n) => perOp(n, () => dir.stat(hardfsPath(3, 'x.json'))),
        'fs-safe stat': 'stat-3',
      },
      base: 'fs.stat',
    },
    [`readdir of ${LISTING} entries, depth 4`]: {
      count: COUNTS.readdir,
      contenders: {
        'fs.readdir': (n) => perOp(n, () => fsp.readdir(nodePath(3, 'list'))),
        'hardfs readdir': (n) => perOp(n, () => dir.readdir('a/b/c/list')),
        'fs-safe list': 'readdir',
      },
      base: 'fs.readdir',
    },
  };

  const results = new Map(); // `${bench}|${contender}` -> [µs per round]
  const errors = new Map();
  const record = (bench, name, value) => {
    const key = `${bench}|${name}`;
    if (typeof value === 'object') errors.set(key, value.error);
    else results.set(key, [...(results.get(key) ?? []), value]);
  };
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [bench, spec] of Object.entries(benches)) {
        const order = Object.keys(spec.contenders);
        for (let r = 0; r < round % order.length; r += 1) order.push(order.shift());
        for (const name of order) {
          const run = spec.contenders[name];
          if (typeof run === 'string') {
            const out = module === undefined ? { error: 'could not install @openclaw/fs-safe' } : runFsSafe(module, places.fsSafe, run, spec.count);
            record(bench, name, out.error ? out : out.us);
          } else record(bench, name, await run(spec.count));
        }
      }
      process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
    }
    // rm -r: a fresh tree per contender per round, built outside the timing
    const rmBench = `rm -r of ${COUNTS.files.toLocaleString('en-US')} files`;
    for (let round = 0; round < RM_ROUNDS; round += 1) {
      const order = ['fs.rm', 'hardfs rm', 'fs-safe remove'];
      for (let r = 0; r < round % order.length; r += 1) order.push(order.shift());
      for (const name of order) {
        const where = name === 'fs.rm' ? places.floor : name === 'hardfs rm' ? places.hardfs : places.fsSafe;
        buildTree(join(where, 'tree'), COUNTS.files);
        if (name === 'fs.rm') record(rmBench, name, await perOp(1, () => fsp.rm(join(where, 'tree'), { recursive: true, force: true })));
        else if (name === 'hardfs rm') record(rmBench, name, await perOp(1, () => dir.rm('tree', { recursive: true })));
        else {
          const out = module === undefined ? { error: 'could not install @openclaw/fs-safe' } : runFsSafe(module, where, 'rm-r', 1);
          record(rmBench, name, out.error ? out : out.us);
          await fsp.rm(join(where, 'tree'), { recursive: true, force: true });
        }
      }
      process.stderr.write(`rm round ${round + 1}/${RM_ROUNDS} done\n`);
    }
    benches[rmBench] = { contenders: { 'fs.rm': 1, 'hardfs rm': 1, 'fs-safe remove': 1 }, base: 'fs.rm', rounds: RM_ROUNDS };
  } finally {
    await dir.close();
    await floorDirs[1].close();
    await floorDirs[3].close();
    await fsp.rm(base, { recursive: true, force: true });
  }

  for (const [bench, spec] of Object.entries(benches)) {
    const baseline = median(results.get(`${bench}|${spec.base}`) ?? []);
    const hardfs = median(results.get(`${bench}|${Object.keys(spec.contenders)[1]}`) ?? []);
    const rows = Object.keys(spec.contenders).map((name) => {
      const key = `${bench}|${name}`;
      const us = median(results.get(key) ?? []);
      return {
        contender: name,
        'µs/op': errors.has(key) ? 'n/a' : formatNumber(us, 1),
        [`vs ${spec.base}`]: errors.has(key) ? String(errors.get(key)).slice(0, 60) : `${formatNumber(us / baseline)}x`,
        'vs hardfs': errors.has(key) ? '' : `${formatNumber(us / hardfs)}x`,
      };
    });
    printTable(`${bench} (median of ${spec.rounds ?? ROUNDS} rounds)`, ['contender', 'µs/op', `vs ${spec.base}`, 'vs hardfs'], rows);
  }
  console.log('\nTargets: depth-3 atomic write within 1.3x the floor; rm -r within 2x fs.rm; ahead of fs-safe on every shared operation.');
}

await main();
