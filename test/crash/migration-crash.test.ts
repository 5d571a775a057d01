// SIGKILL a migrating child process at random instants spread over a migration's whole
// duration. After each kill, openSessionStore in this process must either finish the migration
// or roll it back and redo it: all 1,500 entries present with the right content, the legacy file
// in exactly one byte-identical backup, no staging directory left. fsync stays on (the default).
// The 20-trial run uses a tmpfs when there is one (see fastCrashRoot); HARDFS_CRASH_DISK_TRIALS=n
// repeats it on the real disk under os.tmpdir(), where every staged file costs a real flush.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempFileName } from '../../src/index.js';
import { openSessionStore, type SessionEntry } from '../../src/session-store/index.js';
import { tmpdir } from 'node:os';
import { fastCrashRoot, sleep, start, useTempDirsUnder } from './child-process.js';

const MIGRATE = new URL('./fixtures/migrate-child.mjs', import.meta.url).pathname;
const ENTRIES = 1_500;
/** Children migrate side by side to fit the time budget; the duration is measured the same way. */
const PARALLEL = 2;
const FAST_ROOT = fastCrashRoot();
const variants: Array<[string, string, number]> = [[`${FAST_ROOT} (fsync on)`, FAST_ROOT, 20]];
// On a real disk one migration flushes 1,500 files (6–17 s measured on a 2-CPU VM), far past the
// suite's time budget for 20 trials: opt in with HARDFS_CRASH_DISK_TRIALS=<n>.
const DISK_TRIALS = Number(process.env['HARDFS_CRASH_DISK_TRIALS'] ?? 0);
if (FAST_ROOT !== tmpdir() && DISK_TRIALS > 0) variants.push([`${tmpdir()} on disk (fsync on)`, tmpdir(), DISK_TRIALS]);

function legacyStore(): Record<string, SessionEntry> {
  const store: Record<string, SessionEntry> = {};
  for (let i = 0; i < ENTRIES; i += 1) {
    // mostly ordinary keys, some hostile ones (already normalized: lower-case, trimmed)
    const key = i % 100 === 7 ? `a/../b\0${i}` : i % 100 === 42 ? `${'k'.repeat(400)}${i}` : `agent:main:s${i}`;
    store[key] = { updatedAt: 1_700_000_000_000 + i, i, note: `entry ${i}` };
  }
  return store;
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

type State = 'legacy only' | 'staging' | 'published, legacy not yet backed up' | 'complete';

function stateOf(base: string): State {
  const legacy = existsSync(join(base, 'sessions.json'));
  if (!legacy) return 'complete';
  if (existsSync(join(base, 'sessions.d'))) return 'published, legacy not yet backed up';
  if (existsSync(join(base, 'sessions.d.migrating'))) return 'staging';
  return 'legacy only';
}

async function expectMigratedCompletely(base: string, legacy: Record<string, SessionEntry>, legacyText: string): Promise<void> {
  const path = join(base, 'sessions.json');
  const warnings: string[] = [];
  const store = await openSessionStore(path, { staleTempMs: 0, logger: { warn: (message) => warnings.push(message) } });
  try {
    const all = await store.loadAll();
    expect(Object.keys(all)).toHaveLength(ENTRIES);
    expect(all).toEqual(legacy);
    // nothing was quarantined (no torn file), every warning is a crash leftover being cleaned
    for (const message of warnings) expect(message).toMatch(/temp file|staging/);
  } finally {
    await store.close();
  }
  const names = readdirSync(base);
  expect(names).not.toContain('sessions.d.migrating');
  expect(names).not.toContain('sessions.json');
  // The killed run's locks (its own and the legacy writer's, held by a dead pid) were taken over
  // by the recovering open and released: none is left for a gateway to wait on.
  expect(names).not.toContain('sessions.json.lock');
  expect(names).not.toContain('.sessions.migrate.lock');
  const backups = names.filter((name) => name.startsWith('sessions.json.bak.'));
  expect(backups).toHaveLength(1);
  expect(readFileSync(join(base, backups[0] as string), 'utf8')).toBe(legacyText);
  const inside = readdirSync(join(base, 'sessions.d'));
  expect(inside.filter(isTempFileName)).toEqual([]);
  expect(inside).not.toContain('.quarantine');
  expect(inside.filter((name) => name.endsWith('.json') && !name.startsWith('.'))).toHaveLength(ENTRIES);
}

describe.each(variants)('SIGKILL during migration, stores under %s', (_label, root, TRIALS) => {
  const tempDir = useTempDirsUnder(root);

  it(`${TRIALS} kills at random instants of a ${ENTRIES}-entry migration: the next open finishes or rolls back, losing nothing`, async () => {
    const legacy = legacyStore();
    const legacyText = JSON.stringify(legacy);
    const prepare = async (): Promise<string> => {
      const base = await tempDir();
      writeFileSync(join(base, 'sessions.json'), legacyText, { mode: 0o600 });
      return base;
    };

    // 1. How long does one migration take, un-killed, with PARALLEL of them side by side?
    const durations = await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        const base = await prepare();
        const run = start(MIGRATE, [join(base, 'sessions.json')]);
        await run.waitFor((line) => line === 'start');
        const began = performance.now();
        await run.waitFor((line) => line.startsWith('{')); // printed right after the backup rename
        const took = performance.now() - began;
        expect(await run.exited).toEqual({ code: 0, signal: null });
        expect(JSON.parse(run.lines[1] as string)).toEqual({ migrated: true, entries: ENTRIES, mode: 'fresh' });
        await expectMigratedCompletely(base, legacy, legacyText);
        return took;
      }),
    );
    // The shortest run; lowered further whenever a trial's child finishes before its kill, so
    // that kills keep landing inside migrations when the machine gets less loaded.
    let duration = Math.min(...durations);

    // 2. Kill at random instants across that duration (a little past it, to hit the final renames).
    const states: State[] = [];
    for (let batch = 0; batch < Math.ceil(TRIALS / PARALLEL); batch += 1) {
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          const base = await prepare();
          const run = start(MIGRATE, [join(base, 'sessions.json')]);
          await run.waitFor((line) => line === 'start');
          const began = performance.now();
          run.waitFor((line) => line.startsWith('{')).then(
            () => (duration = Math.min(duration, performance.now() - began)),
            () => undefined, // killed first: the usual case
          );
          await sleep(Math.random() * duration * 1.1);
          run.kill();
          const exit = await run.exited;
          const state = stateOf(base);
          if (exit.signal === null) expect(state).toBe('complete');
          states.push(state);
          await expectMigratedCompletely(base, legacy, legacyText);
        }),
      );
    }
    expect(states).toHaveLength(TRIALS);
    console.info(`[migration-crash ${root}] ${Math.min(...durations).toFixed(0)} → ${duration.toFixed(0)} ms per migration; states at kill: ${JSON.stringify(countBy(states))}`);
    // The kills did land inside migrations, not only after they had finished.
    expect(states.filter((state) => state !== 'complete').length).toBeGreaterThan(0);
  }, 150_000);
});

describe('the crash window between publishing and backing up', () => {
  const tempDir = useTempDirsUnder(FAST_ROOT);

  it('simulated exactly (directory complete, legacy file back, a torn staging dir): the next open recovers', async () => {
    const legacy = legacyStore();
    const legacyText = JSON.stringify(legacy);
    // A complete migration, then the legacy file put back: the state a kill between the
    // staging rename and the backup rename leaves.
    const base = await tempDir();
    writeFileSync(join(base, 'sessions.json'), legacyText);
    const run = start(MIGRATE, [join(base, 'sessions.json')]);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const [backup] = readdirSync(base).filter((name) => name.startsWith('sessions.json.bak.'));
    renameSync(join(base, backup as string), join(base, 'sessions.json'));
    // …plus a half-written staging dir from yet another crashed attempt.
    mkdirSync(join(base, 'sessions.d.migrating'));
    writeFileSync(join(base, 'sessions.d.migrating', 'torn.json'), '{"v":1,"key":"to');
    expect(stateOf(base)).toBe('published, legacy not yet backed up');
    await expectMigratedCompletely(base, legacy, legacyText);
  }, 60_000);
});
