// bench/objects: encodeKey/decodeKey throughput, parseJsonSafe against JSON.parse and
// stableStringify against JSON.stringify on session-like entries, and parseJsonSafe's time and
// peak memory against JSON.parse on large documents of several shapes.
//
// Time: each ratio is the median of paired samples (baseline and candidate measured back to
// back, in alternating order), which holds steady even when other work shares the machine.
//
// Peak memory: one fresh process (node --expose-gc) per parse, so that no earlier run's heap
// is counted. The process reads the document's bytes from a file (the input both parsers get,
// as a store reads a file), collects garbage, then parses once. Its resident-set high-water
// mark (process.resourceUsage().maxRSS, kept by the kernel, so it sees the peak *inside* the
// synchronous parse, which no sampling from JavaScript could) is read before and after: the
// difference is the parse's peak memory beyond its input. The heap still in use after a
// full collection, with the result kept, is what the parse leaves behind. Processes for the
// two parsers alternate, round after round; each figure is the median of its rounds.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeKey, encodeKey, parseJsonSafe, stableStringify } from '../dist/index.js';
import { makeEntry } from './session-store/shapes.mjs';
import { formatNumber, median, printTable, roundsFromEnv } from './lib/stats.mjs';

const PAIRS = roundsFromEnv(15);
const BURST_MS = 100;
const LARGE_TARGET = 2;
const UNBOUNDED = { maxBytes: Number.MAX_SAFE_INTEGER };

/** Documents of about 5–12 MB, one per shape that stresses a different part of the parse. */
const LARGE_SHAPES = {
  'many small objects': () => JSON.stringify(Array.from({ length: 200_000 }, (_, i) => ({ a: i, b: `x${i}`, c: true }))),
  'long strings': () => JSON.stringify(Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(256 * 1024, 'abcdefgh'))),
  'wide array': () => JSON.stringify(Array.from({ length: 1_000_000 }, (_, i) => i * 1.5)),
  'deep nesting': () => {
    let chain = '1';
    for (let depth = 0; depth < 200; depth += 1) chain = `{"a":${chain}}`;
    return `[${Array(5000).fill(chain).join(',')}]`;
  },
  'store of 5,000 2 KiB entries': () =>
    JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`agent:main:telegram:${i}`, makeEntry(i, 2 * 1024)]))),
};

const PARSERS = {
  'JSON.parse': (bytes) => JSON.parse(bytes.toString('utf8')),
  parseJsonSafe: (bytes) => parseJsonSafe(bytes, UNBOUNDED),
};

if (process.argv[2] === '--child') {
  // One measured parse: argv = --child <parser> <file>.
  const parse = PARSERS[process.argv[3]];
  const bytes = readFileSync(process.argv[4]);
  globalThis.gc();
  globalThis.gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.resourceUsage().maxRSS;
  const start = performance.now();
  const result = parse(bytes);
  const ms = performance.now() - start;
  const rssPeak = process.resourceUsage().maxRSS;
  globalThis.gc();
  const retained = process.memoryUsage().heapUsed - heapBefore;
  process.stdout.write(JSON.stringify({ peakKiB: rssPeak - rssBefore, retainedKiB: retained / 1024, ms, kept: typeof result }));
  process.exit(0);
}

function opsPerSec(fn, minMs) {
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < minMs) {
    for (let i = 0; i < 16; i += 1) fn(ops + i);
    ops += 16;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

/** Medians of ops/s for both, and the median of the per-pair time ratios candidate/baseline. */
function paired(baseline, candidate) {
  opsPerSec(baseline, 200);
  opsPerSec(candidate, 200);
  const base = [];
  const cand = [];
  const ratios = [];
  for (let pair = 0; pair < PAIRS; pair += 1) {
    let b;
    let c;
    if (pair % 2 === 0) {
      b = opsPerSec(baseline, BURST_MS);
      c = opsPerSec(candidate, BURST_MS);
    } else {
      c = opsPerSec(candidate, BURST_MS);
      b = opsPerSec(baseline, BURST_MS);
    }
    base.push(b);
    cand.push(c);
    ratios.push(b / c);
  }
  return { base: median(base), cand: median(cand), ratio: median(ratios), worstPair: Math.max(...ratios) };
}

/** The same for operations that take long enough to time one by one: one call of each per pair. */
function pairedCalls(baseline, candidate, pairs) {
  const time = (fn) => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  };
  time(baseline);
  time(candidate);
  const base = [];
  const ratios = [];
  for (let pair = 0; pair < pairs; pair += 1) {
    let b;
    let c;
    if (pair % 2 === 0) {
      b = time(baseline);
      c = time(candidate);
    } else {
      c = time(candidate);
      b = time(baseline);
    }
    base.push(b);
    ratios.push(c / b);
  }
  return { baseMs: median(base), ratio: median(ratios) };
}

// Keys as a gateway makes them (agent:channel:peer), with upper case and Unicode that need
// escapes, over-long ones that take the digest form, and short plain ones.
const keys = Array.from({ length: 1024 }, (_, i) =>
  i % 4 === 0 ? `agent:main:telegram:${i}` : i % 4 === 1 ? `Agent/Main/${i}/Ünïcode-${i}` : i % 4 === 2 ? `${'long-'.repeat(60)}${i}` : `s${i}`,
);
const stems = keys.map(encodeKey);
const entries = { '2 KiB entry': makeEntry(1, 2 * 1024), '100 KiB entry': makeEntry(2, 100 * 1024) };

const rows = [];
for (const [name, fn] of [
  ['encodeKey', (i) => encodeKey(keys[i & 1023])],
  ['decodeKey', (i) => decodeKey(stems[i & 1023])],
]) {
  const samples = Array.from({ length: 5 }, () => opsPerSec(fn, 200));
  rows.push({ operation: `${name} (mixed keys)`, 'ops/s': formatNumber(median(samples)), 'time ratio': '', 'worst pair': '' });
}
for (const [name, entry] of Object.entries(entries)) {
  const text = JSON.stringify(entry);
  const parse = paired(() => JSON.parse(text), () => parseJsonSafe(text));
  rows.push({ operation: `JSON.parse, ${name}`, 'ops/s': formatNumber(parse.base), 'time ratio': '1.00x', 'worst pair': '' });
  rows.push({ operation: `parseJsonSafe, ${name}`, 'ops/s': formatNumber(parse.cand), 'time ratio': `${formatNumber(parse.ratio)}x`, 'worst pair': `${formatNumber(parse.worstPair)}x` });
}
for (const [name, entry] of Object.entries(entries)) {
  const stringify = paired(() => JSON.stringify(entry), () => stableStringify(entry));
  rows.push({ operation: `JSON.stringify, ${name}`, 'ops/s': formatNumber(stringify.base), 'time ratio': '1.00x', 'worst pair': '' });
  rows.push({ operation: `stableStringify, ${name}`, 'ops/s': formatNumber(stringify.cand), 'time ratio': `${formatNumber(stringify.ratio)}x`, 'worst pair': `${formatNumber(stringify.worstPair)}x` });
}
printTable(`Objects and codec (medians; ratios are medians of ${PAIRS} paired samples)`, ['operation', 'ops/s', 'time ratio', 'worst pair'], rows);

// Large documents: time in this process (warm, paired), peak memory in fresh processes.
const MEMORY_ROUNDS = roundsFromEnv(5);
const dir = mkdtempSync(join(tmpdir(), 'hardfs-bench-objects-'));
const self = fileURLToPath(import.meta.url);
const large = [];
try {
  for (const [shape, make] of Object.entries(LARGE_SHAPES)) {
    const text = make();
    const bytes = Buffer.from(text);
    const file = join(dir, 'doc.json');
    writeFileSync(file, bytes);
    const time = pairedCalls(() => PARSERS['JSON.parse'](bytes), () => PARSERS.parseJsonSafe(bytes), 9);
    const memory = { 'JSON.parse': [], parseJsonSafe: [] };
    const retained = { 'JSON.parse': [], parseJsonSafe: [] };
    for (let round = 0; round < MEMORY_ROUNDS; round += 1) {
      const order = round % 2 === 0 ? ['JSON.parse', 'parseJsonSafe'] : ['parseJsonSafe', 'JSON.parse'];
      for (const parser of order) {
        const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', self, '--child', parser, file], { encoding: 'utf8' }));
        memory[parser].push(out.peakKiB);
        retained[parser].push(out.retainedKiB);
      }
    }
    const peak = { base: median(memory['JSON.parse']), cand: median(memory.parseJsonSafe) };
    const kept = { base: median(retained['JSON.parse']), cand: median(retained.parseJsonSafe) };
    large.push({
      shape: `${shape} (${formatNumber(bytes.length / 1e6, 1)} MB)`,
      'JSON.parse ms': formatNumber(time.baseMs, 0),
      'time ratio': `${formatNumber(time.ratio)}x`,
      'JSON.parse peak MiB': formatNumber(peak.base / 1024, 0),
      'parseJsonSafe peak MiB': formatNumber(peak.cand / 1024, 0),
      'peak ratio': `${formatNumber(peak.cand / peak.base)}x`,
      'retained ratio': `${formatNumber(kept.cand / kept.base)}x`,
      worst: Math.max(time.ratio, peak.cand / peak.base),
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
printTable(
  `parseJsonSafe vs JSON.parse on large documents, bytes in (time: medians of 9 paired parses; peak: medians of ${MEMORY_ROUNDS} fresh processes each)`,
  ['shape', 'JSON.parse ms', 'time ratio', 'JSON.parse peak MiB', 'parseJsonSafe peak MiB', 'peak ratio', 'retained ratio'],
  large,
);
const worst = Math.max(...large.map((row) => row.worst));
console.log(`\nTarget: parseJsonSafe within ${LARGE_TARGET}x of JSON.parse in time and peak memory on every shape: ${worst <= LARGE_TARGET ? 'met' : 'NOT met'} (worst ${formatNumber(worst)}x).`);
