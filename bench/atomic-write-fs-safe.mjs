// Child of bench/atomic-write.mjs, run under Node 22 (what @openclaw/fs-safe requires): one
// measured run of fs-safe's root().write with the same payload, printed as one JSON line.
import { measure } from './lib/stats.mjs';

const [dir, rawConfig] = process.argv.slice(2);
const config = JSON.parse(rawConfig);
const { root } = await import(config.module);
const fs = await root(dir);
const m = await measure((worker, i) => fs.write(`w${worker}-${i % 8}.json`, config.payload, { durable: config.fsync, mode: 0o600 }), config);
const mechanism = fs.containment ? JSON.stringify(fs.containment) : 'unknown';
console.log(JSON.stringify({ opsPerSec: m.opsPerSec, latencies: m.latencies, mechanism }));
