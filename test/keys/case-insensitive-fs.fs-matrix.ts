// The key codec's case-fold-safety claim on a real case-insensitive filesystem: keys that
// differ only in case (and any other keys) get file names that stay distinct when the
// filesystem folds case, so no entry overwrites another. This kernel has no ext4 casefold
// (CONFIG_UNICODE), so the filesystem is a FUSE passthrough that folds every name to lower case
// (test/support/casefold-fs.py, python3-fusepy). Matrix-only (scripts/test-fs.mjs); root, FUSE
// and python3-fusepy needed, skipped with the reason printed otherwise.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDir } from '../../src/dir/safe-dir.js';
import { encodeKey } from '../../src/keys/key-codec.js';
import { casefoldMountSkipReason, mountCasefold, type CasefoldMount } from '../support/casefold-mount.js';
import { fcParams } from '../support/fc.js';

const skip = casefoldMountSkipReason();
if (skip !== undefined) console.log(`keys/case-insensitive-fs: skipped (${skip})`);

let mount: CasefoldMount | undefined;
let mountPoint = '';

describe.skipIf(skip !== undefined)('the key codec on a case-insensitive filesystem (FUSE, names folded to lower case)', () => {
  beforeAll(async () => {
    mount = await mountCasefold('hardfs-casefold');
    mountPoint = mount.mountPoint;
  });

  afterAll(async () => {
    await mount?.unmount();
  });

  it('is case-insensitive: a name written in one case is read in another, and is one file', async () => {
    const dir = await openDir(mountPoint);
    try {
      await dir.writeFileAtomic('Probe.JSON', 'probe');
      expect((await dir.readFile('pRoBe.json')).toString()).toBe('probe');
      expect(readdirSync(mountPoint).filter((name) => name.toLowerCase() === 'probe.json')).toHaveLength(1);
      await dir.unlink('PROBE.json');
    } finally {
      await dir.close();
    }
  });

  it('keys in every mix of cases get files that never overwrite each other', async () => {
    // Each base key comes with case variants of itself: the pairs a case-folding filesystem would
    // merge if the codec let case through to the file name.
    const family = fc
      .tuple(fc.string({ minLength: 1, maxLength: 24 }).filter((key) => /[a-zA-Z]/.test(key)), fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }))
      .map(([key, flips]) => [
        key,
        key.toLowerCase(),
        key.toUpperCase(),
        [...key].map((char, i) => (flips[i] ? char.toUpperCase() : char.toLowerCase())).join(''),
      ]);
    await fc.assert(
      fc.asyncProperty(fc.array(family, { minLength: 1, maxLength: 4 }), async (families) => {
        const keys = [...new Set(families.flat())];
        const sub = `run-${Math.random().toString(36).slice(2)}`;
        const parent = await openDir(mountPoint);
        const dir = await parent.openSubdir(sub, { create: true });
        try {
          for (const key of keys) await dir.writeFileAtomic(`${encodeKey(key)}.json`, JSON.stringify({ key }), { fsync: false });
          expect(readdirSync(join(mountPoint, sub))).toHaveLength(keys.length);
          for (const key of keys) expect(JSON.parse((await dir.readFile(`${encodeKey(key)}.json`)).toString())).toEqual({ key });
        } finally {
          await dir.close();
          await parent.removeTree(sub);
          await parent.close();
        }
      }),
      fcParams(25),
    );
  });
});
