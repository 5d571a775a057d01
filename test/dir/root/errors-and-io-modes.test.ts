// Behaviours of the root's error shaping and I/O modes (first pinned against mutants
// of the second half of src/dir/safe-dir.ts): which path native errors name in verify mode, the
// display path under `/`, the wording of openDir's refusals, the inheritance of a relaxed
// policy by subdirectories, which syscalls io: 'hybrid' keeps off the thread pool, and the two
// instants inside openDir that only a held thread pool can reach (a directory swapped between
// the open and the verify-mode identity check; a symlink planted after an open failed).
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardfsError, openDir, type SafeDir } from '../../../src/index.js';
import { PoolGates, nextTurn, threadPoolSize } from '../../support/pool-gates.js';
import { caught, useTempDirs } from '../../support/tmp.js';
import { descriptorsInto, rejectsNative, rejectsWith } from '../harness.js';
import { pinDescriptor } from '../../../src/dir/pin.js';
import { OPEN_DIR_FLAGS } from '../../../src/sys/flags.js';

const tempDir = useTempDirs();

const isRoot = process.getuid?.() === 0;

/** True if `promise` settles before the event loop's next check phase (no thread-pool round trip). */
async function settlesWithinATurn(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await nextTurn();
  return settled;
}


async function withGates<T>(run: (gates: PoolGates) => Promise<T>): Promise<T> {
  const gates = new PoolGates(await tempDir());
  try {
    return await run(gates);
  } finally {
    await gates.releaseAll();
  }
}

describe('native errors in verify mode name the directory path, not a descriptor path', () => {
  it('unlink, rmdir, stat and rename of a missing name fail with ENOENT at <directory>/<name>', async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution: 'verify' });
    try {
      expect((await rejectsNative(dir.unlink('missing'), 'ENOENT')).path).toBe(join(base, 'missing'));
      expect((await rejectsNative(dir.rmdir('missing'), 'ENOENT')).path).toBe(join(base, 'missing'));
      expect((await rejectsNative(dir.stat('missing'), 'ENOENT')).path).toBe(join(base, 'missing'));
      expect((await rejectsNative(dir.rename('missing', 'other'), 'ENOENT')).path).toBe(join(base, 'missing'));
    } finally {
      await dir.close();
    }
  });

  it('the same errors in descriptor mode name the caller path too, never /proc/self/fd', async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution: 'descriptor' });
    try {
      const error = await rejectsNative(dir.unlink('missing'), 'ENOENT');
      expect(error.path).toBe(join(base, 'missing'));
      expect(error.syscall).toBe('unlink');
      expect(error.message).toContain(`unlink '${join(base, 'missing')}'`);
      expect(error.message).not.toContain('/proc/self/fd');
    } finally {
      await dir.close();
    }
  });
});

describe('the root directory', () => {
  it('names a child of / as /<name>, with no doubled separator', async () => {
    const root = await openDir('/');
    try {
      expect(root.path).toBe('/');
      // The policy refuses the mode before mkdir: nothing is created in /.
      const error = await rejectsWith(root.openSubdir('hardfs-never-created', { create: true, mode: 0o777 }), 'EINSECURE');
      expect(error.path).toBe('/hardfs-never-created');
      expect(error.message).toBe('EINSECURE: directory is group-writable without the sticky bit: /hardfs-never-created');
    } finally {
      await root.close();
    }
  });
});

describe('a verify-mode directory that is gone from its path', () => {
  it('is refused as EESCAPE with the errno of the failed lstat in the message', async () => {
    const base = await tempDir();
    const path = join(base, 'state');
    mkdirSync(path, { mode: 0o700 });
    const dir = await openDir(path, { resolution: 'verify' });
    try {
      rmdirSync(path);
      const error = await rejectsWith(dir.stat('anything'), 'EESCAPE');
      expect(error.path).toBe(path);
      expect(error.message).toBe(`EESCAPE: pinned directory is gone from its path (ENOENT): ${path}`);
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    } finally {
      await dir.close();
    }
  });
});

describe('openDir refusals say what is wrong', () => {
  it('an empty or non-string path is EBADNAME "directory path must be a non-empty string"', async () => {
    for (const bad of ['', undefined as unknown as string, 42 as unknown as string]) {
      const error = await rejectsWith(openDir(bad), 'EBADNAME');
      expect(error.message).toBe('EBADNAME: directory path must be a non-empty string');
      expect(error.path).toBeUndefined();
    }
  });

  it('a path with NUL is EBADNAME "directory path contains NUL", the NUL shown as \\0', async () => {
    const error = await rejectsWith(openDir('a\0b\0'), 'EBADNAME');
    expect(error.path).toBe('a\\0b\\0');
    expect(error.message).toBe('EBADNAME: directory path contains NUL: a\\0b\\0');
  });

  it('a symlink is ESYMLINK "refusing a symlink where a directory is required", in both modes', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'link'));
    for (const resolution of ['descriptor', 'verify'] as const) {
      const error = await rejectsWith(openDir(join(base, 'link'), { resolution }), 'ESYMLINK');
      expect(error.path).toBe(join(base, 'link'));
      expect(error.message).toBe(`ESYMLINK: refusing a symlink where a directory is required: ${join(base, 'link')}`);
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    }
    expect(descriptorsInto(base)).toEqual([]);
  });
});

describe('openSubdir inherits the relaxations of its parent policy', () => {
  it('a world-writable subdirectory opens under a parent opened with allowWorldWritable', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'world'));
    chmodSync(join(base, 'world'), 0o707);
    const dir = await openDir(base, { allowWorldWritable: true });
    try {
      await (await dir.openSubdir('world')).close();
      // An explicit override still wins.
      await rejectsWith(dir.openSubdir('world', { allowWorldWritable: false }), 'EINSECURE');
    } finally {
      await dir.close();
    }
  });

  it('a group-writable subdirectory opens under a parent opened with allowGroupWritable', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'group'));
    chmodSync(join(base, 'group'), 0o770);
    const dir = await openDir(base, { allowGroupWritable: true });
    try {
      await (await dir.openSubdir('group')).close();
      await rejectsWith(dir.openSubdir('group', { allowGroupWritable: false }), 'EINSECURE');
    } finally {
      await dir.close();
    }
  });

  it.skipIf(!isRoot)('a subdirectory of another owner opens under a parent opened with allowOtherOwner', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'foreign'), { mode: 0o700 });
    chownSync(join(base, 'foreign'), 65534, 65534);
    const dir = await openDir(base, { allowOtherOwner: true });
    try {
      const sub = await dir.openSubdir('foreign');
      // ...and passes the relaxation on to its own subdirectories.
      mkdirSync(join(base, 'foreign', 'deeper'), { mode: 0o700 });
      chownSync(join(base, 'foreign', 'deeper'), 65534, 65534);
      await (await sub.openSubdir('deeper')).close();
      await sub.close();
      await rejectsWith(dir.openSubdir('foreign', { allowOtherOwner: false }), 'EINSECURE');
    } finally {
      await dir.close();
    }
    const strict = await openDir(base);
    try {
      await rejectsWith(strict.openSubdir('foreign'), 'EINSECURE');
    } finally {
      await strict.close();
    }
  });
});

describe('io mode: which operations wait for the thread pool', () => {
  async function statWhilePoolIsHeld(dir: SafeDir): Promise<{ withinATurn: boolean; stats: Promise<unknown> }> {
    return withGates(async (gates) => {
      gates.add(threadPoolSize());
      const stats = dir.stat('f');
      const withinATurn = await settlesWithinATurn(stats);
      return { withinATurn, stats };
    });
  }

  it("io: 'hybrid' (the default) answers a stat inline, even while every pool thread is busy", async () => {
    const base = await tempDir();
    execFileSync('touch', [join(base, 'f')]);
    for (const options of [{ io: 'hybrid' as const }, {}]) {
      const dir = await openDir(base, { resolution: 'descriptor', ...options });
      try {
        const { withinATurn, stats } = await statWhilePoolIsHeld(dir);
        expect(withinATurn).toBe(true);
        expect(((await stats) as { isFile(): boolean }).isFile()).toBe(true);
      } finally {
        await dir.close();
      }
    }
  });

  it("io: 'async' queues the same stat on the thread pool, behind the work already there", async () => {
    const base = await tempDir();
    execFileSync('touch', [join(base, 'f')]);
    const dir = await openDir(base, { resolution: 'descriptor', io: 'async' });
    try {
      const { withinATurn, stats } = await statWhilePoolIsHeld(dir);
      expect(withinATurn).toBe(false);
      expect(((await stats) as { isFile(): boolean }).isFile()).toBe(true);
    } finally {
      await dir.close();
    }
  });
});

// openDir runs its open, fstat and lstat back to back on the event loop (no await between
// them), so the instants between them are reached by calling the pinning step directly on a
// descriptor opened before the swap.
describe('pinning a descriptor whose path was swapped after the open', () => {
  it('verify mode refuses a directory swapped for another between the open and the identity check', async () => {
    const base = await tempDir();
    const path = join(base, 'state');
    mkdirSync(path, { mode: 0o700 });
    const fd = openSync(path, OPEN_DIR_FLAGS);
    renameSync(path, join(base, 'moved'));
    mkdirSync(path, { mode: 0o700 });
    const error = await caught(() => pinDescriptor(fd, path, {}, 'verify'));
    expect(error.code).toBe('EESCAPE');
    expect(error.path).toBe(path);
    expect(error.message).toBe(`EESCAPE: directory changed while it was being opened: ${path}`);
    expect(descriptorsInto(base)).toEqual([]); // the descriptor opened on the original was closed
    expect(readdirSync(base).sort()).toEqual(['moved', 'state']);
  });

  it('the same swap in descriptor mode is no error: the root keeps the directory it opened', async () => {
    const base = await tempDir();
    const path = join(base, 'state');
    mkdirSync(path, { mode: 0o700 });
    const fd = openSync(path, OPEN_DIR_FLAGS);
    renameSync(path, join(base, 'moved'));
    mkdirSync(path, { mode: 0o700 });
    const pinned = pinDescriptor(fd, path, {}, 'descriptor');
    expect(pinned.resolver.kind).toBe('descriptor');
    writeFileSync(`${pinned.resolver.pathIn(pinned.node, 'f')}`, 'x');
    expect(readdirSync(join(base, 'moved'))).toEqual(['f']);
    expect(readdirSync(path)).toEqual([]);
    closeSync(fd);
  });
});
