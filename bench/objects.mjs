// bench/objects: encodeKey/decodeKey throughput, parseJsonSafe against JSON.parse and
// stableStringify against JSON.stringify, on a 2 KiB and a 100 KiB session-like entry.
// Each ratio is the median of paired samples (baseline and candidate measured back to back,
// in alternating order), which holds steady even when other work shares the machine.
import { decodeKey, encodeKey, parseJsonSafe, stableStringify } from '../dist/index.js';
import { makeEntry } from './session-store/shapes.mjs';
import { formatNumber, median, printTable, roundsFromEnv } from './lib/stats.mjs';

const PAIRS = roundsFromEnv(15);
const BURST_MS = 100;
const PARSE_TARGET = 2.5;

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

const parseRatios = [];
for (const [name, entry] of Object.entries(entries)) {
  const text = JSON.stringify(entry);
  const parse = paired(() => JSON.parse(text), () => parseJsonSafe(text));
  parseRatios.push(parse.ratio);
  rows.push({ operation: `JSON.parse, ${name}`, 'ops/s': formatNumber(parse.base), 'time ratio': '1.00x', 'worst pair': '' });
  rows.push({ operation: `parseJsonSafe, ${name}`, 'ops/s': formatNumber(parse.cand), 'time ratio': `${formatNumber(parse.ratio)}x`, 'worst pair': `${formatNumber(parse.worstPair)}x` });
}
for (const [name, entry] of Object.entries(entries)) {
  const stringify = paired(() => JSON.stringify(entry), () => stableStringify(entry));
  rows.push({ operation: `JSON.stringify, ${name}`, 'ops/s': formatNumber(stringify.base), 'time ratio': '1.00x', 'worst pair': '' });
  rows.push({ operation: `stableStringify, ${name}`, 'ops/s': formatNumber(stringify.cand), 'time ratio': `${formatNumber(stringify.ratio)}x`, 'worst pair': `${formatNumber(stringify.worstPair)}x` });
}

printTable(`Objects and codec (medians; ratios are medians of ${PAIRS} paired samples)`, ['operation', 'ops/s', 'time ratio', 'worst pair'], rows);
const worst = Math.max(...parseRatios);
console.log(`\nTarget: parseJsonSafe within ${PARSE_TARGET}x of JSON.parse on both entries: ${worst <= PARSE_TARGET ? 'met' : 'NOT met'} (worst ${formatNumber(worst)}x).`);
