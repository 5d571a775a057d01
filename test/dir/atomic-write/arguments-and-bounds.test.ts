// The exact bounds of each argument and path check, and what each refusal carries (its code,
// the caller's path, a stable fragment of the message), on real files in real temp directories.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertWriteData, resolveFileMode } from '../../../src/dir/atomic-write.js';
import { readFileNoFollow, writeFileAtomic } from '../../../src/dir/path-level.js';
import { resolveMaxBytes } from '../../../src/dir/read-regular-file.js';
import { isTempFileName, makeTempFileName } from '../../../src/sys/temp-names.js';
import { caught, useTempDirs } from '../../support/tmp.js';

describe('argument checks', () => {
  it('mode: 0 and 0o7777 are the bounds, both included', async () => {
    expect(resolveFileMode(0)).toBe(0);
    expect(resolveFileMode(0o7777)).toBe(0o7777);
    expect(resolveFileMode(undefined)).toBe(0o600);
    // A bad argument is a TypeError naming the argument and the value it got.
    for (const [mode, got] of [[-1, 'got -1'], [0o10000, 'got 4096']] as const) {
      const error = await caught(() => resolveFileMode(mode));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/^mode /);
      expect(error.message).toContain(got);
    }
  });

  it('data must be a string or bytes; maxBytes a non-negative safe integer', async () => {
    const data = await caught(() => assertWriteData(5));
    expect(data).toBeInstanceOf(TypeError);
    expect(data.message).toMatch(/^data /);
    const maxBytes = await caught(() => resolveMaxBytes({ maxBytes: -1 }));
    expect(maxBytes).toBeInstanceOf(TypeError);
    expect(maxBytes.message).toMatch(/^maxBytes .*got -1/);
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
      expect(error.code).toBe('EBADNAME');
      expect(error.message).toContain('non-empty string');
    }
  });

  it('. and .., bare or at the end, and a trailing separator or the root name directories', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'a'));
    for (const path of ['.', '..', `${base}/a/.`, `${base}/a/..`, `${base}/a/`, '/']) {
      const error = await caught(readFileNoFollow(path));
      expect({ code: error.code, path: error.path }).toEqual({ code: 'EBADNAME', path });
      expect(error.message).toContain('must name a file');
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
    expect({ code: error.code, path: error.path }).toEqual({ code: 'ETOOBIG', path });
    // The size found and the bound crossed, so the caller can tell by how much.
    expect(error.message).toContain('4 bytes');
    expect(error.message).toContain('3-byte bound');
  });

  it('a directory at the name is not a regular file', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'd'));
    const error = await caught(readFileNoFollow(join(base, 'd')));
    expect({ code: error.code, path: error.path }).toEqual({ code: 'EINSECURE', path: join(base, 'd') });
    expect(error.message).toContain('not a regular file');
  });
});
