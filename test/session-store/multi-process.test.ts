import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSessionStore } from '../../src/session-store/index.js';
import { useTempDirs } from '../support/tmp.js';

const WORKER = new URL('./fixtures/worker.mjs', import.meta.url).pathname;

function runWorker(args: string[]): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args]);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() as string) as Record<string, number>) : reject(new Error(`worker ${code}: ${err}`))));
  });
}

describe('several processes on one store', () => {
  const tempDir = useTempDirs();

  it('4 processes x 100 read-modify-write updates on 3 shared keys lose nothing', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const keys = ['k1', 'k2', 'k3'];
    const results = await Promise.all([0, 1, 2, 3].map((id) => runWorker(['update', path, String(id), '100', keys.join(',')])));
    const store = await openSessionStore(path, { fsync: false });
    let total = 0;
    for (const key of keys) {
      const expected = results.reduce((sum, result) => sum + (result[key] ?? 0), 0);
      expect((await store.get(key))?.['a']).toBe(expected);
      total += expected;
    }
    expect(total).toBe(400);
    await store.close();
  });

  it('updateMany in one process concurrent with update() in others loses neither', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const keys = ['x', 'y', 'z'];
    const results = await Promise.all([
      runWorker(['update', path, '0', '60', keys.join(',')]),
      runWorker(['update', path, '1', '60', keys.join(',')]),
      runWorker(['many', path, '2', '40', keys.join(',')]),
    ]);
    const store = await openSessionStore(path, { fsync: false });
    for (const key of keys) {
      const entry = await store.get(key);
      expect(entry?.['a']).toBe((results[0]?.[key] ?? 0) + (results[1]?.[key] ?? 0));
      expect(entry?.['b']).toBe(40);
    }
    await store.close();
  });

  it('a write in another process is visible to the very next read here', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const store = await openSessionStore(path, { fsync: false });
    expect(await store.loadAll()).toEqual(Object.create(null));
    for (let round = 1; round <= 3; round += 1) {
      await runWorker(['update', path, '0', '1', 'seen']);
      expect((await store.loadAll())['seen']).toEqual({ a: round });
      expect((await store.get('seen'))?.['a']).toBe(round);
    }
    await store.close();
  });
});
