// The gateway and its tools write one store from several processes: through the compat entry
// point no update is lost. The child processes run the built package (dist/), as a gateway would.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSessionStore, saveSessionStore, updateSessionStoreEntry } from '../../../src/session-store/compat/index.js';
import { useCompatFixtures } from './support.js';

const { caseDir } = useCompatFixtures();
const WRITER = new URL('./fixtures/compat-writer.mjs', import.meta.url).pathname;
const KEY = 'agent:main:main';

function runWriter(storePath: string, iterations: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, storePath, KEY, String(iterations)]);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer exited ${String(code)}: ${err}`))));
  });
}

describe('several processes (the gateway beside its CLI tools)', () => {
  it('updateSessionStoreEntry and updateSessionStore from three processes and this one lose no update', async () => {
    const storePath = join(await caseDir('processes'), 'sessions.json');
    await saveSessionStore(storePath, { [KEY]: { sessionId: 's', updatedAt: 1, n: 0, m: 0 } }, { skipMaintenance: true });
    const iterations = 15;
    const local = (async () => {
      for (let i = 0; i < iterations; i += 1) {
        await updateSessionStoreEntry<{ n: number; updatedAt?: number }>({
          storePath,
          sessionKey: KEY,
          update: (entry) => ({ n: entry.n + 1 }),
          skipMaintenance: true,
          timeoutMs: 60_000,
        });
      }
    })();
    const outputs = await Promise.all([runWriter(storePath, iterations), runWriter(storePath, iterations), runWriter(storePath, iterations), local]);
    expect(outputs.slice(0, 3)).toEqual(['done\n', 'done\n', 'done\n']);
    const entry = loadSessionStore(storePath)[KEY];
    expect(entry?.['n']).toBe(4 * iterations);
    expect(entry?.['m']).toBe(3 * iterations);
  });
});
