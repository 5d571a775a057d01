import { expect, it } from 'vitest';
import { runAsSecondUser, secondUser, secondUserSkipReason } from './second-user.js';
import { mountSmallDisk, smallDiskSkipReason } from './full-disk.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

it.skipIf(secondUserSkipReason() !== undefined)('runs a script as a second user whose uid differs from ours', async () => {
  const out = await runAsSecondUser('console.log(process.getuid())');
  expect(Number(out.trim())).toBe(secondUser()?.uid);
  expect(secondUser()?.uid).not.toBe(process.getuid?.());
});

it.skipIf(smallDiskSkipReason() !== undefined)('fills a small disk to the byte', () => {
  const disk = mountSmallDisk(1024 * 1024);
  try {
    disk.fill();
    expect(() => writeFileSync(join(disk.path, 'x'), 'a')).toThrow(/ENOSPC/);
    disk.free();
    writeFileSync(join(disk.path, 'x'), 'a');
  } finally {
    disk.unmount();
  }
});
