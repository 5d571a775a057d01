import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, type SafeDir } from '../../src/index.js';
import { entryFileName, type StoreEntry as SessionEntry } from '../../src/store/entry-record.js';
import { parseSnapshotBody, readSnapshotFile, readSnapshotHeader, withoutBom, writeSnapshotFile } from '../../src/store/snapshot-file.js';
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

describe('.snapshot: writing, and what the readers refuse', () => {
  const limits = { maxEntryBytes: 1 << 20, maxEntryDepth: 10, maxSnapshotBytes: 1 << 20 };
  const unusable = (why: string): { name: string; code: string; message: string; path: string } => ({
    name: 'HardfsError',
    code: 'ECORRUPT',
    message: expect.stringContaining(`unusable snapshot: ${why}`) as string,
    path: '.snapshot',
  });

  it('writes a header line and the records as one array, BOMs stripped, readable back', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    try {
      const header = { cursor: { generation: 'g1', offset: 7, partial: true }, inFlight: [entryFileName('b')] };
      const bom = Buffer.from([0xef, 0xbb, 0xbf]);
      const records = [Buffer.from(recordText('a', { n: 1 })), Buffer.concat([bom, Buffer.from(recordText('b', {}, 3))])];
      await writeSnapshotFile(dir, header, records);
      const text = readFileSync(join(base, '.snapshot'), 'utf8');
      expect(text).toBe(`{"v":1,"generation":"g1","offset":7,"partial":true,"inFlight":["${entryFileName('b')}"]}\n[${recordText('a', { n: 1 })},${recordText('b', {}, 3)}]`);
      expect(await readSnapshotHeader(dir)).toEqual(header);
      const file = readSnapshotFile(dir, 1 << 20);
      expect(file?.header).toEqual(header);
      expect([...parseSnapshotBody(file?.body ?? Buffer.alloc(0), limits, (entry) => entry).keys()]).toEqual([entryFileName('a'), entryFileName('b')]);
    } finally {
      await dir.close();
    }
  });

  it('the snapshot is 0o600 exactly, whatever the umask', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    const previous = process.umask(0o277);
    try {
      await writeSnapshotFile(dir, { cursor: { generation: 'g', offset: 0, partial: false }, inFlight: [] }, []);
    } finally {
      process.umask(previous);
      await dir.close();
    }
    expect(statSync(join(base, '.snapshot')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(base, '.snapshot'), 'utf8').endsWith('\n[]')).toBe(true);
  });

  it('withoutBom strips a leading UTF-8 BOM only', () => {
    expect(withoutBom(Buffer.from('\ufeff{}')).toString()).toBe('{}');
    expect(withoutBom(Buffer.from('{}')).toString()).toBe('{}');
    expect(withoutBom(Buffer.from('{"a":"\ufeff"}')).toString()).toBe('{"a":"\ufeff"}');
  });

  it('a .snapshot the header reader cannot open is an error, not "none"', async () => {
    const base = await tempDir();
    mkdirSync(join(base, '.snapshot'));
    const dir = await openDir(base);
    try {
      const error = await caught(readSnapshotHeader(dir));
      expect(error.code).toBeDefined();
      expect(error.code).not.toBe('ENOENT');
    } finally {
      await dir.close();
    }
  });

  it.each([
    ['version 2', { v: 2 }, 'unknown header'],
    ['an array', null, 'unknown header'],
    ['a numeric generation', { generation: 5 }, 'malformed header'],
    ['a negative offset', { offset: -1 }, 'malformed header'],
    ['a fractional offset', { offset: 1.5 }, 'malformed header'],
    ['a string offset', { offset: '5' }, 'malformed header'],
    ['a partial that is not a boolean', { partial: 'yes' }, 'malformed header'],
    ['inFlight that is not an array', { inFlight: 'a.json' }, 'malformed header'],
  ])('a header with %s is refused', async (_name, fields, why) => {
    const base = await tempDir();
    const line = fields === null ? '[1]' : JSON.stringify({ v: 1, generation: 'g', offset: 5, partial: false, inFlight: [], ...fields });
    writeFileSync(join(base, '.snapshot'), `${line}\n[]`);
    const dir = await openDir(base);
    try {
      expect(refusal(await caught(readSnapshotHeader(dir)))).toEqual(unusable(why));
      expect(refusal(thrown(() => readSnapshotFile(dir, 1 << 20)))).toEqual(unusable(why));
    } finally {
      await dir.close();
    }
  });

  it('each entry counts as its share of the body', () => {
    const body = Buffer.from(`[${recordText('a', { n: 1 })},${recordText('b', { text: 'x'.repeat(50) })}]`);
    const sizes = [...parseSnapshotBody(body, limits, (entry) => entry).values()].map((stored) => stored.size);
    expect(sizes).toEqual([Math.ceil(body.length / 2), Math.ceil(body.length / 2)]);
    expect(parseSnapshotBody(Buffer.from('[]'), limits, (entry) => entry).size).toBe(0);
  });

  it('a tombstone in a snapshot is refused', () => {
    const tombstone = JSON.stringify({ v: 1, key: 'a', rev: 2, deleted: true, txn: '0123456789abcdef01234567', with: '*' });
    expect(refusal(thrown(() => parseSnapshotBody(Buffer.from(`[${tombstone}]`), limits, (entry) => entry)))).toEqual(unusable('holds a tombstone'));
  });
});
