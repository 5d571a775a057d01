// Several processes on one store: no lost update, and a commit in one process is visible to the
// very next read in another (no TTL cache). Children run the built package (npx tsup first).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { openSessionStore, type SessionEntry } from '../../src/session-store/index.js';
import { useTempDirs } from '../support/tmp.js';

const CLIENT = new URL('./fixtures/store-client.mjs', import.meta.url).pathname;
const quiet = { warn: (): void => undefined };
const tempDir = useTempDirs();

interface Client {
  child: ChildProcessWithoutNullStreams;
  /** The next stdout line. */
  next(): Promise<string>;
  stderr(): string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcessWithoutNullStreams>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

async function startClient(args: string[]): Promise<Client> {
  const child = spawn(process.execPath, [CLIENT, ...args]);
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const client: Client = {
    child,
    async next() {
      const line = await lines.next();
      if (line.done) throw new Error(`client exited (${String(await exited)}): ${stderr}`);
      return line.value as string;
    },
    stderr: () => stderr,
    exited,
  };
  expect(await client.next()).toBe('ready');
  return client;
}

interface CountReport {
  committed: Record<string, number>;
  mutatorRuns: number;
}

/** Starts every counting client, releases them together, and collects their reports. */
async function runCounters(path: string, specs: Array<{ mode: 'update' | 'many'; field: string; iterations: number; keys: string[] }>): Promise<CountReport[]> {
  const clients = await Promise.all(specs.map((spec) => startClient([path, 'count', spec.mode, spec.field, String(spec.iterations), spec.keys.join(',')])));
  for (const client of clients) client.child.stdin.end('go\n');
  return Promise.all(
    clients.map(async (client) => {
      const report = JSON.parse(await client.next()) as CountReport;
      expect(await client.exited).toBe(0);
      expect(client.stderr()).toBe('');
      return report;
    }),
  );
}

function sumFor(reports: CountReport[], key: string): number {
  return reports.reduce((sum, report) => sum + (report.committed[key] ?? 0), 0);
}

describe('several processes on one store', () => {
  it('4 processes x 100 read-modify-write updates on 3 shared keys: exactly 400, per key as reported', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const keys = ['agent:main:a', 'agent:main:b', 'agent:main:c'];
    const reports = await runCounters(path, [0, 1, 2, 3].map(() => ({ mode: 'update' as const, field: 'n', iterations: 100, keys })));
    for (const report of reports) expect(Object.values(report.committed).reduce((a, b) => a + b, 0)).toBe(100);
    const store = await openSessionStore(path, { fsync: false, logger: quiet });
    let total = 0;
    for (const key of keys) {
      const n = (await store.get(key))?.['n'];
      expect(n).toBe(sumFor(reports, key));
      total += n as number;
    }
    expect(total).toBe(400);
    const all = await store.loadAll();
    expect(Object.keys(all).sort()).toEqual([...keys].sort());
    await store.close();
  });

  it('updateMany in some processes concurrent with update() in others loses neither side', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const keys = ['x', 'y', 'z'];
    const reports = await runCounters(path, [
      { mode: 'update', field: 'a', iterations: 100, keys },
      { mode: 'update', field: 'a', iterations: 100, keys },
      { mode: 'many', field: 'b', iterations: 40, keys },
      { mode: 'many', field: 'b', iterations: 40, keys },
    ]);
    const updates = reports.slice(0, 2);
    const store = await openSessionStore(path, { fsync: false, logger: quiet });
    let totalA = 0;
    for (const key of keys) {
      const entry = (await store.get(key)) as SessionEntry;
      expect(entry['a']).toBe(sumFor(updates, key));
      expect(entry['b']).toBe(80);
      totalA += entry['a'] as number;
    }
    expect(totalA).toBe(200);
    await store.close();
  });

  it('a commit in another process is visible to the very next get / loadAll here (no TTL)', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const store = await openSessionStore(path, { fsync: false, logger: quiet });
    const client = await startClient([path, 'serve']);
    const ask = async (request: object): Promise<unknown> => {
      client.child.stdin.write(`${JSON.stringify(request)}\n`);
      const reply = JSON.parse(await client.next()) as { ok: boolean; result: unknown };
      expect(reply.ok).toBe(true);
      return reply.result;
    };
    const expected = new Map<string, SessionEntry>();
    for (let round = 1; round <= 12; round += 1) {
      const key = `k${round % 3}`;
      await store.loadAll(); // this process has a warm cache before every foreign commit
      const value = { round, updatedAt: 1_700_000_000_000 + round };
      if (round % 4 === 1) {
        await ask({ op: 'update', key, value });
        expected.set(key, value);
      } else if (round % 4 === 2) {
        await ask({ op: 'many', set: { [key]: value, extra: { round } } });
        expected.set(key, value);
        expected.set('extra', { round });
      } else if (round % 4 === 3) {
        expect(await ask({ op: 'delete', key })).toBe(expected.has(key));
        expected.delete(key);
      } else {
        await ask({ op: 'update', key: key.toUpperCase(), value });
        expected.set(key, value);
      }
      expect(await store.loadAll()).toEqual(Object.fromEntries(expected));
      expect(await store.get(key)).toEqual(expected.get(key));
      expect(await store.getUpdatedAt(key)).toBe(expected.get(key)?.updatedAt);
    }

    // And the other way round: the child's warm cache sees this process's commits at once.
    for (let round = 1; round <= 5; round += 1) {
      expect(await ask({ op: 'loadAll' })).toEqual(Object.fromEntries(expected));
      const value = { parent: round };
      await store.update('from-parent', () => value);
      expected.set('from-parent', value);
      expect(await ask({ op: 'loadAll' })).toEqual(Object.fromEntries(expected));
      expect(await ask({ op: 'get', key: 'from-parent' })).toEqual(value);
    }
    client.child.stdin.end();
    expect(await client.exited).toBe(0);
    await store.close();
  });
});
