import { statfsSync } from 'node:fs';

/**
 * The filesystem a matrix run (scripts/test-fs.mjs) selected with HARDFS_TEST_FS; the run points
 * TMPDIR into a mount of it. Temp-dir helpers check that what they create is really on it, so a
 * misconfigured run fails instead of silently testing the default disk under another name.
 */
export function selectedTestFilesystem(): string | undefined {
  const name = process.env['HARDFS_TEST_FS'];
  return name === undefined || name === '' ? undefined : name;
}

/** statfs f_type magic numbers (linux/magic.h). */
const MAGIC: Record<string, number> = {
  ext4: 0xef53,
  xfs: 0x58465342,
  btrfs: 0x9123683e,
  tmpfs: 0x01021994,
};

/** Throws if a matrix run is selected and `path` is not on the selected filesystem. */
export function assertOnSelectedFilesystem(path: string): void {
  const name = selectedTestFilesystem();
  if (name === undefined) return;
  const expected = MAGIC[name];
  if (expected === undefined) throw new Error(`HARDFS_TEST_FS=${name}: unknown filesystem (known: ${Object.keys(MAGIC).join(', ')})`);
  const actual = statfsSync(path).type;
  if (actual !== expected) {
    throw new Error(`HARDFS_TEST_FS=${name} but ${path} is on a filesystem of type 0x${actual.toString(16)}: is TMPDIR set to the mount?`);
  }
}
