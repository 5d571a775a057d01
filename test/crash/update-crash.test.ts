// SIGKILL a child in the middle of a burst of commits (update and multi-key updateMany, fsync
// on). Every commit it reported — it prints only after the promise resolved — must be readable
// afterwards (that value or a later one), no entry may be torn, and the store must open cleanly,
// including taking over the per-key locks the dead child may have held.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempFileName } from '../../src/index.js';
import { openSessionStore, type SessionEntry } from '../../src/session-store/index.js';
import { fastCrashRoot, sleep, start, useTempDirsUnder } from './child-process.js';

const BURST = new URL('./fixtures/update-burst-child.mjs', import.meta.url).pathname;
const KEYS = Array.from({ length: 10 }, (_, i) => `k${i}`);
const FAST_ROOT = fastCrashRoot();
const variants: Array<[string, string]> = [[`${tmpdir()} on disk`, tmpdir()]];
if (FAST_ROOT !== tmpdir()) variants.push([FAST_ROOT, FAST_ROOT]);

/** What iteration i of the child wrote, per key (see the fixture). */
function writesOf(i: number): Array<{ key: string; via: string }> {
  if (i % 7 === 3) return [{ key: `k${i % 10}`, via: 'many' }, { key: `k${(i + 5) % 10}`, via: 'many' }];
  return [{ key: `k${i % 10}`, via: 'update' }];
}

describe.each(variants)('SIGKILL during update bursts, stores under %s (fsync on)', (_label, root) => {
  const tempDir = useTempDirsUnder(root);

  it('every commit reported before the kill is on disk, and the store opens cleanly', async () => {
    let reportedTotal = 0;
    let commitLines = 0;
    let tempFilesCleaned = 0;
    for (let trial = 0; trial < 6; trial += 1) {
      const path = join(await tempDir(), 'sessions.json');
      // A long-lived reader in this process, refreshing its cache from the change log all along.
      const watcher = await openSessionStore(path, { staleTempMs: 60_000 });
      const run = start(BURST, [path]);
      await run.waitFor((line) => line === 'start');
      await run.waitFor((line) => line.startsWith('k')); // at least one commit, then a random instant
      const killAt = performance.now() + Math.random() * 400;
      while (performance.now() < killAt) {
        await watcher.loadAll();
        await sleep(Math.random() * 20);
      }
      run.kill();
      expect((await run.exited).signal).toBe('SIGKILL');
      // Whatever instant the kill hit — even between an entry's rename and its change record —
      // the warm cache converges on what a store opened now reads from scratch.
      const fresh = await openSessionStore(path, { staleTempMs: 60_000 });
      expect(await watcher.loadAll()).toEqual(await fresh.loadAll());
      await fresh.close();
      await watcher.close();

      const lastCommitted = new Map<string, number>();
      for (const line of run.lines) {
        if (line === 'start') continue;
        const match = /^(k\d) (\d+)$/.exec(line);
        expect(match).not.toBeNull();
        lastCommitted.set(match?.[1] as string, Number(match?.[2]));
      }
      reportedTotal += lastCommitted.size;
      commitLines += run.lines.length - 1;

      const warnings: string[] = [];
      const store = await openSessionStore(path, { staleTempMs: 0, lockTimeoutMs: 15_000, logger: { warn: (message) => warnings.push(message) } });
      for (const [key, i] of lastCommitted) {
        const entry = (await store.get(key)) as SessionEntry & { i: number; key: string; via: string };
        expect(entry).toBeDefined();
        expect(entry.i).toBeGreaterThanOrEqual(i); // the reported value, or a later one
        expect(entry.key).toBe(key);
        expect(writesOf(entry.i)).toContainEqual({ key, via: entry.via }); // a value really written to this key
        expect(entry['pad']).toBe('p'.repeat(200));
      }
      const all = await store.loadAll();
      for (const key of Object.keys(all)) expect(KEYS).toContain(key);
      for (const key of lastCommitted.keys()) expect(Object.keys(all)).toContain(key);
      // Nothing torn or foreign was found; a temp file of the interrupted write may be cleaned up.
      for (const message of warnings) expect(message).toMatch(/temp file/);
      tempFilesCleaned += warnings.length;
      const inside = readdirSync(store.directoryPath);
      expect(inside).not.toContain('.quarantine');
      expect(inside.filter(isTempFileName)).toEqual([]);

      // Locks the dead child held are taken over: every key can be written again, at once.
      for (const key of KEYS) {
        await store.update(key, (entry) => ({ ...entry, after: true }));
        expect((await store.get(key))?.['after']).toBe(true);
      }
      await store.close();
    }
    expect(reportedTotal).toBeGreaterThan(0);
    console.info(`[update-crash ${root}] 6 kills; ${commitLines} commits reported; ${tempFilesCleaned} interrupted temp files cleaned on open`);
  }, 120_000);
});
