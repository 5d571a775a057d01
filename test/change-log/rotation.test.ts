// Rotation seen from one process: every reader gets a reset into the new generation, an
// instance still holding the old one re-appends to the new, the rotating instance lets go of the
// old generation at once, rotation by size keeps the file bounded and only ever replaces the
// file the rotating instance appended to, and calls of one instance that overlap a rotation or a
// close share its descriptor safely.
import { closeSync, fstatSync, lstatSync, openSync, readFileSync, readSync, renameSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  HEADER_BYTES,
  bytes,
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
  it('starts a new generation: the rotating instance’s reader gets reset(rotated) in it', async () => {
    const { path, open } = await fixture();
    const log = await open();
    let cursor = expectReset(await log.read());
    await log.append('old');
    cursor = expectRecords(await log.read(cursor), ['old']);
    const before = generationOnDisk(path);

    await log.rotate();
    const after = generationOnDisk(path);
    expect(after).not.toBe(before);
    expect(readFileSync(path, 'utf8')).toBe(`hardfs-change-log 1 ${after}\n`);

    const reset = await log.read(cursor);
    cursor = expectReset(reset, 'rotated');
    expect(cursor).toEqual({ generation: after, offset: HEADER_BYTES, partial: false });
    await log.append('new');
    expectRecords(await log.read(cursor), ['new']);
  });

  it('a reader in another instance, holding a descriptor of the old generation, also gets a reset in the new one', async () => {
    const { path, open } = await fixture();
    const reader = await open();
    const rotator = await open();
    let cursor = expectReset(await reader.read());
    await rotator.append('old');
    cursor = expectRecords(await reader.read(cursor), ['old']);
    await rotator.rotate();
    await rotator.append('new');
    cursor = expectReset(await reader.read(cursor), 'rotated');
    expect(cursor.generation).toBe(generationOnDisk(path));
    expect(cursor.offset).toBe(HEADER_BYTES + bytes(['new']));
    await rotator.append('newer');
    expectRecords(await reader.read(cursor), ['newer']);
  });

  it('an instance whose descriptor was rotated away re-appends its record to the new generation', async () => {
    const { path, open } = await fixture();
    const a = await open(); // opened: holds a descriptor of generation 1
    const b = await open();
    await a.append('before');
    const oldIno = lstatSync(path).ino;
    // Keep our own view of generation 1 to see what happens to it.
    const oldFd = openSync(path, 'r');
    try {
      const oldGeneration = generationOnDisk(path);
      await b.rotate();
      const newGeneration = generationOnDisk(path);
      expect(newGeneration).not.toBe(oldGeneration);
      expect(lstatSync(path).ino).not.toBe(oldIno);
      const reader = await open();
      const cursor = expectReset(await reader.read());
      expect(cursor.generation).toBe(newGeneration);

      await a.append('x');

      // The reader following the new generation sees x.
      expectRecords(await reader.read(cursor), ['x']);
      expect(readFileSync(path, 'utf8')).toBe(`hardfs-change-log 1 ${newGeneration}\nx\n`);
      // Generation 1 is unlinked, and A's first write of x went there before it noticed.
      const old = fstatSync(oldFd);
      expect(old.ino).toBe(oldIno);
      expect(old.nlink).toBe(0);
      expect(contentOf(oldFd)).toBe(`hardfs-change-log 1 ${oldGeneration}\nbefore\nx\n`);

      // A now appends straight to the new generation (once).
      await a.append('y');
      expect(readFileSync(path, 'utf8')).toBe(`hardfs-change-log 1 ${newGeneration}\nx\ny\n`);
      expect(fstatSync(oldFd).size).toBe(old.size);
    } finally {
      closeSync(oldFd);
    }
  });

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
  it('rotates by itself once an append leaves the file larger than rotateBytes; the size stays bounded', async () => {
    const { path, open } = await fixture();
    const rotateBytes = 200;
    const writer = await open({ rotateBytes });
    const follower = await open({ rotateBytes });
    let writerCursor = expectReset(await writer.read());
    let followerCursor = expectReset(await follower.read());
    const generations = new Set([generationOnDisk(path)]);
    let sinceReset: string[] = [];
    let baseline = 0; // how many of this generation's records came before the follower's reset
    let appendedThisGeneration: string[] = [];
    let followerResets = 0;
    let maxSize = 0;
    for (let i = 0; i < 1000; i += 1) {
      const record = `record-${i}`;
      const generationBefore = generationOnDisk(path);
      await writer.append(record);
      const size = statSync(path).size;
      maxSize = Math.max(maxSize, size);
      expect(size).toBeLessThanOrEqual(rotateBytes);
      const generation = generationOnDisk(path);
      generations.add(generation);
      if (generation === generationBefore) {
        appendedThisGeneration.push(record);
      } else {
        // The append that crossed rotateBytes rotated: the new generation is empty.
        expect(statSync(path).size).toBe(HEADER_BYTES);
        appendedThisGeneration = [];
      }
      expect(recordsOnDisk(path)).toEqual(appendedThisGeneration);

      if (i % 7 === 0) {
        // The writer's own reader: a rotation it did itself is reported as such.
        const own = await writer.read(writerCursor);
        if (own.reset) expect(own.reason).toBe('rotated');
        writerCursor = own.cursor;
      }
      if (i % 5 === 0) {
        const seen = await follower.read(followerCursor);
        if (seen.reset) {
          followerResets += 1;
          expect(seen.reason).not.toBe('corrupt');
          expect(seen.reason).not.toBe('backlog');
          sinceReset = [];
          baseline = appendedThisGeneration.length;
          expect(seen.cursor.offset).toBe(HEADER_BYTES + bytes(appendedThisGeneration));
        } else {
          sinceReset.push(...seen.records);
        }
        followerCursor = seen.cursor;
        expect(followerCursor.generation).toBe(generation);
        // Everything the follower got since its reset is exactly this generation's records.
        expect(sinceReset).toEqual(appendedThisGeneration.slice(baseline));
      }
    }
    // 1,000 records of ~11 bytes in files of at most 200: dozens of rotations.
    expect(generations.size).toBeGreaterThan(50);
    expect(followerResets).toBeGreaterThan(20);
    expect(maxSize).toBeGreaterThan(rotateBytes - 20);
  });

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
