// A commit on a full disk (issue 10 item 3), on a real tmpfs filled to the byte: an operation
// reported failed has not taken effect (or says possiblyApplied), and no process's cache — this
// one, or a long-lived reader in another process — keeps a value that differs from the files.
import { appendFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPossiblyApplied, openStore } from '../../src/store/index.js';
import { mountSmallDisk, smallDiskSkipReason, type SmallDisk } from '../support/full-disk.js';
import { caught } from '../support/tmp.js';
import { start, type Run } from '../crash/child-process.js';

const READER = new URL('./fixtures/reader-child.mjs', import.meta.url).pathname;
const skip = smallDiskSkipReason();
if (skip !== undefined) console.log(`full-disk tests skipped: ${skip}`);

const disks: SmallDisk[] = [];
const runs: Run[] = [];
afterEach(() => {
  for (const run of runs.splice(0)) run.kill();
  for (const disk of disks.splice(0)) disk.unmount();
});

async function ask(run: Run, command: object): Promise<{ ok: boolean; value?: unknown; code?: string }> {
  const before = run.lines.length;
  run.child.stdin.write(`${JSON.stringify(command)}\n`);
  await run.waitFor(() => run.lines.length > before);
  return JSON.parse(run.lines[before] as string) as { ok: boolean; value?: unknown; code?: string };
}

/** Pads the change log with one harmless record up to a page boundary: the next append needs a new page. */
function padChangeLogToPage(dir: string): void {
  const path = join(dir, '.changes');
  let missing = (4096 - (statSync(path).size % 4096)) % 4096;
  if (missing < 7) missing += 4096;
  // Records naming an entry file that does not exist: a reader finds nothing to re-read.
  let pad = '';
  while (missing > 0) {
    let length = Math.min(missing, 150);
    if (missing - length > 0 && missing - length < 7) length -= 7;
    pad += `${'p'.repeat(length - '.json\n'.length)}.json\n`;
    missing -= length;
  }
  appendFileSync(path, pad);
}

describe.skipIf(skip !== undefined)('a full disk', () => {
  it('at the change-log append: update of a new key and of an existing key reject ENOSPC, not applied, caches equal the files', async () => {
    const disk = mountSmallDisk(2 * 1024 * 1024);
    disks.push(disk);
    const dir = join(disk.path, 'store');
    const store = await openStore(dir, { logger: { warn: () => undefined } });
    await store.update('a', () => ({ n: 1 }));
    const reader = start(READER, [dir]);
    runs.push(reader);
    await reader.waitFor((line) => line === 'ready');
    expect((await ask(reader, { op: 'loadAll' })).value).toEqual({ a: { n: 1 } });

    padChangeLogToPage(dir);
    expect(statSync(join(dir, '.changes')).size % 4096).toBe(0);
    disk.fill();
    for (const [key, mutator] of [
      ['newkey', () => ({ n: 1 })],
      ['a', () => ({ n: 2 })],
    ] as const) {
      const error = await caught(store.update(key, mutator));
      expect(error.code).toBe('ENOSPC');
      expect(isPossiblyApplied(error)).toBe(false);
    }
    const deleteError = await caught(store.delete('a'));
    expect(deleteError.code).toBe('ENOSPC');
    const manyError = await caught(store.updateMany((record) => {
      record['x'] = { n: 1 };
      record['y'] = { n: 1 };
    }));
    expect(manyError.code).toBe('ENOSPC');
    // Not applied: the files, this process and the other process all say so.
    expect(await store.get('newkey')).toBeUndefined();
    expect(await store.get('a')).toEqual({ n: 1 });
    expect(await store.loadAll()).toEqual({ a: { n: 1 } });
    expect((await ask(reader, { op: 'loadAll' })).value).toEqual({ a: { n: 1 } });

    // Space again: the next commits are seen everywhere, and nothing of the failed ones appears.
    disk.free();
    await store.update('b', () => ({ n: 1 }));
    expect((await ask(reader, { op: 'loadAll' })).value).toEqual({ a: { n: 1 }, b: { n: 1 } });
    const fresh = await openStore(dir, { create: false });
    expect({ ...(await fresh.loadAll()) }).toEqual({ a: { n: 1 }, b: { n: 1 } });
    await fresh.close();
    await store.close();
  });

  it('anywhere else in a commit (temp files, staged files, the intent): rejected and not applied, or applied everywhere', async () => {
    const disk = mountSmallDisk(2 * 1024 * 1024);
    disks.push(disk);
    const dir = join(disk.path, 'store');
    const store = await openStore(dir, { logger: { warn: () => undefined } });
    await store.updateMany((record) => {
      for (const key of ['a', 'b', 'c']) record[key] = { n: 1, pad: 'x'.repeat(3000) };
    });
    const reader = start(READER, [dir]);
    runs.push(reader);
    await reader.waitFor((line) => line === 'ready');
    await ask(reader, { op: 'loadAll' });
    disk.fill();
    // Each attempt fails at whatever step first needs space; the change log may still have room.
    let outcome = 0;
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const error = await caught(store.updateMany((record) => {
        for (const key of ['a', 'b', 'c']) record[key] = { n: 2 + attempt, pad: 'y'.repeat(3000) };
      })).catch(() => undefined);
      const files = { ...(await (await openStore(dir, { create: false })).loadAll()) };
      const seenHere = { ...(await store.loadAll()) };
      const seenThere = (await ask(reader, { op: 'loadAll' })).value;
      expect(seenHere).toEqual(files);
      expect(seenThere).toEqual(files);
      if (error !== undefined && !isPossiblyApplied(error)) {
        expect(error.code).toBe('ENOSPC');
        expect((files['a'] as { n: number }).n).toBe(outcome === 0 ? 1 : outcome);
        // The files staged side by side are all settled and removed before the rejection.
        expect(readdirSync(dir).filter((name) => name.startsWith('.staged-'))).toEqual([]);
      }
      const values = new Set(Object.values(files).map((entry) => (entry as { n: number }).n));
      expect(values.size).toBe(1); // all-or-nothing, full disk or not
      outcome = [...values][0] as number;
    }
    await store.close();
  });
});
