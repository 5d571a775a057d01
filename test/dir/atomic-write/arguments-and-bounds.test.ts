// Assertions added for mutants Stryker found surviving in src/io (npm run mutate): the exact
// bounds and wording of each refusal, on real files in real temp directories.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertWriteData, resolveFileMode } from '../../../src/dir/atomic-write.js';
import { readFileNoFollow, writeFileAtomic } from '../../../src/dir/path-level.js';
import { resolveMaxBytes } from '../../../src/dir/read-regular-file.js';
import { isTempFileName, makeTempFileName } from '../../../src/sys/temp-names.js';
import { caught, useTempDirs } from '../../support/tmp.js';

describe('argument checks', () => {
  it('mode: 0 and 0o7777 are the bounds, both included', () => {
    expect(resolveFileMode(0)).toBe(0);
    expect(resolveFileMode(0o7777)).toBe(0o7777);
    expect(resolveFileMode(undefined)).toBe(0o600);
    expect(() => resolveFileMode(-1)).toThrow(new TypeError('mode must be an integer between 0 and 0o7777, got -1'));
    expect(() => resolveFileMode(0o10000)).toThrow(new TypeError('mode must be an integer between 0 and 0o7777, got 4096'));
  });

  it('data must be a string or bytes; maxBytes a non-negative safe integer', () => {
    expect(() => assertWriteData(5)).toThrow(new TypeError('data must be a string or a Uint8Array'));
    expect(() => resolveMaxBytes({ maxBytes: -1 })).toThrow(new TypeError('maxBytes must be a non-negative safe integer, got -1'));
    expect(resolveMaxBytes({ maxBytes: 0 })).toBe(0);
  });

  it('temp file names have exactly one shape', () => {
    const name = makeTempFileName();
    expect(isTempFileName(name)).toBe(true);
    expect(isTempFileName(`x${name}`)).toBe(false);
    expect(isTempFileName(`${name}x`)).toBe(false);
  });
});

describe('path-level calls: what names a file', () => {
  const tempDir = useTempDirs();

  it('an empty or non-string path', async () => {
    for (const path of ['', 5]) {
      const error = await caught(readFileNoFollow(path as string));
      expect(error.message).toBe('EBADNAME: file path must be a non-empty string');
    }
  });

  it('. and .., bare or at the end, and a trailing separator or the root name directories', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'a'));
    for (const path of ['.', '..', `${base}/a/.`, `${base}/a/..`, `${base}/a/`, '/']) {
      const error = await caught(readFileNoFollow(path));
      expect({ message: error.message, path: error.path }).toEqual({ message: `EBADNAME: file path must name a file: ${path}`, path });
    }
  });

  it('a write of a string is its UTF-8 bytes', async () => {
    const base = await tempDir();
    await writeFileAtomic(join(base, 'f'), 'é€');
    expect([...(await readFileNoFollow(join(base, 'f')))]).toEqual([...Buffer.from('é€', 'utf8')]);
  });
});

describe('reads: the size bound', () => {
  const tempDir = useTempDirs();

  it('a file of exactly maxBytes is read; one byte more is ETOOBIG, before reading', async () => {
    const base = await tempDir();
    const path = join(base, 'f');
    writeFileSync(path, 'abcd');
    expect((await readFileNoFollow(path, { maxBytes: 4 })).toString()).toBe('abcd');
    const error = await caught(readFileNoFollow(path, { maxBytes: 3 }));
    expect({ code: error.code, message: error.message, path: error.path }).toEqual({
      code: 'ETOOBIG',
      message: `ETOOBIG: file is 4 bytes, over the 3-byte bound: ${path}`,
      path,
    });
  });

  it('a directory at the name is not a regular file', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'd'));
    const error = await caught(readFileNoFollow(join(base, 'd')));
    expect(error.code).toBe('EINSECURE');
    expect(error.message).toBe(`EINSECURE: not a regular file: ${join(base, 'd')}`);
  });
});
