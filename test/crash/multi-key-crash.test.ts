// updateMany is all-or-nothing across crashes (issue 12 guarantee 1): a writer of multi-key
// commits (2 or 3 keys each, 2 KiB and 64 KiB entries, fsync on) is SIGKILLed at random
// instants while this process — another process — keeps reading. Invariants: the sum over the
// keys never changes, in what the reader saw during the commits and in what a fresh open reads
// after the kill; every key written by commit s is seen with seq >= s together with every other
// key of that commit; every commit the writer reported is there. Trials: HARDFS_CRASH_TRIALS
// (default 50, half with each entry size).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { fastCrashRoot, sleep, start, useTempDirsUnder } from './child-process.js';

const CHILD = new URL('./fixtures/multi-key-child.mjs', import.meta.url).pathname;
const TRIALS = Number(process.env['HARDFS_CRASH_TRIALS'] ?? 50);
const KEYS = ['k0', 'k1', 'k2', 'k3'];

type Entry = { n: number; seq: number };

/** Commit s touched these keys (the fixture's rule). */
function touchedBy(seq: number): string[] {
  const from = KEYS[seq % 4] as string;
  const to = KEYS[(seq + 1 + (seq % 3)) % 4] as string;
  const third = seq % 5 === 0 ? KEYS[(seq + 3) % 4] : undefined;
  return [...new Set([from, to, third].filter((key): key is string => key !== undefined))];
}

/** Checks one whole view of the store; returns what is wrong, or undefined. */
function problemIn(all: Readonly<Record<string, Entry>>): string | undefined {
  const keys = Object.keys(all).sort();
  if (keys.join() !== KEYS.join()) return `keys ${keys.join()}`;
  const sum = KEYS.reduce((total, key) => total + (all[key] as Entry).n, 0);
  if (sum !== 400) return `sum ${sum}`;
  // The newest commit seen on any key must be seen on all of its keys.
  for (const key of KEYS) {
    const seq = (all[key] as Entry).seq;
    if (seq === 0) continue;
    for (const other of touchedBy(seq)) {
      if ((all[other] as Entry).seq < seq) return `commit ${seq} seen on ${key} but not on ${other}`;
    }
  }
  return undefined;
}

describe('SIGKILL during multi-key commits', () => {
  const tempDir = useTempDirsUnder(fastCrashRoot());

  it(`${TRIALS} trials: every commit whole or absent, for a concurrent reader and after the crash`, async () => {
    let acknowledged = 0;
    let viewsChecked = 0;
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const dir = join(await tempDir(), 'store');
      const pad = trial % 2 === 0 ? 2 * 1024 : 64 * 1024;
      const run = start(CHILD, [dir, String(pad)]);
      await run.waitFor((line) => line === 'start');
      const reader: Store<Entry> = await openStore<Entry>(dir, { create: false, staleTempMs: 60_000 });
      const killAt = performance.now() + Math.random() * 250;
      while (performance.now() < killAt) {
        const problem = problemIn(await reader.loadAll());
        expect(problem, `trial ${trial} (${pad} B), during the commits`).toBeUndefined();
        viewsChecked += 1;
        await sleep(Math.random() * 5);
      }
      run.kill();
      expect((await run.exited).signal).toBe('SIGKILL');

      // After the kill: the reader that was watching and a store opened now agree and are whole.
      const fresh = await openStore<Entry>(dir, { create: false, staleTempMs: 60_000 });
      const after = await fresh.loadAll();
      expect(problemIn(after), `trial ${trial} (${pad} B), after the kill`).toBeUndefined();
      expect(await reader.loadAll()).toEqual(after);
      for (const key of KEYS) expect(await fresh.get(key)).toEqual(after[key]);
      const reported = run.lines.filter((line) => line.startsWith('c ')).map((line) => Number(line.split(' ')[1]));
      const last = reported.at(-1);
      if (last !== undefined) {
        acknowledged += 1;
        for (const key of touchedBy(last)) expect((after[key] as Entry).seq).toBeGreaterThanOrEqual(last);
      }
      // Nothing of the commit in flight is left behind once a store has opened.
      expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.txn'))).toEqual([]);
      await fresh.close();
      await reader.close();
    }
    expect(viewsChecked).toBeGreaterThan(TRIALS);
    expect(acknowledged).toBeGreaterThan(TRIALS / 2);
  }, 600_000);
});
