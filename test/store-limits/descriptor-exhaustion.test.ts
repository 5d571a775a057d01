// Descriptor exhaustion during store commits and during migration: a child process runs with a
// real RLIMIT_NOFILE (`ulimit -n` in the shell that execs node) and fills its descriptor table
// to within `spare` descriptors before the work. Whatever fails must be reported — a HardfsError
// code or a native errno (EMFILE) — and nothing acknowledged or migrated may be lost: a store
// opened afterwards with normal limits holds every acknowledged commit (or a later attempt of
// the same key), and the legacy file is either migrated whole or left byte for byte.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateSessionStoreToDirectory, openSessionStore } from '../../src/session-store/index.js';
import { useTempDirs } from '../support/tmp.js';

const FIXTURE = new URL('./fixtures/fd-child.mjs', import.meta.url).pathname;
const LIMIT = 64;
const SPARES = [0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24];
const quiet = { warn: (): void => undefined };
const tempDir = useTempDirs();

interface OpLine {
  op: string;
  keys: string[];
  value: number | string | null;
  ok?: true;
  code?: string | null;
  name?: string;
}

async function runLimited(args: string[]): Promise<{ lines: OpLine[]; done: boolean; code: number | null; stderr: string }> {
  const child = spawn('sh', ['-c', `ulimit -n ${LIMIT}; exec "$0" "$@"`, process.execPath, FIXTURE, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const raw = out.split('\n').filter((line) => line !== '');
  return {
    lines: raw.filter((line) => line !== 'done').map((line) => JSON.parse(line) as OpLine),
    done: raw.includes('done'),
    code,
    stderr,
  };
}

/** The files in `base` named sessions.json or its backup (sessions.json.*) that hold exactly `text`. */
function legacyCopies(base: string, text: string): string[] {
  return readdirSync(base).filter((name) => {
    if (!name.startsWith('sessions.json') || name.endsWith('.lock')) return false;
    const full = join(base, name);
    return lstatSync(full).isFile() && readFileSync(full, 'utf8') === text;
  });
}

function legacyStore(count: number): string {
  const store: Record<string, unknown> = {};
  for (let i = 0; i < count; i += 1) store[`legacy-${i}`] = { updatedAt: 1_000 + i, sessionId: `s${i}`, note: 'n'.repeat(200) };
  return `${JSON.stringify(store, null, 2)}\n`;
}

describe('descriptor exhaustion (ulimit -n) during store commits', () => {
  it(
    'every operation is acknowledged or fails with a code, and every acknowledged commit survives',
    async () => {
      const path = join(await tempDir(), 'sessions.json');
      const seed = await openSessionStore(path, { logger: quiet });
      await seed.update('k0', () => ({ value: -1 }));
      await seed.close();

      /** Per key: the values of acknowledged commits and of reported failures, in order. */
      const history = new Map<string, Array<{ value: number; acknowledged: boolean }>>();
      const outcomes = { acknowledged: 0, failed: 0, codes: new Set<string>() };
      for (const [round, spare] of SPARES.entries()) {
        const run = await runLimited(['commit', path, String(spare), String(round)]);
        expect(run.stderr, `spare ${spare}`).toBe('');
        expect(run.code, `spare ${spare}: ${run.stderr}`).toBe(0);
        expect(run.done).toBe(true);
        expect(run.lines).toHaveLength(24);
        for (const line of run.lines) {
          if (line.ok === true) outcomes.acknowledged += 1;
          else {
            outcomes.failed += 1;
            // A failure is reported with a code: a HardfsError code or a native errno, never an untyped throw.
            expect(line.code, `spare ${spare}: ${JSON.stringify(line)}`).toEqual(expect.stringMatching(/^E[A-Z]+$/));
            outcomes.codes.add(line.code!);
          }
          for (const key of line.keys) {
            const list = history.get(key) ?? [];
            list.push({ value: line.value as number, acknowledged: line.ok === true });
            history.set(key, list);
          }
        }
      }
      // The limit did bite (or this test proves nothing), and some work still got through.
      expect(outcomes.failed).toBeGreaterThan(0);
      expect(outcomes.acknowledged).toBeGreaterThan(0);

      const after = await openSessionStore(path, { logger: quiet });
      try {
        for (const [key, attempts] of history) {
          const value = (await after.get(key))?.['value'];
          const lastAck = attempts.map((a) => a.acknowledged).lastIndexOf(true);
          // The acknowledged value, or one of the attempts after it (a failure may have been applied
          // — it was reported, so it is not a silent loss); never anything older.
          const allowed = attempts.slice(Math.max(0, lastAck)).map((a) => a.value);
          if (lastAck < 0) {
            if (value !== undefined) expect(allowed, key).toContain(value);
          } else {
            expect(allowed, `${key}: ${JSON.stringify(attempts)}`).toContain(value);
          }
        }
      } finally {
        await after.close();
      }
    },
    240_000,
  );
});

describe('descriptor exhaustion (ulimit -n) during migration', () => {
  it(
    'the migration completes or fails with a code, the legacy file is kept byte for byte, and no entry is lost',
    async () => {
      const text = legacyStore(40);
      const outcomes: string[] = [];
      for (const spare of SPARES) {
        const base = await tempDir();
        const path = join(base, 'sessions.json');
        await mkdir(base, { recursive: true });
        await writeFile(path, text, { mode: 0o600 });
        const run = await runLimited(['migrate', path, String(spare)]);
        expect(run.stderr, `spare ${spare}`).toBe('');
        expect(run.code, `spare ${spare}: ${run.stderr}`).toBe(0);
        expect(run.done).toBe(true);
        expect(run.lines).toHaveLength(1);
        const [line] = run.lines;
        if (line!.ok === true) outcomes.push(String(line!.value));
        else {
          expect(line!.code, `spare ${spare}: ${JSON.stringify(line)}`).toEqual(expect.stringMatching(/^E[A-Z]+$/));
          outcomes.push(line!.code!);
        }
        // The legacy bytes survive whatever happened: at sessions.json, or (once migrated) in its
        // byte-identical backup beside it.
        expect(legacyCopies(base, text), `spare ${spare}: ${JSON.stringify(line)}`).toHaveLength(1);
        if (line!.ok !== true) expect(existsSync(path), `spare ${spare}: reported failed, but the legacy file was moved`).toBe(true);

        // With normal limits the migration completes (or has completed) and holds every entry.
        await migrateSessionStoreToDirectory(path, { logger: quiet });
        const store = await openSessionStore(path, { logger: quiet });
        try {
          const all = await store.loadAll();
          for (let i = 0; i < 40; i += 1) expect(all[`legacy-${i}`], `spare ${spare}, legacy-${i}`).toMatchObject({ sessionId: `s${i}` });
        } finally {
          await store.close();
        }
        expect(legacyCopies(base, text)).toHaveLength(1);
      }
      // The limit did bite at least once, and the migration got through at least once.
      expect(outcomes.some((o) => /^E/.test(o))).toBe(true);
      expect(outcomes).toContain('migrated');
    },
    240_000,
  );
});
