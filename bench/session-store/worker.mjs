// One of the 4 processes of the multi-process benchmark: updates its own session key in a loop
// for a fixed time against one system, then prints {latencies, elapsedMs} as one JSON line.
import { openSessionStore } from '../../dist/session-store/index.js';
import { measureFor } from '../lib/stats.mjs';
import { openFloor } from './floor.mjs';
import { LegacyStore } from './legacy-store.mjs';
import { bump, makeEntry } from './shapes.mjs';

const [system, target, key, durationMs, bytes] = process.argv.slice(2);
const size = Number(bytes);
const options = { concurrency: 1, durationMs: Number(durationMs), minOps: 2 };
let result;
if (system === 'directory') {
  const store = await openSessionStore(target);
  result = await measureFor(() => store.update(key, (e) => bump(e ?? makeEntry(0, size))), options);
  await store.close();
} else if (system === 'legacy') {
  const store = new LegacyStore(target);
  result = await measureFor(() => store.update(key, (e) => bump(e ?? makeEntry(0, size))), options);
} else {
  const floor = await openFloor(target);
  const text = JSON.stringify(makeEntry(0, size));
  result = await measureFor(() => floor.write(`${key}.json`, text), options);
  await floor.close();
}
console.log(JSON.stringify({ latencies: result.latencies, elapsedMs: result.elapsedMs }));
