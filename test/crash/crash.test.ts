import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSessionStore } from '../../src/session-store/index.js';
import { useTempDirs } from '../support/tmp.js';

const MIGRATE = new URL('./fixtures/migrate.mjs', import.meta.url).pathname;
const BURST = new URL('./fixtures/update-burst.mjs', import.meta.url).pathname;
const quiet = { warn: () => undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  lines: string[];
  exited: Promise<number | null>;
  kill(): void;
}

async function start(script: string, args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [script, ...args]);
  const lines: string[] = [];
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() as string;
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  while (!lines.includes('start')) {
    if (child.exitCode !== null) break;
    await sleep(2);
  }
  return { lines, exited, kill: () => child.kill('SIGKILL') };
}

const ENTRIES = 1500;
function legacyStore(): Record<string, { updatedAt: number; i: number; note: string }> {
  const store: Record<string, { updatedAt: number; i: number; note: string }> = {};
  for (let i = 0; i < ENTRIES; i += 1) store[`agent:main:s${i}`] = { updatedAt: 1_700_000_000_000 + i, i, note: `entry ${i}` };
  return store;
}

describe('SIGKILL at random instants', () => {
  const tempDir = useTempDirs();

  it('during migration (20 trials, 1,500 entries): the next open finishes or rolls back, losing nothing', { timeout: 300_000 }, async () => {
    const legacy = legacyStore();
    const text = JSON.stringify(legacy);
    // Time one uninterrupted migration to spread the kills over its whole duration.
    const probe = join(await tempDir(), 'sessions.json');
    writeFileSync(probe, text);
    const t0 = performance.now();
    const full = await start(MIGRATE, [probe]);
    expect(await full.exited).toBe(0);
    const duration = performance.now() - t0;

    const outcomes = { killedMidway: 0, finishedBeforeKill: 0 };
    for (let trial = 0; trial < 20; trial += 1) {
      const base = await tempDir();
      const path = join(base, 'sessions.json');
      writeFileSync(path, text);
      const run = await start(MIGRATE, [path]);
      await sleep(Math.random() * duration);
      run.kill();
      const code = await run.exited;
      if (code === 0) outcomes.finishedBeforeKill += 1;
      else outcomes.killedMidway += 1;

      const store = await openSessionStore(path, { logger: quiet, fsync: false });
      const all = await store.loadAll();
      expect(Object.keys(all)).toHaveLength(ENTRIES);
      for (const [key, value] of Object.entries(legacy)) expect(all[key]).toEqual(value);
      expect(existsSync(join(base, 'sessions.d.migrating'))).toBe(false);
      expect(existsSync(path)).toBe(false); // the legacy file ended in its backup
      expect(readdirSync(base).filter((name) => name.startsWith('sessions.json.bak.')).length).toBeGreaterThanOrEqual(1);
      await store.close();
    }
    expect(outcomes.killedMidway).toBeGreaterThan(0);
  });

  it('during update bursts: every update reported as committed is on disk after the kill', async () => {
    for (let trial = 0; trial < 5; trial += 1) {
      const path = join(await tempDir(), 'sessions.json');
      const run = await start(BURST, [path]);
      await sleep(100 + Math.random() * 400);
      run.kill();
      await run.exited;
      const committed = new Map<string, number>();
      for (const line of run.lines) {
        const [key, i] = line.split(' ');
        if (key?.startsWith('k') && i !== undefined) committed.set(key, Number(i));
      }
      expect(committed.size).toBeGreaterThan(0);
      const store = await openSessionStore(path, { logger: quiet });
      for (const [key, i] of committed) {
        const entry = await store.get(key);
        // the last reported value, or a later one whose report the kill cut off
        expect(entry?.['i']).toBeGreaterThanOrEqual(i);
      }
      expect(Object.keys(await store.loadAll()).length).toBeGreaterThanOrEqual(committed.size);
      await store.close();
    }
  });
});
