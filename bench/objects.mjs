// bench/objects: encodeKey/decodeKey throughput, and parseJsonSafe against JSON.parse on a
// 2 KiB and a 100 KiB session-like entry (medians of several rounds, ratio in the same run).
import { decodeKey, encodeKey, parseJsonSafe } from '../dist/index.js';
import { makeEntry } from './session-store/shapes.mjs';
import { formatNumber, median, printTable, roundsFromEnv } from './lib/stats.mjs';

const ROUNDS = roundsFromEnv(7);

function opsPerSec(fn, minMs = 300) {
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < minMs) {
    for (let i = 0; i < 64; i += 1) fn(ops + i);
    ops += 64;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

const keys = Array.from({ length: 1024 }, (_, i) =>
  i % 4 === 0 ? `agent:main:telegram:${i}` : i % 4 === 1 ? `Agent/Main/${i}/Ünïcode-${i}` : i % 4 === 2 ? `${'long-'.repeat(60)}${i}` : `s${i}`,
);
const stems = keys.map(encodeKey);
const texts = { '2 KiB entry': JSON.stringify(makeEntry(1, 2 * 1024)), '100 KiB entry': JSON.stringify(makeEntry(2, 100 * 1024)) };

const rows = [];
const codec = { encodeKey: [], decodeKey: [] };
const parse = Object.fromEntries(Object.keys(texts).map((name) => [name, { json: [], safe: [] }]));
for (let round = 0; round < ROUNDS; round += 1) {
  codec.encodeKey.push(opsPerSec((i) => encodeKey(keys[i & 1023])));
  codec.decodeKey.push(opsPerSec((i) => decodeKey(stems[i & 1023])));
  for (const [name, text] of Object.entries(texts)) {
    // Alternate which goes first so neither always runs on a warmer or colder heap.
    const order = round % 2 === 0 ? ['json', 'safe'] : ['safe', 'json'];
    for (const which of order) {
      parse[name][which].push(opsPerSec(which === 'json' ? () => JSON.parse(text) : () => parseJsonSafe(text)));
    }
  }
}
for (const [name, samples] of Object.entries(codec)) rows.push({ operation: name, 'ops/s': formatNumber(median(samples)), ratio: '' });
for (const [name, { json, safe }] of Object.entries(parse)) {
  rows.push({ operation: `JSON.parse, ${name}`, 'ops/s': formatNumber(median(json)), ratio: '1.00x' });
  rows.push({ operation: `parseJsonSafe, ${name}`, 'ops/s': formatNumber(median(safe)), ratio: `${formatNumber(median(json) / median(safe))}x the time` });
}
printTable(`Objects and codec (median of ${ROUNDS} rounds)`, ['operation', 'ops/s', 'ratio'], rows);
console.log('\nTarget: parseJsonSafe within 2.5x of JSON.parse on both entries.');
