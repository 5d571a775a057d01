// writer: 'exclusive' (issue 12 guarantee 3): one store-wide lock taken at open; commits take no
// per-key lock files; other stores read coherently; their writes are ELOCKED naming the owner;
// close releases the store for the next writer.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

describe("writer: 'exclusive'", () => {
  it('holds .locks/writer.lock while open; a second exclusive open is ELOCKED; close releases it', async () => {
    const dir = join(await tempDir(), 'store');
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive' });
    expect(readdirSync(join(dir, '.locks'))).toContain('writer.lock');
    const error = await caught(openStore(dir, { fsync: false, writer: 'exclusive', lockTimeoutMs: 100 }));
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toContain("another process is this store's writer");
    await owner.close();
    expect(readdirSync(join(dir, '.locks'))).not.toContain('writer.lock');
    const next = await openStore(dir, { fsync: false, writer: 'exclusive' });
    await next.close();
  });

  it('commits take no per-key lock file, single- and multi-key; a shared reader sees each commit on its very next read', async () => {
    const dir = join(await tempDir(), 'store');
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive' });
    const reader = await openStore(dir, { fsync: false });
    const lockNames = new Set<string>();
    const watch = setInterval(() => {
      for (const name of readdirSync(join(dir, '.locks'))) lockNames.add(name);
    }, 0);
    try {
      for (let i = 0; i < 20; i += 1) {
        await owner.update('a', () => ({ n: i }));
        expect(await reader.get('a')).toEqual({ n: i });
        expect((await reader.loadAll())['a']).toEqual({ n: i });
        await owner.updateMany((record) => {
          record['b'] = { n: i };
          record['c'] = { n: 100 - i };
        });
        const all = await reader.loadAll();
        expect([all['b'], all['c']]).toEqual([{ n: i }, { n: 100 - i }]);
      }
    } finally {
      clearInterval(watch);
    }
    expect([...lockNames].filter((name) => name.endsWith('.json.lock'))).toEqual([]);
    await reader.close();
    await owner.close();
  });

  it('a shared writer’s update, updateMany, delete and commit are ELOCKED naming the owner; nothing written', async () => {
    const dir = join(await tempDir(), 'store');
    const owner = await openStore(dir, { fsync: false, writer: 'exclusive' });
    await owner.update('a', () => ({ n: 1 }));
    const other = await openStore(dir, { fsync: false });
    for (const attempt of [
      () => other.update('a', () => ({ n: 2 })),
      () => other.updateMany((record) => void (record['x'] = { n: 1 })),
      () => other.delete('a'),
      () => other.commit(['a'], () => new Map([['a', { n: 3 }]])),
    ]) {
      const error = await caught(attempt());
      expect(error.code).toBe('ELOCKED');
      expect(error.message).toContain(`exclusive writer (pid ${process.pid}`);
      expect(error.path).toBe(join(dir, '.locks', 'writer.lock'));
    }
    expect({ ...(await other.loadAll()) }).toEqual({ a: { n: 1 } });
    await other.close();
    await owner.close();
  });
});
