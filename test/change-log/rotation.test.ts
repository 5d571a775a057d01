// Rotation seen from one process: the rotating instance lets go of the old generation at once,
// rotation only ever replaces the file the rotating instance appended to, and calls of one
// instance that overlap a rotation or a close share its descriptor safely.
import { closeSync, fstatSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  HEADER_BYTES,
  descriptorsInto,
  expectRecords,
  expectReset,
  generationOnDisk,
  recordsOnDisk,
  settledDescriptorsInto,
  useLogs,
} from './harness.js';

const { fixture } = useLogs();

function contentOf(fd: number): string {
  const size = fstatSync(fd).size;
  const buffer = Buffer.alloc(size);
  readSync(fd, buffer, 0, size, 0);
  return buffer.toString('utf8');
}

describe('rotate()', () => {
  it('the rotating instance drops the old generation at once: its next append goes only to the new one', async () => {
    const { path, open } = await fixture();
    const log = await open();
    await log.append('old');
    const oldGeneration = generationOnDisk(path);
    const oldFd = openSync(path, 'r');
    try {
      await log.rotate();
      expect(fstatSync(oldFd).nlink).toBe(0);
      await log.append('new');
      expect(contentOf(oldFd)).toBe(`hardfs-change-log 1 ${oldGeneration}\nold\n`);
      expect(recordsOnDisk(path)).toEqual(['new']);
    } finally {
      closeSync(oldFd);
    }
  });

  it.skipIf(process.platform !== 'linux')('closes the old generation’s descriptor without waiting for another call', async () => {
    const { base, open } = await fixture();
    const log = await open();
    await log.append('a');
    expect(descriptorsInto(base)).toHaveLength(1);
    await log.rotate();
    expect(await settledDescriptorsInto(base, 0)).toEqual([]);
  });
});

describe('rotation by size', () => {
  it('an instance whose log was renamed away (not replaced) never rotates the log that now holds the name', async () => {
    const { path, open } = await fixture();
    const rotateBytes = HEADER_BYTES + 20;
    const stray = await open({ rotateBytes });
    await stray.append('first');
    renameSync(path, `${path}.moved`); // its file keeps its one link, under another name
    // Nothing at the name: crossing rotateBytes finds nothing to rotate, and creates nothing.
    await stray.append('crosses-rotate-bytes');
    expect(() => statSync(path)).toThrow(/ENOENT/);

    const current = await open({ rotateBytes });
    const generation = generationOnDisk(path);
    let cursor = expectReset(await current.read(), 'start');
    await stray.append('crosses-again');
    // The log at the name was not the stray instance's file: not rotated.
    expect(generationOnDisk(path)).toBe(generation);
    await current.append('mine');
    cursor = expectRecords(await current.read(cursor), ['mine']);
    expect(cursor.generation).toBe(generation);
  });
});

describe('calls of one instance that overlap', () => {
  it.skipIf(process.platform !== 'linux')(
    'two reads and an append all holding a generation another instance rotated away: the append lands in the new one, the old descriptor is closed once all let go',
    async () => {
      const { base, path, open } = await fixture();
      const log = await open();
      const other = await open();
      let cursor = expectReset(await log.read());
      await other.rotate(); // `log` still holds the old generation
      await other.close();
      // The first read finds the generation replaced and drops it while the others still use it.
      const [first, second] = await Promise.all([log.read(cursor), log.read(cursor), log.append('overlapping')]);
      expectReset(second, 'rotated');
      cursor = expectReset(first, 'rotated');
      expect(cursor.generation).toBe(generationOnDisk(path));
      expect(recordsOnDisk(path)).toEqual(['overlapping']);
      // Only the new generation is held: the old one was closed by whichever call let go last.
      expect(await settledDescriptorsInto(base, 1)).toEqual([path]);
    },
  );

  it('an append that crosses rotateBytes while close() runs resolves: its record is in the log', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { path, open } = await fixture();
      const log = await open({ rotateBytes: HEADER_BYTES });
      const append = log.append(`racing-${round}`).then(
        () => 'ok',
        (error: unknown) => String((error as { code?: string }).code),
      );
      await log.close();
      expect(await append).toBe('ok');
      // The rotation it would have done is left to the next opener.
      expect(recordsOnDisk(path)).toEqual([`racing-${round}`]);
    }
  });
});
