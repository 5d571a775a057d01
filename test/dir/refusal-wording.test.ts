// The helpers behind SafeDir (containment, names, open-error mapping, policy, resolution choice,
// ensureRealDir, flags): the exact wording of each refusal and the edge cases the broader
// suites leave implicit. Written against surviving mutants of src/dir.
//
// A few tests stub process.platform (or process.getuid) around one synchronous call, restored
// at once, to exercise the platform branches of pure helpers on this Linux machine; the
// filesystem itself is never mocked.
import { chmodSync, chownSync, mkdirSync, readdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  HardfsError,
  assertRealDir,
  assertRealpathWithin,
  assertSingleComponent,
  ensureRealDir,
  isPathWithin,
  isSingleComponent,
  openDir,
  resolveWithin,
} from '../../src/index.js';
import { HAS_NOFOLLOW, OPEN_DIR_FLAGS, OPEN_READ_FLAGS } from '../../src/sys/flags.js';
import { mapOpenError } from '../../src/sys/open-errors.js';
import {
  chooseResolution,
  descriptorResolutionWorks,
  requestedResolution,
} from '../../src/dir/resolution.js';
import { caught, useTempDirs } from '../support/tmp.js';
import { descriptorsInto, rejectsNative, rejectsWith } from './harness.js';

/** Runs `run` synchronously with process.platform reading `platform`, then restores it. */
function onPlatform<T>(platform: NodeJS.Platform, run: () => T): T {
  const original = Object.getOwnPropertyDescriptor(process, 'platform');
  if (original === undefined) throw new Error('process.platform has no descriptor');
  Object.defineProperty(process, 'platform', { ...original, value: platform });
  try {
    return run();
  } finally {
    Object.defineProperty(process, 'platform', original);
  }
}

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

const ENV = 'HARDFS_RESOLUTION';

async function withResolutionEnv<T>(value: string, run: () => Promise<T>): Promise<T> {
  const previous = process.env[ENV];
  process.env[ENV] = value;
  try {
    return await run();
  } finally {
    if (previous === undefined) delete process.env[ENV];
    else process.env[ENV] = previous;
  }
}

describe('isPathWithin, resolveWithin, assertRealpathWithin: argument checks name the argument', () => {
  const tempDir = useTempDirs();
  const notAString = 42 as unknown as string;

  it('a non-string root, candidate or path segment is a TypeError saying which one', async () => {
    const typeError = async (action: () => unknown, message: string): Promise<void> => {
      const error = await caught(action);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe(message);
    };
    await typeError(() => isPathWithin(notAString, '/x'), 'root must be a string');
    await typeError(() => isPathWithin('/x', notAString), 'candidate must be a string');
    await typeError(() => resolveWithin(notAString, 'a'), 'root must be a string');
    await typeError(() => resolveWithin('/x', 'a', notAString), 'path segment must be a string');
    await typeError(() => assertRealpathWithin(notAString, '/x'), 'root must be a string');
    await typeError(() => assertRealpathWithin('/x', notAString), 'candidate must be a string');
    // An array has includes() too: only the type check tells it apart.
    await typeError(() => isPathWithin(['/x'] as unknown as string, '/x'), 'root must be a string');
  });

  it('a NUL in any argument is EBADNAME naming the argument, with the NUL spelled \\0 in the path', async () => {
    const base = await tempDir();
    const refused = async (action: () => unknown, message: string, path: string): Promise<void> => {
      const error = await rejectsWith(action, 'EBADNAME');
      expect(error.message).toBe(`EBADNAME: ${message}: ${path}`);
      expect(error.path).toBe(path);
    };
    await refused(() => isPathWithin('/a\0b', '/x'), 'root contains NUL', '/a\\0b');
    await refused(() => isPathWithin('/x', '/x/\0y'), 'candidate contains NUL', '/x/\\0y');
    await refused(() => resolveWithin('/r\0', 'a'), 'root contains NUL', '/r\\0');
    await refused(() => resolveWithin('/r', 'a', 'b\0c\0'), 'path segment contains NUL', 'b\\0c\\0');
    await refused(() => assertRealpathWithin(`${base}\0`, base), 'root contains NUL', `${base}\\0`);
    await refused(() => assertRealpathWithin(base, `${base}/\0`), 'candidate contains NUL', `${base}/\\0`);
  });
});

describe('resolveWithin and assertRealpathWithin: an escape names the root and the escaping path', () => {
  const tempDir = useTempDirs();

  it('resolveWithin says which root was left and reports the resolved candidate', async () => {
    const error = await rejectsWith(() => resolveWithin('/srv/data/', '..', 'etc'), 'EESCAPE');
    expect(error.message).toBe('EESCAPE: path escapes /srv/data: /srv/etc');
    expect(error.path).toBe('/srv/etc');
  });

  it('assertRealpathWithin reports the real root and the real path the symlink leads to', async () => {
    const root = realpathSync(await tempDir());
    const outside = realpathSync(await tempDir());
    symlinkSync(outside, join(root, 'out'));
    const error = await rejectsWith(assertRealpathWithin(root, join(root, 'out')), 'EESCAPE');
    expect(error.message).toBe(`EESCAPE: real path is outside ${root}: ${outside}`);
    expect(error.path).toBe(outside);
  });
});

describe('isPathWithin on Windows compares case-insensitively', () => {
  it('a differently cased candidate is within the root on win32 and not on POSIX', () => {
    expect(isPathWithin('/Data/Root', '/data/ROOT/file')).toBe(false);
    expect(onPlatform('win32', () => isPathWithin('/Data/Root', '/data/ROOT/file'))).toBe(true);
    expect(onPlatform('win32', () => isPathWithin('/Data/Root', '/data/ROOT'))).toBe(true);
    expect(onPlatform('win32', () => isPathWithin('/Data/Root', '/data/other'))).toBe(false);
  });

  it('case folding on win32 does not make ß and SS the same name', () => {
    // Full upper-casing turns ß into SS; NTFS (and lower-casing) keep them distinct.
    expect(onPlatform('win32', () => isPathWithin('/data/ß', '/data/SS/file'))).toBe(false);
    expect(onPlatform('win32', () => isPathWithin('/data/SS', '/data/ß/file'))).toBe(false);
  });
});

describe('assertSingleComponent: each refusal says what was wrong and with which name', () => {
  it('names the argument "name" unless told otherwise', async () => {
    const message = (name: unknown, what?: string): string => {
      try {
        assertSingleComponent(name as string, what);
      } catch (error) {
        expect(error).toBeInstanceOf(HardfsError);
        expect((error as HardfsError).code).toBe('EBADNAME');
        return (error as HardfsError).message;
      }
      return 'accepted';
    };
    expect(message(7)).toBe('EBADNAME: name must be a string');
    expect(message('')).toBe('EBADNAME: name must not be empty');
    expect(message('.')).toBe('EBADNAME: name must not be "." or "..": .');
    expect(message('..')).toBe('EBADNAME: name must not be "." or "..": ..');
    expect(message('a/b')).toBe('EBADNAME: name must be a single path component: a/b');
    expect(message('a\\b')).toBe('EBADNAME: name must be a single path component: a\\b');
    expect(message('a\0b')).toBe('EBADNAME: name must be a single path component: a\\0b');
    expect(message(7, 'lock name')).toBe('EBADNAME: lock name must be a string');
    expect(message('', 'lock name')).toBe('EBADNAME: lock name must not be empty');
    expect(message('..', 'lock name')).toBe('EBADNAME: lock name must not be "." or "..": ..');
    expect(message('x/y', 'lock name')).toBe('EBADNAME: lock name must be a single path component: x/y');
    expect(message('...')).toBe('accepted');
    expect(isSingleComponent('..')).toBe(false);
    expect(isSingleComponent('...')).toBe(true);
  });

  it('a "." or ".." refusal carries the name as its path, as the SafeDir methods show', async () => {
    for (const name of ['.', '..']) {
      let thrown: unknown;
      try {
        assertSingleComponent(name);
      } catch (error) {
        thrown = error;
      }
      expect((thrown as HardfsError).path).toBe(name);
    }
  });
});

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
    expect(mapped.message).toBe('ESYMLINK: refusing to follow a symlink: /shown/link');
    expect(mapped.path).toBe('/shown/link');
    expect(mapped.cause).toBe(loop);
  });

  it('a symlink read through a SafeDir is refused with that wording', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'target'), 'x');
    symlinkSync(join(base, 'target'), join(base, 'link'));
    const dir = await openDir(base);
    try {
      const error = await rejectsWith(dir.readFile('link'), 'ESYMLINK');
      expect(error.message).toBe(`ESYMLINK: refusing to follow a symlink: ${join(base, 'link')}`);
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
    expect(mapped.message).toBe('ENOTDIR: not a directory: /shown');
    expect(mapped.cause).toBe(notDir);
    const missing = await openError(join(base, 'missing'), OPEN_READ_FLAGS);
    expect(mapOpenError(missing, '/shown', 'directory')).toBe(missing);
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

  it('O_NOFOLLOW is available on this platform', () => {
    expect(HAS_NOFOLLOW).toBe(true);
  });

  it('openDir refuses a regular file in the open itself (O_DIRECTORY): the native ENOTDIR is the cause', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'x');
    const notDir = await openError(join(base, 'file'), OPEN_DIR_FLAGS);
    expect(notDir.code).toBe('ENOTDIR');
    const error = await rejectsWith(openDir(join(base, 'file')), 'ENOTDIR');
    expect(error.message).toBe(`ENOTDIR: not a directory: ${join(base, 'file')}`);
    expect((error.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ENOTDIR');
    expect((error.cause as NodeJS.ErrnoException | undefined)?.syscall).toBe('open');
  });

  it('openDir refuses a symlink to a directory as a symlink where a directory is required', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'link'));
    const error = await rejectsWith(openDir(join(base, 'link')), 'ESYMLINK');
    expect(error.message).toBe(`ESYMLINK: refusing a symlink where a directory is required: ${join(base, 'link')}`);
    // Linux answers O_DIRECTORY|O_NOFOLLOW on a symlink with ENOTDIR (ELOOP without O_DIRECTORY)
    expect((error.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ENOTDIR');
  });
});

describe('checkDirStats: the wording of each policy refusal', () => {
  const tempDir = useTempDirs();

  it('symlink, non-directory, group-writable and world-writable refusals say which', async () => {
    const base = await tempDir();
    const dir = join(base, 'd');
    mkdirSync(dir);
    symlinkSync(dir, join(base, 'link'));
    writeFileSync(join(base, 'file'), 'x');
    const symlink = await rejectsWith(assertRealDir(join(base, 'link')), 'ESYMLINK');
    expect(symlink.message).toBe(`ESYMLINK: refusing a symlink where a directory is required: ${join(base, 'link')}`);
    const file = await rejectsWith(assertRealDir(join(base, 'file')), 'ENOTDIR');
    expect(file.message).toBe(`ENOTDIR: not a directory: ${join(base, 'file')}`);
    chmodSync(dir, 0o770);
    const group = await rejectsWith(assertRealDir(dir), 'EINSECURE');
    expect(group.message).toBe(`EINSECURE: directory is group-writable without the sticky bit: ${dir}`);
    chmodSync(dir, 0o702);
    const world = await rejectsWith(assertRealDir(dir), 'EINSECURE');
    expect(world.message).toBe(`EINSECURE: directory is world-writable without the sticky bit: ${dir}`);
  });

  describe('for a process that is not root', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('trusts a directory owned by root, refuses one owned by another user', async () => {
      expect(statSync('/').uid).toBe(0);
      expect(statSync('/').mode & 0o022).toBe(0);
      vi.spyOn(process, 'getuid').mockReturnValue(1000);
      await assertRealDir('/');
      const base = await tempDir();
      const dir = join(base, 'd');
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, 65534, 65534);
      const foreign = await rejectsWith(assertRealDir(dir), 'EINSECURE');
      expect(foreign.message).toBe(`EINSECURE: directory is owned by uid 65534, not by uid 1000: ${dir}`);
    });
  });
});

describe('resolution requests', () => {
  const tempDir = useTempDirs();

  it('an empty HARDFS_RESOLUTION means auto, like an unset one', async () => {
    const base = await tempDir();
    await withResolutionEnv('', async () => {
      expect(requestedResolution(undefined)).toBe('auto');
      const dir = await openDir(base);
      expect(dir.resolution).toBe('descriptor');
      await dir.close();
    });
  });

  it('"auto" is accepted as an option and from the environment', async () => {
    const base = await tempDir();
    expect(requestedResolution('auto')).toBe('auto');
    const dir = await openDir(base, { resolution: 'auto' });
    expect(dir.resolution).toBe('descriptor');
    await dir.close();
    await withResolutionEnv('auto', async () => {
      expect(requestedResolution(undefined)).toBe('auto');
      const fromEnv = await openDir(base);
      expect(fromEnv.resolution).toBe('descriptor');
      await fromEnv.close();
    });
  });

  it('an invalid request is a TypeError naming its source, the choices and the value given', async () => {
    const base = await tempDir();
    const option = await caught(openDir(base, { resolution: 'fast' as 'auto' }));
    expect(option).toBeInstanceOf(TypeError);
    expect(option.message).toBe('resolution option must be "auto", "descriptor" or "verify", got "fast"');
    await withResolutionEnv('proc', async () => {
      const env = await caught(openDir(base));
      expect(env).toBeInstanceOf(TypeError);
      expect(env.message).toBe('HARDFS_RESOLUTION must be "auto", "descriptor" or "verify", got "proc"');
    });
  });
});

describe('descriptor resolution is trusted only once proven', () => {
  const tempDir = useTempDirs();

  it('a descriptor that no longer resolves through /proc is not trusted: auto falls back, descriptor is refused', async () => {
    const base = await tempDir();
    const handle = await open(base, OPEN_DIR_FLAGS);
    const pinned = await handle.stat({ bigint: true });
    const fd = handle.fd;
    expect(descriptorResolutionWorks(fd, pinned)).toBe(true);
    await handle.close();
    expect(descriptorResolutionWorks(fd, pinned)).toBe(false);
    expect(chooseResolution('auto', fd, pinned, base)).toBe('verify');
    const refused = await rejectsWith(() => chooseResolution('descriptor', fd, pinned, base), 'EUNSUPPORTED');
    expect(refused.message).toBe(`EUNSUPPORTED: descriptor-anchored resolution (/proc/self/fd) is unavailable: ${base}`);
    expect(refused.op).toBe('openDir');
    expect(refused.path).toBe(base);
  });

  it('off Linux, a /proc that answers is still not trusted', async () => {
    const base = await tempDir();
    const handle = await open(base, OPEN_DIR_FLAGS);
    try {
      const pinned = await handle.stat({ bigint: true });
      // The platform is read before the first await, so the stub covers the whole check.
      const pending = onPlatform('freebsd', () => descriptorResolutionWorks(handle.fd, pinned));
      expect(await pending).toBe(false);
      expect(descriptorResolutionWorks(handle.fd, pinned)).toBe(true);
    } finally {
      await handle.close();
    }
  });
});

describe('ensureRealDir', () => {
  const tempDir = useTempDirs();

  it('a path outside the root is refused naming the root', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    const error = await rejectsWith(ensureRealDir(join(outside, 'x'), { root: base }), 'EESCAPE');
    expect(error.message).toBe(`EESCAPE: path is not within the root ${base}: ${join(outside, 'x')}`);
    expect(error.path).toBe(join(outside, 'x'));
  });

  it('leaves no descriptor open on the directories it created, with and without a root', async () => {
    const base = await tempDir();
    expect(await ensureRealDir(join(base, 'a', 'b'))).toBe(join(base, 'a', 'b'));
    expect(descriptorsInto(base)).toEqual([]);
    expect(await ensureRealDir(join(base, 'r', 's'), { root: base })).toBe(join(base, 'r', 's'));
    expect(descriptorsInto(base)).toEqual([]);
    expect(await ensureRealDir(join(base, 'one'))).toBe(join(base, 'one'));
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('a lookup error other than ENOENT is thrown as is, nothing is created', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'file'), 'x');
    const error = await rejectsNative(ensureRealDir(join(base, 'file', 'sub')), 'ENOTDIR');
    expect(error.syscall).toBe('lstat');
    expect(readdirSync(base)).toEqual(['file']);
  });
});
