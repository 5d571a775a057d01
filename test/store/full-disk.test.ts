// A commit on a full disk (issue 10 item 3), on a real tmpfs filled to the byte: an operation
// reported failed has not taken effect (or says possiblyApplied), and no process's cache — this
// one, or a long-lived reader in another process — keeps a value that differs from the files.
import { appendFileSync, closeSync, openSync, readFileSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { entryFileName, isPossiblyApplied, openStore } from '../../src/store/index.js';
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

/** Pads the change log so that exactly `room` bytes are left in its last page. */
function padChangeLogToRoom(dir: string, room: number): void {
  const path = join(dir, '.changes');
  let missing = (((4096 - (statSync(path).size % 4096) - room) % 4096) + 4096) % 4096;
  if (missing > 0 && missing < 7) missing += 4096;
  let pad = '';
  while (missing > 0) {
    let length = Math.min(missing, 150);
    if (missing - length > 0 && missing - length < 7) length -= 7;
    pad += `${'p'.repeat(length - '.json\n'.length)}.json\n`;
    missing -= length;
  }
  appendFileSync(path, pad);
  expect(4096 - (statSync(path).size % 4096)).toBe(room);
}

/** Frees exactly `pages` pages of the filled disk (the ballast ends on a page boundary). */
function freePages(disk: SmallDisk, pages: number): void {
  const ballast = join(disk.path, '.ballast');
  const size = statSync(ballast).size;
  expect(size % 4096).toBe(0);
  truncateSync(ballast, size - 4096 * pages);
}

// A shared commit's key lock files take a page each, before anything else.

describe.skipIf(skip !== undefined)('a full disk, step by step', () => {
  async function filled(options: { writer?: 'exclusive'; warnings?: { message: string; details: Record<string, unknown> | undefined }[] } = {}) {
    const disk = mountSmallDisk(1024 * 1024);
    disks.push(disk);
    const dir = join(disk.path, 'store');
    const store = await openStore(dir, {
      ...(options.writer === undefined ? {} : { writer: options.writer }),
      logger: { warn: (message, details) => void options.warnings?.push({ message, details }) },
    });
    await store.update('a', () => ({ n: 1 }));
    await store.update('b', () => ({ n: 1 }));
    await store.loadAll();
    return { disk, dir, store };
  }

  it('the temp file of a one-key commit: ENOSPC, not possibly applied (the file still holds the old text)', async () => {
    const { disk, dir, store } = await filled();
    const before = readFileSync(join(dir, entryFileName('a')), 'utf8');
    disk.fill(); // the change log keeps room in its last page: only the temp file fails
    freePages(disk, 1); // the key lock's
    const error = await caught(store.update('a', () => ({ n: 2, pad: 'x'.repeat(100) })));
    expect(error.code).toBe('ENOSPC');
    expect(isPossiblyApplied(error)).toBe(false);
    expect(readFileSync(join(dir, entryFileName('a')), 'utf8')).toBe(before);
    disk.free();
    expect(await store.get('a')).toEqual({ n: 1 });
    await store.close();
  });

  it('staged files that do not fit (one page left, for the intent only): ENOSPC before the point of no return, nothing staged or applied', async () => {
    const { disk, dir, store } = await filled();
    disk.fill();
    freePages(disk, 3); // the two key locks, and the intent
    const big = 'y'.repeat(6000); // two pages per staged file
    const error = await caught(
      store.updateMany((record) => {
        record['a'] = { n: 2, big };
        record['b'] = { n: 2, big };
      }),
    );
    expect(error.code).toBe('ENOSPC');
    expect(isPossiblyApplied(error)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.startsWith('.staged-'))).toEqual([]);
    expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.txn'))).toEqual([]);
    disk.free();
    expect({ ...(await store.loadAll()) }).toEqual({ a: { n: 1 }, b: { n: 1 } });
    await store.close();
  });

  it('the intent itself (staged files fit, the intent does not): ENOSPC, staged files removed, nothing applied', async () => {
    const { disk, dir, store } = await filled();
    disk.fill();
    freePages(disk, 4); // the two key locks, one page per staged file, none for the intent
    const error = await caught(
      store.updateMany((record) => {
        record['a'] = { n: 2 };
        record['b'] = { n: 2 };
      }),
    );
    expect(error.code).toBe('ENOSPC');
    expect(isPossiblyApplied(error)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.startsWith('.staged-'))).toEqual([]);
    expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.txn'))).toEqual([]);
    disk.free();
    expect({ ...(await store.loadAll()) }).toEqual({ a: { n: 1 }, b: { n: 1 } });
    await store.close();
  });

  it("a multi-key delete whose second announcement does not fit keeps its tombstone (it reads as no entry) and is reported done", async () => {
    const { disk, dir, store } = await filled({ writer: 'exclusive' });
    // Open descriptors keep the replaced files' pages allocated: the renames free no space.
    const held = [openSync(join(dir, entryFileName('a')), 'r'), openSync(join(dir, entryFileName('b')), 'r')];
    try {
      const record = `@${'0'.repeat(24)}/${entryFileName('a')}/${entryFileName('b')}\n`;
      padChangeLogToRoom(dir, record.length); // room for the intent record only
      disk.fill();
      freePages(disk, 3); // the two staged files and the intent
      await store.updateMany((record) => {
        record['a'] = { n: 2 };
        delete record['b'];
      });
      const tomb = JSON.parse(readFileSync(join(dir, entryFileName('b')), 'utf8')) as { deleted?: boolean };
      expect(tomb.deleted).toBe(true);
      expect(readdirSync(join(dir, '.locks')).filter((name) => name.endsWith('.txn'))).toEqual([]);
      expect({ ...(await store.loadAll()) }).toEqual({ a: { n: 2 } });
    } finally {
      for (const fd of held) closeSync(fd);
    }
    disk.free();
    const fresh = await openStore(dir, { create: false });
    expect({ ...(await fresh.loadAll()) }).toEqual({ a: { n: 2 } });
    await fresh.close();
    await store.close();
  });

  it("an exclusive writer's after-commit record that does not fit: the commit is done and reported done, with a warning", async () => {
    const warnings: { message: string; details: Record<string, unknown> | undefined }[] = [];
    const { disk, dir, store } = await filled({ writer: 'exclusive', warnings });
    padChangeLogToRoom(dir, `${entryFileName('c')}\n`.length); // room for the first record only
    disk.fill();
    freePages(disk, 1); // the new entry file's page (an exclusive writer takes no key lock)
    expect(await store.update('c', () => ({ n: 1 }))).toEqual({ n: 1 });
    expect(warnings).toContainEqual({
      message: 'hardfs store: could not append the after-commit change record',
      details: { file: join(dir, '.changes'), reason: expect.stringContaining('ENOSPC') as unknown },
    });
    disk.free();
    const fresh = await openStore(dir, { create: false });
    expect(await fresh.get('c')).toEqual({ n: 1 });
    await fresh.close();
    await store.close();
  });
});
