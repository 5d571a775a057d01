// The invariant of a synchronous read during a multi-key commit left pending (intent written,
// any prefix of its renames done, its writer gone): for any commit over any keys — sets and
// deletes, new keys and existing ones — the read gives exactly the commit's outcome, never a
// mix, and equals what recovery leaves on disk afterwards. Real files, real recovery.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStore, openStoreSync, type Store } from '../../src/store/index.js';
import { entryFileName, serializeRecord, serializeTombstone } from '../../src/store/entry-record.js';
import { intentFileName, stagedFileName } from '../../src/store/layout.js';
import { fcParams } from '../support/fc.js';

type Entry = { n: number };
const quiet = { fsync: false, logger: { warn: () => undefined } };
const ID = '0123456789abcdef01234567';

// Per key: its value before the commit (undefined: absent) and what the commit does (a number
// sets it, null deletes it, undefined leaves it out of the commit).
const plan = fc
  .uniqueArray(
    fc.record({
      key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'F'),
      before: fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined }),
      change: fc.option(fc.option(fc.integer({ min: 100, max: 199 }), { nil: null }), { nil: undefined }),
    }),
    { selector: (item) => item.key, minLength: 2, maxLength: 6 },
  )
  .filter((items) => items.filter((item) => item.change !== undefined && !(item.change === null && item.before === undefined)).length >= 2);

describe('synchronous read of a pending multi-key commit (property)', () => {
  it('reads its outcome whole, whatever prefix of its renames is done, and recovery agrees', async () => {
    await fc.assert(
      fc.asyncProperty(plan, fc.nat(), async (items, cut) => {
        const dir = join(mkdtempSync(join(tmpdir(), 'hardfs-sync-pending-')), 'store');
        try {
          const setup = await openStore<Entry>(dir, quiet);
          for (const item of items) if (item.before !== undefined) await setup.update(item.key, () => ({ n: item.before as number }));
          await setup.close();
          const commit = items.filter((item) => item.change !== undefined && !(item.change === null && item.before === undefined));
          const files = commit.map((item) => entryFileName(item.key));
          const marker = { id: ID, files };
          const renamed = cut % (commit.length + 1);
          const intent = commit.map((item, index) => {
            const from = item.before === undefined ? 0 : 1;
            const text = item.change === null ? serializeTombstone(item.key, from + 1, marker) : serializeRecord(item.key, from + 1, JSON.stringify({ n: item.change }), marker);
            writeFileSync(join(dir, index < renamed ? entryFileName(item.key) : stagedFileName(ID, index)), text, { mode: 0o600 });
            return { file: entryFileName(item.key), staged: stagedFileName(ID, index), from, rev: from + 1, del: item.change === null };
          });
          writeFileSync(join(dir, '.locks', intentFileName(ID)), `${JSON.stringify({ v: 1, id: ID, files: intent })}\n`, { mode: 0o600 });
          const expected: Record<string, Entry> = {};
          for (const item of items) {
            const value = item.change === undefined ? item.before : item.change;
            if (value !== undefined && value !== null) expected[item.key] = { n: value };
          }
          const reader = openStoreSync<Entry>(dir, quiet) as Store<Entry>;
          expect({ ...reader.loadAllSync() }).toEqual(expected);
          await reader.close();
          const recovered = await openStore<Entry>(dir, quiet);
          expect({ ...(await recovered.loadAll()) }).toEqual(expected);
          await recovered.close();
        } finally {
          rmSync(join(dir, '..'), { recursive: true, force: true });
        }
      }),
      fcParams(40),
    );
  });
});
