// mapOpenError and the open flags: which native open errors become typed refusals, with the
// native error as cause; platform branches exercised by stubbing process.platform around one call.
import { constants, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardfsError, openDir } from '../../src/index.js';
import { OPEN_DIR_FLAGS, OPEN_READ_FLAGS } from '../../src/sys/flags.js';
import { mapOpenError } from '../../src/sys/open-errors.js';
import { onPlatform, rejectsWith } from '../dir/harness.js';
import { caught, useTempDirs } from '../support/tmp.js';

/** The native error a failed open of `path` with `flags` gives. */
async function openError(path: string, flags: number): Promise<NodeJS.ErrnoException> {
  const error = await caught(open(path, flags).then((handle) => handle.close()));
  expect(error).not.toBeInstanceOf(HardfsError);
  return error as NodeJS.ErrnoException;
}

/** An errno-shaped error as node:fs builds it, for codes this platform's open(2) never returns. */
function nativeError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: open '${path}'`), { code, errno: -1, syscall: 'open', path });
}

describe('mapOpenError: which native open errors become typed refusals', () => {
  const tempDir = useTempDirs();

  it('ELOOP from O_NOFOLLOW becomes ESYMLINK with the native error as cause', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'target'), 'x');
    symlinkSync(join(base, 'target'), join(base, 'link'));
    const loop = await openError(join(base, 'link'), OPEN_READ_FLAGS);
    expect(loop.code).toBe('ELOOP');
    const mapped = mapOpenError(loop, '/shown/link', 'file') as HardfsError;
    expect(mapped).toBeInstanceOf(HardfsError);
    expect(mapped.code).toBe('ESYMLINK');
    expect(mapped.message).toContain('symlink');
    expect(mapped.path).toBe('/shown/link');
    expect(mapped.cause).toBe(loop);
  });

  it('a symlink read through a SafeDir is the same ESYMLINK, at the caller path', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'target'), 'x');
    symlinkSync(join(base, 'target'), join(base, 'link'));
    const dir = await openDir(base);
    try {
      const error = await rejectsWith(dir.readFile('link'), 'ESYMLINK');
      expect(error.path).toBe(join(base, 'link'));
      expect(error.message).toContain('symlink');
    } finally {
      await dir.close();
    }
  });

  it('ENOTDIR becomes a typed ENOTDIR only where a directory was expected', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'x');
    const notDir = await openError(join(base, 'file', 'below'), OPEN_READ_FLAGS);
    expect(notDir.code).toBe('ENOTDIR');
    expect(mapOpenError(notDir, '/shown', 'file')).toBe(notDir);
    const mapped = mapOpenError(notDir, '/shown', 'directory') as HardfsError;
    expect(mapped).toBeInstanceOf(HardfsError);
    expect(mapped.code).toBe('ENOTDIR');
    expect(mapped.message).toContain('not a directory');
    expect(mapped.path).toBe('/shown');
    expect(mapped.cause).toBe(notDir);
    const missing = await openError(join(base, 'missing'), OPEN_READ_FLAGS);
    expect(mapOpenError(missing, '/shown', 'directory')).toBe(missing);
  });

  it('a directory opened for writing (EISDIR) is EINSECURE where a regular file is expected, untouched where a directory is', async () => {
    const base = await tempDir();
    const isDir = await openError(base, constants.O_WRONLY);
    expect(isDir.code).toBe('EISDIR');
    const mapped = mapOpenError(isDir, '/shown/dir', 'file') as HardfsError;
    expect(mapped).toBeInstanceOf(HardfsError);
    expect([mapped.code, mapped.path, mapped.cause]).toEqual(['EINSECURE', '/shown/dir', isDir]);
    expect(mapped.message).toContain('not a regular file (a directory)');
    expect(mapOpenError(isDir, '/shown/dir', 'directory')).toBe(isDir);
  });

  it('a UNIX socket (ENXIO) is EINSECURE where a regular file is expected, untouched where a directory is', async () => {
    const base = await tempDir();
    const socket = join(base, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const noDevice = await openError(socket, OPEN_READ_FLAGS);
      expect(noDevice.code).toBe('ENXIO');
      const mapped = mapOpenError(noDevice, '/shown/sock', 'file') as HardfsError;
      expect(mapped).toBeInstanceOf(HardfsError);
      expect([mapped.code, mapped.path, mapped.cause]).toEqual(['EINSECURE', '/shown/sock', noDevice]);
      expect(mapped.message).toContain('a socket or device');
      expect(mapOpenError(noDevice, '/shown/sock', 'directory')).toBe(noDevice);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('ENODEV (a device node whose driver refuses the open) is the same EINSECURE where a regular file is expected', () => {
    const noDriver = nativeError('ENODEV', '/dev/x');
    const mapped = mapOpenError(noDriver, '/dev/x', 'file') as HardfsError;
    expect(mapped).toBeInstanceOf(HardfsError);
    expect([mapped.code, mapped.path, mapped.cause]).toEqual(['EINSECURE', '/dev/x', noDriver]);
    expect(mapOpenError(noDriver, '/dev/x', 'directory')).toBe(noDriver);
  });

  it('other native errors pass through untouched whatever was expected', async () => {
    const base = await tempDir();
    const missing = await openError(join(base, 'missing'), OPEN_READ_FLAGS);
    writeFileSync(join(base, 'there'), 'x');
    const exists = await openError(join(base, 'there'), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
    expect([missing.code, exists.code]).toEqual(['ENOENT', 'EEXIST']);
    for (const error of [missing, exists, 'not an error', undefined]) {
      expect(mapOpenError(error, '/p', 'file')).toBe(error);
      expect(mapOpenError(error, '/p', 'directory')).toBe(error);
    }
  });

  it('EMLINK passes through untouched on Linux, where it never means a symlink', () => {
    const emlink = nativeError('EMLINK', '/p');
    expect(mapOpenError(emlink, '/p', 'file')).toBe(emlink);
    expect(mapOpenError(emlink, '/p', 'directory')).toBe(emlink);
  });

  it('EMLINK is the BSDs\u2019 answer to O_NOFOLLOW on a symlink: ESYMLINK on FreeBSD and OpenBSD', () => {
    const emlink = nativeError('EMLINK', '/p');
    const missing = nativeError('ENOENT', '/p');
    for (const platform of ['freebsd', 'openbsd'] as const) {
      const mapped = onPlatform(platform, () => mapOpenError(emlink, '/p', 'file')) as HardfsError;
      expect([platform, mapped]).toEqual([platform, expect.any(HardfsError)]);
      expect(mapped.code).toBe('ESYMLINK');
      expect(mapped.cause).toBe(emlink);
      // only EMLINK: other errors still pass through there
      expect(onPlatform(platform, () => mapOpenError(missing, '/p', 'file'))).toBe(missing);
    }
    expect(onPlatform('darwin', () => mapOpenError(emlink, '/p', 'file'))).toBe(emlink);
  });
});

describe('open flags', () => {
  const tempDir = useTempDirs();

  it('openDir refuses a regular file in the open itself (O_DIRECTORY): the native ENOTDIR is the cause', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'x');
    const notDir = await openError(join(base, 'file'), OPEN_DIR_FLAGS);
    expect(notDir.code).toBe('ENOTDIR');
    const error = await rejectsWith(openDir(join(base, 'file')), 'ENOTDIR');
    expect(error.path).toBe(join(base, 'file'));
    expect(error.message).toContain('not a directory');
    expect((error.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ENOTDIR');
    expect((error.cause as NodeJS.ErrnoException | undefined)?.syscall).toBe('open');
  });

  it('openDir refuses a symlink to a directory as a symlink where a directory is required', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'link'));
    const error = await rejectsWith(openDir(join(base, 'link')), 'ESYMLINK');
    expect(error.path).toBe(join(base, 'link'));
    expect(error.message).toContain('where a directory is required');
    // Linux answers O_DIRECTORY|O_NOFOLLOW on a symlink with ENOTDIR (ELOOP without O_DIRECTORY)
    expect((error.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ENOTDIR');
  });
});
