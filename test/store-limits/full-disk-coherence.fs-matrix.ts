// Matrix-only (scripts/test-fs.mjs runs it; `npm test` does not): it exposes issue 10 item 3,
// which the store's own rebuild fixes, and must then pass as it is.
//
// A full disk at the change-log append: a commit rejected with ENOSPC must not have been
// applied — unless the error says it may have been (a HardfsError with a code of its own, not
// the bare errno) — and a long-lived reader must converge on the files once space returns and
// other keys are committed. Free space is handed back a page at a time so that the failure
// lands at every step of a commit, the change-log append included.
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isHardfsError } from '../../src/errors.js';
import { openSessionStore } from '../../src/session-store/index.js';
import { mountSmallDisk, smallDiskSkipReason, type SmallDisk } from '../support/full-disk.js';

const skip = smallDiskSkipReason();
if (skip !== undefined) console.log(`store-limits/full-disk-coherence: skipped (${skip})`);
const quiet = { warn: (): void => undefined };
const PAGE = 4096;

let disk: SmallDisk | undefined;
afterEach(() => {
  disk?.unmount();
  disk = undefined;
});

describe.skipIf(skip !== undefined)('a commit rejected on a full disk', () => {
  it(
    'was not applied (or says it may have been), and a long-lived reader agrees with the files afterwards',
    async () => {
      disk = mountSmallDisk(4 * 1024 * 1024);
      await mkdir(join(disk.path, 'store'), { mode: 0o700 });
      const path = join(disk.path, 'store', 'sessions.json');
      const writer = await openSessionStore(path, { logger: quiet });
      const reader = await openSessionStore(path, { logger: quiet });
      const pad = 'p'.repeat(100);
      for (let i = 0; i < 5; i += 1) await writer.update(`k${i}`, () => ({ value: i, pad }));
      // Bring the change log to a page boundary, so that its next append needs a page of its own
      // while the entry's own files fit in the pages handed back: the failure then lands at the
      // append, after the entry's rename. Each commit appends "<file name>\n" (key + ".json\n").
      const log = changeLogPath(join(disk.path, 'store'));
      let filler = 0;
      for (let left = (PAGE - (statSync(log).size % PAGE)) % PAGE; left > 0; ) {
        const length = left - 6 > 150 ? Math.min(150, left - 6 - 7) : left - 6; // leave room for one more key of >= 1 char
        if (length < 1) throw new Error(`cannot pad the change log by ${left} bytes`);
        await writer.update(`${'f'.repeat(length - String(filler).length)}${filler}`, () => ({ value: -1 }));
        filler += 1;
        left = (PAGE - (statSync(log).size % PAGE)) % PAGE;
      }
      expect(statSync(log).size % PAGE).toBe(0);
      await reader.loadAll();
      const spacers = Array.from({ length: 8 }, (_, i) => {
        const spacer = join(disk!.path, `.spacer-${i}`);
        writeFileSync(spacer, Buffer.alloc(PAGE, 0x73));
        return spacer;
      });
      disk.fill();
      const problems: string[] = [];
      for (const [step, spacer] of spacers.entries()) {
        const key = `new${step}`;
        try {
          await writer.update(key, () => ({ value: step, pad }));
        } catch (error) {
          const check = await openSessionStore(path, { logger: quiet });
          const applied = (await check.get(key)) !== undefined;
          await check.close();
          const saysMaybe = isHardfsError(error) && !/^E(NOSPC|DQUOT|IO)$/.test(error.code);
          if (applied && !saysMaybe) {
            problems.push(`step ${step}: update('${key}') rejected with ${String((error as { code?: unknown }).code)} but applied`);
          }
        }
        rmSync(spacer); // one page more for the next step
      }
      disk.free();
      // Other keys committed after the space returned: every cache must now agree with the files.
      for (let i = 0; i < 5; i += 1) await writer.update(`k${i}`, () => ({ value: 100 + i, pad }));
      const fresh = await openSessionStore(path, { logger: quiet });
      const onDisk = await fresh.loadAll();
      await fresh.close();
      const seenByReader = await reader.loadAll();
      const seenByWriter = await writer.loadAll();
      for (const key of Object.keys(onDisk)) {
        if (JSON.stringify(seenByReader[key]) !== JSON.stringify(onDisk[key])) problems.push(`reader's cache differs from the files at ${key}`);
        if (JSON.stringify(seenByWriter[key]) !== JSON.stringify(onDisk[key])) problems.push(`writer's cache differs from the files at ${key}`);
      }
      await writer.close();
      await reader.close();
      expect(problems).toEqual([]);
    },
    120_000,
  );
});

/** The store's change log, found by its header line rather than by its name. */
function changeLogPath(storeDir: string): string {
  for (const dir of [storeDir, ...readdirSync(storeDir).map((name) => join(storeDir, name))]) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const full = join(dir, name);
      try {
        if (statSync(full).isFile() && readFileSync(full, 'latin1').startsWith('hardfs-change-log')) return full;
      } catch {
        // not a readable file
      }
    }
  }
  throw new Error(`no change log under ${storeDir}`);
}
