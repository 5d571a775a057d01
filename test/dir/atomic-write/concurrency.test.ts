// Concurrent writers to one name, and readers racing a writer: every read sees one complete
// version, the last write wins whole, and nothing is left behind.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempFileName, openDir, readFileNoFollow } from '../../../src/index.js';
import { useTempDirs } from '../../support/tmp.js';
import { MODES, descriptorsInto } from '../harness.js';
import { startAttacker } from '../../attack/race.js';

const version = (i: number): string => JSON.stringify({ i, pad: 'p'.repeat(20_000 + i) });

function assertWholeVersion(text: string): number {
  const value = JSON.parse(text) as { i: number; pad: string };
  expect(value.pad.length).toBe(20_000 + value.i);
  return value.i;
}

describe.each(MODES)('concurrency (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  it.each(['hybrid', 'async'] as const)('50 concurrent writes to one name (io: %s): exactly one whole content wins, nothing left behind', async (io) => {
    const base = await tempDir();
    writeFileSync(join(base, 'shared'), 'initial');
    const dir = await openDir(base, { resolution, io });
    // distinct contents and sizes, some over the 256 KiB inline limit (thread-pool path)
    const contents = Array.from({ length: 50 }, (_, i) => `${i}:`.padEnd(i % 5 === 0 ? 300_000 + i : 4096 + i, String.fromCharCode(97 + (i % 26))));
    const results = await Promise.allSettled(contents.map((content, i) => dir.writeFileAtomic('shared', content, { fsync: i % 2 === 0 })));
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const final = readFileSync(join(base, 'shared'), 'utf8');
    expect(contents.filter((content) => content === final)).toHaveLength(1);
    expect(readdirSync(base)).toEqual(['shared']);
    expect(descriptorsInto(base)).toEqual([base]);
    await dir.close();
  });

  it('readers in this process never see a partial file while a writer rewrites it', async () => {
    const base = await tempDir();
    // io: 'async' puts reads and writes on the thread pool, where they really overlap
    const dir = await openDir(base, { resolution, io: 'async' });
    await dir.writeFileAtomic('doc', version(0));
    let writing = true;
    const seen = new Set<number>();
    let reads = 0;
    const reader = async (): Promise<void> => {
      while (writing) {
        const text = reads % 2 === 0 ? (await dir.readFile('doc')).toString() : (await readFileNoFollow(join(base, 'doc'), { resolution, io: 'async' })).toString();
        reads += 1;
        seen.add(assertWholeVersion(text));
      }
    };
    const writer = async (): Promise<void> => {
      try {
        for (let i = 1; i <= 200; i += 1) await dir.writeFileAtomic('doc', version(i), { fsync: false });
      } finally {
        writing = false;
      }
    };
    await Promise.all([writer(), reader(), reader(), reader()]);
    expect(assertWholeVersion(readFileSync(join(base, 'doc'), 'utf8'))).toBe(200);
    expect(seen.size).toBeGreaterThan(1); // the readers really raced the writer
    expect(reads).toBeGreaterThan(0);
    expect(readdirSync(base)).toEqual(['doc']);
    await dir.close();
  });

  it('a reader in another process (built package and plain fs) never sees a partial file', async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution });
    await dir.writeFileAtomic('doc', version(0));
    const reader = await startAttacker('reader.mjs', [base, resolution], join(base, 'doc.done'));
    for (let i = 1; i <= 300; i += 1) await dir.writeFileAtomic('doc', version(i), { fsync: false });
    const report = await reader.stop();
    await dir.close();
    expect(report['bad']).toBe(0);
    expect(report['reads']).toBeGreaterThan(0);
    expect(report['distinct']).toBeGreaterThan(1); // the race really ran
    expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
  });
});
