// The descriptor-level syscalls in their two flavours (inline on the event loop, and through the
// thread pool): the same results and the same native errors (code, syscall, path) from real
// files, a real closed descriptor and a real full disk; and which flavour a payload size gets.
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as loaded from '../../src/sys/fd-ops.js';
import { mountSmallDisk, smallDiskSkipReason, type SmallDisk } from '../support/full-disk.js';
import { importFresh } from '../support/platform.js';
import { caught, useTempDirs } from '../support/tmp.js';

// A copy evaluated by this test file (see importFresh): both tables and the size limit are
// built when the module loads.
let ops: typeof loaded;
beforeAll(async () => {
  ops = await importFresh<typeof loaded>(new URL('../../src/sys/fd-ops.ts', import.meta.url));
});
type Flavour = 'inlineOps' | 'threadPoolOps';
const FLAVOURS: Flavour[] = ['inlineOps', 'threadPoolOps'];
const { O_CREAT, O_EXCL, O_RDONLY, O_WRONLY } = constants;

/** A descriptor number that is certainly closed: one just opened and closed. */
function closedDescriptor(path: string): number {
  const fd = openSync(path, 'r');
  closeSync(fd);
  return fd;
}

describe.each(FLAVOURS)('%s', (flavour) => {
  const tempDir = useTempDirs();
  let fdOps: loaded.FdOps;
  beforeAll(() => {
    fdOps = ops[flavour];
  });

  it('open, writeAll, fchmod, fstat, close, then read back what was written', async () => {
    const base = await tempDir();
    const path = join(base, 'file');
    const data = Buffer.from('hello, descriptor');
    const fd = await fdOps.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600);
    expect(Number.isInteger(fd)).toBe(true);
    await fdOps.writeAll(fd, data);
    await fdOps.fchmod(fd, 0o640);
    const stats = await fdOps.fstat(fd);
    expect([stats.isFile(), stats.size, stats.mode & 0o777]).toEqual([true, data.byteLength, 0o640]);
    await fdOps.close(fd);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readFileSync(path)).toEqual(data);
    const reader = await fdOps.open(path, O_RDONLY);
    const buffer = Buffer.alloc(64);
    expect(await fdOps.read(reader, buffer, 2, 5)).toBe(5);
    expect(buffer.subarray(2, 7).toString()).toBe('hello');
    expect(await fdOps.read(reader, buffer, 0, 64)).toBe(data.byteLength - 5);
    expect(await fdOps.read(reader, buffer, 0, 64)).toBe(0);
    await fdOps.close(reader);
    expect(closeSync.bind(null, reader)).toThrow(expect.objectContaining({ code: 'EBADF' }) as Error);
  });

  it('writeAll writes a payload larger than one write and an empty one', async () => {
    const base = await tempDir();
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
    const fd = await fdOps.open(join(base, 'big'), O_WRONLY | O_CREAT | O_EXCL, 0o600);
    await fdOps.writeAll(fd, big);
    await fdOps.writeAll(fd, new Uint8Array(0));
    await fdOps.close(fd);
    expect(readFileSync(join(base, 'big')).equals(big)).toBe(true);
  });

  it('open reports ENOENT and EEXIST as node does, with the path', async () => {
    const base = await tempDir();
    const missing = await caught(fdOps.open(join(base, 'missing'), O_RDONLY));
    expect([missing.code, missing.path, (missing as NodeJS.ErrnoException).syscall]).toEqual(['ENOENT', join(base, 'missing'), 'open']);
    writeFileSync(join(base, 'there'), 'x');
    const exists = await caught(fdOps.open(join(base, 'there'), O_WRONLY | O_CREAT | O_EXCL, 0o600));
    expect([exists.code, exists.path]).toEqual(['EEXIST', join(base, 'there')]);
  });

  it('fchmod, fstat, read, writeAll and close on a closed descriptor reject with EBADF', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'f'), 'x');
    const fd = closedDescriptor(join(base, 'f'));
    for (const call of [
      () => fdOps.fchmod(fd, 0o600),
      () => fdOps.fstat(fd),
      () => fdOps.read(fd, Buffer.alloc(4), 0, 4),
      () => fdOps.writeAll(fd, Buffer.from('x')),
      () => fdOps.close(fd),
    ]) {
      expect((await caught(call())).code).toBe('EBADF');
    }
  });

  it('rename moves a file and unlink removes one; both report ENOENT with the path', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'a'), 'moved');
    await fdOps.rename(join(base, 'a'), join(base, 'b'));
    expect([existsSync(join(base, 'a')), readFileSync(join(base, 'b'), 'utf8')]).toEqual([false, 'moved']);
    await fdOps.unlink(join(base, 'b'));
    expect(existsSync(join(base, 'b'))).toBe(false);
    const rename = (await caught(fdOps.rename(join(base, 'a'), join(base, 'c')))) as NodeJS.ErrnoException & { dest?: string };
    expect([rename.code, rename.syscall, rename.path, rename.dest]).toEqual(['ENOENT', 'rename', join(base, 'a'), join(base, 'c')]);
    const unlink = await caught(fdOps.unlink(join(base, 'b')));
    expect([unlink.code, unlink.path]).toEqual(['ENOENT', join(base, 'b')]);
  });
});

const diskSkip = smallDiskSkipReason();

describe.skipIf(diskSkip !== undefined)('writeAll on a full disk', () => {
  let disk: SmallDisk | undefined;
  afterEach(() => {
    disk?.unmount();
    disk = undefined;
  });

  it.each(FLAVOURS)('%s: writes what fits (a short write), then fails with ENOSPC', async (flavour) => {
    const fdOps = ops[flavour];
    disk = mountSmallDisk(256 * 1024);
    const path = join(disk.path, 'file');
    const data = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < data.byteLength; i += 1) data[i] = i % 251;
    const fd = await fdOps.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600);
    const error = await caught(fdOps.writeAll(fd, data));
    await fdOps.close(fd);
    expect(error.code).toBe('ENOSPC');
    const written = readFileSync(path);
    expect(written.byteLength).toBeGreaterThan(0);
    expect(written.byteLength).toBeLessThan(data.byteLength);
    expect(written.equals(data.subarray(0, written.byteLength))).toBe(true);
  });
});

describe('fsyncFd', () => {
  const tempDir = useTempDirs();

  it('flushes an open descriptor, and rejects with EBADF on a closed one', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'f'), 'x');
    const fd = openSync(join(base, 'f'), 'r+');
    await ops.fsyncFd(fd);
    closeSync(fd);
    expect((await caught(ops.fsyncFd(fd))).code).toBe('EBADF');
  });
});

describe('opsFor: which flavour a payload gets', () => {
  it('inline only when asked and the payload is at most 256 KiB; the thread pool otherwise', () => {
    expect(ops.INLINE_IO_LIMIT).toBe(loaded.INLINE_IO_LIMIT);
    for (const bytes of [0, 1, 4096, 256 * 1024]) {
      expect(ops.opsFor(true, bytes), `${bytes} bytes`).toBe(ops.inlineOps);
      expect(ops.opsFor(false, bytes), `${bytes} bytes`).toBe(ops.threadPoolOps);
    }
    for (const bytes of [256 * 1024 + 1, 10 * 1024 * 1024]) {
      expect(ops.opsFor(true, bytes), `${bytes} bytes`).toBe(ops.threadPoolOps);
      expect(ops.opsFor(false, bytes), `${bytes} bytes`).toBe(ops.threadPoolOps);
    }
  });
});
