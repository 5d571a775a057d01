import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, type SafeDir } from '../../src/index.js';
import { entryFileName, type StoreEntry as SessionEntry } from '../../src/store/entry-record.js';
import { parseSnapshotBody, readSnapshotFile, readSnapshotHeader } from '../../src/store/snapshot-file.js';
import { caught, useTempDirs } from '../support/tmp.js';
import { thrown, refusal, openDescriptors, nested, recordText } from './record-helpers.js';
const tempDir = useTempDirs();

describe('.snapshot: reading the header and the body', () => {
  async function dirWithSnapshot(content: string | Buffer | undefined): Promise<SafeDir> {
    const base = await tempDir();
    if (content !== undefined) writeFileSync(join(base, '.snapshot'), content);
    return openDir(base);
  }

  // Code, name and path exactly; of the message, the fragment that says why.
  const unusable = (why: string): { name: string; code: string; message: string; path: string } => ({
    name: 'HardfsError',
    code: 'ECORRUPT',
    message: expect.stringContaining(`unusable snapshot: ${why}`) as string,
    path: '.snapshot',
  });

  const header = (fields: Record<string, unknown> = {}): string =>
    JSON.stringify({ v: 1, generation: 'g', offset: 5, partial: false, inFlight: [], ...fields });

  it('a file without a newline has no header line (both readers say so)', async () => {
    const dir = await dirWithSnapshot('{"v":1,"generation":"g","offset":0,"partial":false,"inFlight":[]}');
    try {
      expect(refusal(await caught(readSnapshotHeader(dir)))).toEqual(unusable('no header line'));
      expect(refusal(thrown(() => readSnapshotFile(dir, 256 * 1024 * 1024)))).toEqual(unusable('no header line'));
    } finally {
      await dir.close();
    }
  });

  it('a newline as the very first byte is an empty header line, not a missing one', async () => {
    const dir = await dirWithSnapshot('\n[]');
    try {
      const fromHeader = await caught(readSnapshotHeader(dir));
      const fromFile = thrown(() => readSnapshotFile(dir, 256 * 1024 * 1024));
      expect(fromHeader.code).toBe('ECORRUPT');
      expect(fromHeader.message).not.toMatch(/no header line/);
      expect(refusal(fromFile)).toEqual(refusal(fromHeader));
    } finally {
      await dir.close();
    }
  });

  it('a header that is null, a number or a string is an unknown header', async () => {
    for (const bad of ['null', '5', '"v"']) {
      const dir = await dirWithSnapshot(`${bad}\n[]`);
      try {
        expect(refusal(await caught(readSnapshotHeader(dir))), bad).toEqual(unusable('unknown header'));
      } finally {
        await dir.close();
      }
    }
  });

  it('offset 0 and in-flight entry file names are a good header', async () => {
    const dir = await dirWithSnapshot(`${header({ offset: 0, partial: true, inFlight: ['a.json', entryFileName('b')] })}\n[]`);
    try {
      const expected = { cursor: { generation: 'g', offset: 0, partial: true }, inFlight: ['a.json', entryFileName('b')] };
      expect(await readSnapshotHeader(dir)).toEqual(expected);
      const file = readSnapshotFile(dir, 256 * 1024 * 1024);
      expect(file?.header).toEqual(expected);
      expect(file?.body.toString()).toBe('[]');
    } finally {
      await dir.close();
    }
  });

  it('in-flight names that are not strings or not entry file names make a malformed header', async () => {
    for (const inFlight of [[5], [null], ['a.json', 7], ['.changes'], ['../a.json']]) {
      const dir = await dirWithSnapshot(`${header({ inFlight })}\n[]`);
      try {
        expect(refusal(await caught(readSnapshotHeader(dir))), JSON.stringify(inFlight)).toEqual(unusable('malformed header'));
      } finally {
        await dir.close();
      }
    }
  });

  it('no .snapshot is no snapshot; a .snapshot that cannot be read is an error, not "none"', async () => {
    const dir = await dirWithSnapshot(undefined);
    try {
      expect(await readSnapshotHeader(dir)).toBeUndefined();
      expect(readSnapshotFile(dir, 256 * 1024 * 1024)).toBeUndefined();
      mkdirSync(join(dir.path, '.snapshot'));
      expect(thrown(() => readSnapshotFile(dir, 256 * 1024 * 1024))).toBeInstanceOf(Error);
    } finally {
      await dir.close();
    }
  });

  it('reading the header closes the file it opened, also when the header is refused', async () => {
    const good = await dirWithSnapshot(`${header()}\n[]`);
    const bad = await dirWithSnapshot('no newline');
    try {
      await readSnapshotHeader(good); // warm up: lazily opened descriptors are not leaks
      const before = openDescriptors();
      for (let round = 0; round < 20; round += 1) {
        await readSnapshotHeader(good);
        await caught(readSnapshotHeader(bad));
      }
      expect(openDescriptors() - before).toBeLessThan(5);
    } finally {
      await good.close();
      await bad.close();
    }
  });

  it('a snapshot larger than the default 64 MiB read bound is still read whole', async () => {
    const body = Buffer.alloc(65 * 1024 * 1024, 0x20);
    const dir = await dirWithSnapshot(Buffer.concat([Buffer.from(`${header()}\n`), body]));
    try {
      expect(readSnapshotFile(dir, 256 * 1024 * 1024)?.body.byteLength).toBe(body.byteLength);
    } finally {
      await dir.close();
    }
  });

  describe('the body', () => {
    const freeze = <E>(entry: E): E => entry;
    const limits = { maxEntryBytes: 1 << 20, maxEntryDepth: 10, maxSnapshotBytes: 1 << 20 };

    it('is an array of records, keyed by the file name each belongs in', () => {
      const body = Buffer.from(`[${recordText('a', { n: 1 }, 2)},${recordText('b', {})}]`);
      expect([...parseSnapshotBody(body, limits, freeze)]).toEqual([
        [entryFileName('a'), { key: 'a', entry: { n: 1 }, rev: 2, size: expect.any(Number) as number }],
        [entryFileName('b'), { key: 'b', entry: {}, rev: 1, size: expect.any(Number) as number }],
      ]);
    });

    it('anything but an array is refused', () => {
      expect(refusal(thrown(() => parseSnapshotBody(Buffer.from('{"a":1}'), limits, freeze)))).toEqual(unusable('body is not an array'));
    });

    it('two records for one file are refused, naming the file', () => {
      const body = Buffer.from(`[${recordText('a', {})},${recordText('a', { n: 2 }, 2)}]`);
      expect(refusal(thrown(() => parseSnapshotBody(body, limits, freeze)))).toEqual(unusable(`two records for ${entryFileName('a')}`));
    });

    it('an entry exactly maxEntryDepth deep is accepted, even above the parser’s default depth', () => {
      const body = (depth: number): Buffer => Buffer.from(`[${recordText('a', nested(depth))}]`);
      expect(parseSnapshotBody(body(10), limits, freeze).get(entryFileName('a'))?.entry).toEqual(nested(10));
      expect(thrown(() => parseSnapshotBody(body(20), limits, freeze)).code).toBe('EDEPTH');
      expect(parseSnapshotBody(body(300), { ...limits, maxEntryDepth: 300 }, freeze).size).toBe(1);
    });
  });
});
