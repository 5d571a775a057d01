// A real full disk (a small tmpfs filled to the byte) during store commits and during
// migration. Free space is then handed back a few pages at a time (spacer files made before
// the fill), so the disk runs out at a different point of the work in each step. Whatever
// fails must be reported — a HardfsError code or a native errno (ENOSPC) — and nothing
// acknowledged or migrated may be lost. Root only (tmpfs mount); skipped with the reason
// printed elsewhere.
import { existsSync, lstatSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateSessionStoreToDirectory, openSessionStore } from '../../src/session-store/index.js';
import { mountSmallDisk, smallDiskSkipReason, type SmallDisk } from '../support/full-disk.js';

const skip = smallDiskSkipReason();
if (skip !== undefined) console.log(`store-limits/full-disk: skipped (${skip})`);
const quiet = { warn: (): void => undefined };
const PAGE = 4096;
/** Spacer sizes in pages, freed one after the other: the free space grows step by step. */
const SPACERS = [1, 1, 2, 2, 4, 8, 16, 32, 64];

let disk: SmallDisk | undefined;
afterEach(() => {
  disk?.unmount();
  disk = undefined;
});

function makeSpacers(at: string): string[] {
  return SPACERS.map((pages, i) => {
    const path = join(at, `.spacer-${i}`);
    writeFileSync(path, Buffer.alloc(pages * PAGE, 0x73));
    return path;
  });
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

interface Attempt {
  value: number;
  acknowledged: boolean;
}

describe.skipIf(skip !== undefined)('a full disk during store commits', () => {
  it(
    'every commit is acknowledged or fails with a code, and every acknowledged commit is there after the space returns',
    async () => {
      disk = mountSmallDisk(4 * 1024 * 1024);
      const path = join(disk.path, 'store', 'sessions.json');
      await mkdir(join(disk.path, 'store'), { mode: 0o700 });
      const store = await openSessionStore(path, { logger: quiet });
      const history = new Map<string, Attempt[]>();
      const note = (key: string, value: number, acknowledged: boolean): void => {
        const list = history.get(key) ?? [];
        list.push({ value, acknowledged });
        history.set(key, list);
      };
      const pad = 'p'.repeat(1500);
      for (let i = 0; i < 10; i += 1) {
        await store.update(`k${i}`, () => ({ value: i, pad }));
        note(`k${i}`, i, true);
      }
      const spacers = makeSpacers(disk.path);
      disk.fill();
      let value = 100;
      const codes = new Set<unknown>();
      let failures = 0;
      let acknowledged = 0;
      for (const spacer of [undefined, ...spacers]) {
        if (spacer !== undefined) rmSync(spacer);
        for (let op = 0; op < 6; op += 1) {
          value += 1;
          const v = value;
          const keys = op % 3 === 2 ? [`k${op}`, `fresh${v}`] : [op % 3 === 0 ? `k${v % 10}` : `fresh${v}`];
          try {
            if (keys.length === 2) {
              await store.updateMany((record) => {
                for (const key of keys) record[key] = { value: v, pad };
              });
            } else {
              await store.update(keys[0]!, (entry) => ({ ...entry, value: v, pad }));
            }
            acknowledged += 1;
            for (const key of keys) note(key, v, true);
          } catch (error) {
            failures += 1;
            // Reported with a code (ENOSPC, or a HardfsError code), never an untyped throw.
            expect(codeOf(error), String(error)).toEqual(expect.stringMatching(/^E[A-Z]+$/));
            codes.add(codeOf(error));
            for (const key of keys) note(key, v, false);
          }
        }
      }
      expect(failures).toBeGreaterThan(0); // the disk was full, or this proves nothing
      expect(acknowledged).toBeGreaterThan(0); // and the freed pages let commits through again
      disk.free();
      await store.close();

      const after = await openSessionStore(path, { logger: quiet });
      try {
        for (const [key, attempts] of history) {
          const found = (await after.get(key))?.['value'];
          const lastAck = attempts.map((a) => a.acknowledged).lastIndexOf(true);
          const allowed = attempts.slice(Math.max(0, lastAck)).map((a) => a.value);
          if (lastAck < 0) {
            if (found !== undefined) expect(allowed, key).toContain(found);
          } else {
            expect(allowed, `${key}: ${JSON.stringify(attempts)}`).toContain(found);
          }
        }
      } finally {
        await after.close();
      }
    },
    120_000,
  );
});

describe.skipIf(skip !== undefined)('a full disk during migration', () => {
  it(
    'the migration completes or fails with a code, the legacy bytes are kept, and no entry is lost',
    async () => {
      disk = mountSmallDisk(4 * 1024 * 1024);
      const entries: Record<string, unknown> = {};
      for (let i = 0; i < 40; i += 1) entries[`legacy-${i}`] = { updatedAt: 1_000 + i, sessionId: `s${i}`, note: 'n'.repeat(1500) };
      const text = `${JSON.stringify(entries, null, 2)}\n`;
      const outcomes: unknown[] = [];
      for (let trial = 0; trial <= SPACERS.length; trial += 1) {
        const base = join(disk.path, `m${trial}`);
        await mkdir(base, { mode: 0o700 });
        const path = join(base, 'sessions.json');
        writeFileSync(path, text, { mode: 0o600 });
        const spacers = makeSpacers(disk.path);
        disk.fill();
        // Hand back the first `trial` spacers: trial 0 migrates on a disk full to the byte.
        for (const spacer of spacers.slice(0, trial)) rmSync(spacer);
        let failed = false;
        try {
          const result = await migrateSessionStoreToDirectory(path, { logger: quiet });
          outcomes.push(result.migrated ? 'migrated' : result.reason);
        } catch (error) {
          failed = true;
          expect(codeOf(error), String(error)).toEqual(expect.stringMatching(/^E[A-Z]+$/));
          outcomes.push(codeOf(error));
        }
        expect(legacyCopies(base, text), `trial ${trial}`).toHaveLength(1);
        if (failed) expect(existsSync(path), `trial ${trial}: reported failed, but the legacy file was moved`).toBe(true);

        disk.free();
        for (const spacer of spacers) rmSync(spacer, { force: true });
        await migrateSessionStoreToDirectory(path, { logger: quiet });
        const store = await openSessionStore(path, { logger: quiet });
        try {
          const all = await store.loadAll();
          for (let i = 0; i < 40; i += 1) expect(all[`legacy-${i}`], `trial ${trial}, legacy-${i}`).toMatchObject({ sessionId: `s${i}` });
        } finally {
          await store.close();
        }
        expect(legacyCopies(base, text)).toHaveLength(1);
        rmSync(base, { recursive: true, force: true });
      }
      expect(outcomes.some((o) => typeof o === 'string' && /^E[A-Z]+$/.test(o))).toBe(true);
      expect(outcomes).toContain('migrated');
    },
    120_000,
  );
});

/** The regular files in `base` named sessions.json or sessions.json.* that hold exactly `text`. */
function legacyCopies(base: string, text: string): string[] {
  return readdirSync(base).filter((name) => {
    if (!name.startsWith('sessions.json') || name.endsWith('.lock')) return false;
    const full = join(base, name);
    return lstatSync(full).isFile() && readFileSync(full, 'utf8') === text;
  });
}
