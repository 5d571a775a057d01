// writeFileAtomic(filePath) / readFileNoFollow(filePath): a SafeDir pinned on the parent for one call.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempFileName, readFileNoFollow, writeFileAtomic } from '../../src/index.js';
import { useTempDirs } from '../support/tmp.js';
import { MODES, descriptorsInto, modeOf, rejectsNative, rejectsWith } from './harness.js';

describe.each(MODES)('path-level conveniences (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  it('write then read back, with options, relative paths, and no descriptor kept', async () => {
    const base = await tempDir();
    await writeFileAtomic(join(base, 'f.json'), '{"a":1}', { resolution });
    expect(modeOf(join(base, 'f.json'))).toBe(0o600);
    expect((await readFileNoFollow(join(base, 'f.json'), { resolution })).toString()).toBe('{"a":1}');
    await writeFileAtomic(join(base, 'g'), new Uint8Array([7]), { resolution, mode: 0o640, fsync: false, syncDirectory: false });
    expect(modeOf(join(base, 'g'))).toBe(0o640);
    expect([...(await readFileNoFollow(join(base, 'g'), { resolution, maxBytes: 1 }))]).toEqual([7]);
    const rel = relative(process.cwd(), join(base, 'rel'));
    await writeFileAtomic(rel, 'relative', { resolution });
    expect(readFileSync(join(base, 'rel'), 'utf8')).toBe('relative');
    expect((await readFileNoFollow(rel, { resolution })).toString()).toBe('relative');
    expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('typed refusals: ETOOBIG, ESYMLINK (file or parent), EINSECURE (FIFO, insecure parent), EBADNAME', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'ten'), '0123456789');
    symlinkSync(join(base, 'ten'), join(base, 'link'));
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'dir-link'));
    execFileSync('mkfifo', [join(base, 'fifo')]);
    mkdirSync(join(base, 'open'));
    chmodSync(join(base, 'open'), 0o777);
    const tooBig = await rejectsWith(readFileNoFollow(join(base, 'ten'), { resolution, maxBytes: 9 }), 'ETOOBIG');
    expect(tooBig.path).toBe(join(base, 'ten'));
    await rejectsWith(readFileNoFollow(join(base, 'link'), { resolution }), 'ESYMLINK');
    await rejectsWith(readFileNoFollow(join(base, 'dir-link', 'x'), { resolution }), 'ESYMLINK');
    await rejectsWith(writeFileAtomic(join(base, 'dir-link', 'x'), 'x', { resolution }), 'ESYMLINK');
    await rejectsWith(readFileNoFollow(join(base, 'fifo'), { resolution }), 'EINSECURE');
    await rejectsWith(writeFileAtomic(join(base, 'open', 'x'), 'x', { resolution }), 'EINSECURE');
    await writeFileAtomic(join(base, 'open', 'x'), 'x', { resolution, allowWorldWritable: true, allowGroupWritable: true });
    expect(readFileSync(join(base, 'open', 'x'), 'utf8')).toBe('x');
    for (const bad of ['', `${base}/`, `${base}//`, '/', `${base}/a\0b`, `${base}/a\0b/c`]) {
      await rejectsWith(writeFileAtomic(bad, 'x', { resolution }), 'EBADNAME');
      await rejectsWith(readFileNoFollow(bad, { resolution }), 'EBADNAME');
    }
    expect(readdirSync(join(base, 'real'))).toEqual([]);
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('native errors pass through: a missing file, a missing parent', async () => {
    const base = await tempDir();
    await rejectsNative(readFileNoFollow(join(base, 'missing'), { resolution }), 'ENOENT');
    await rejectsNative(writeFileAtomic(join(base, 'no-such-dir', 'f'), 'x', { resolution }), 'ENOENT');
    expect(readdirSync(base)).toEqual([]);
  });

  // Regression, fixed (was a bug in src/io/path-level.ts, splitFilePath): a path ending in a separator is refused because it
  // names a directory ("file path must name a file"), but one ending in "/." or "/.." — which
  // names a directory just the same — is resolved lexically first and then silently treated as
  // a file: writeFileAtomic('<dir>/newfile/.') creates a regular file <dir>/newfile, and
  // readFileNoFollow('<dir>/file/.') reads <dir>/file (the kernel would answer ENOTDIR).
  // Fix: also refuse a path whose last component is "." or ".." (e.g. test
  // /(^|[\\/])\.{1,2}$/ on the raw path) before path.resolve.
  it('a path ending in /. or /.. names a directory and is EBADNAME, like a trailing slash', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'content');
    for (const spelled of [`${base}/newfile/.`, `${base}/file/.`, `${base}/sub/..`]) {
      await rejectsWith(writeFileAtomic(spelled, 'x', { resolution }), 'EBADNAME');
    }
    await rejectsWith(readFileNoFollow(`${base}/file/.`, { resolution }), 'EBADNAME');
    expect(readdirSync(base)).toEqual(['file']);
  });
});
