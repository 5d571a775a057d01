// What a SafeDir does after its directory is renamed away and something else is put at its path.
// descriptor: keeps operating on the original (moved) directory, never on the new occupant.
// verify:     every operation throws (EESCAPE for another directory or nothing, ESYMLINK for a
//             symlink) and the new occupant is left exactly as it was — never a silent success.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pinDescriptor } from '../../../src/dir/pin.js';
import { HardfsError, openDir, type SafeDir } from '../../../src/index.js';
import { OPEN_DIR_FLAGS } from '../../../src/sys/flags.js';
import { descriptorsInto, modeOf, rejectsWith, snapshot } from '../harness.js';
import { caught, useTempDirs } from '../../support/tmp.js';

interface Operation {
  name: string;
  run(dir: SafeDir): Promise<unknown>;
  /** In descriptor mode: the effect must be visible in the moved original. */
  check(moved: string, result: unknown): void | Promise<void>;
}

const OPERATIONS: Operation[] = [
  {
    name: 'writeFileAtomic',
    run: (dir) => dir.writeFileAtomic('f', 'new'),
    check: (moved) => expect(readFileSync(join(moved, 'f'), 'utf8')).toBe('new'),
  },
  {
    name: 'readFile',
    run: (dir) => dir.readFile('f'),
    check: (_moved, result) => expect((result as Buffer).toString()).toBe('original f'),
  },
  {
    name: 'readFileSync',
    run: (dir) => Promise.resolve().then(() => dir.readFileSync('f')),
    check: (_moved, result) => expect((result as Buffer).toString()).toBe('original f'),
  },
  {
    name: 'openFile',
    run: async (dir) => {
      const handle = await dir.openFile('f');
      try {
        return (await handle.readFile()).toString();
      } finally {
        await handle.close();
      }
    },
    check: (_moved, result) => expect(result).toBe('original f'),
  },
  {
    name: 'createFileExclusive',
    run: async (dir) => (await dir.createFileExclusive('created', 'c')).close(),
    check: (moved) => expect(readFileSync(join(moved, 'created'), 'utf8')).toBe('c'),
  },
  {
    name: 'createFileExclusiveSync',
    run: async (dir) => {
      closeSync(dir.createFileExclusiveSync('created-sync', 'cs'));
    },
    check: (moved) => expect(readFileSync(join(moved, 'created-sync'), 'utf8')).toBe('cs'),
  },
  {
    name: 'rename',
    run: (dir) => dir.rename('f', 'renamed'),
    check: (moved) => expect(readFileSync(join(moved, 'renamed'), 'utf8')).toBe('original f'),
  },
  {
    name: 'renameNoReplace',
    run: (dir) => dir.renameNoReplace('f', 'linked'),
    check: (moved) => expect(readdirSync(moved)).toContain('linked'),
  },
  {
    name: 'unlink',
    run: (dir) => dir.unlink('g'),
    check: (moved) => expect(readdirSync(moved)).not.toContain('g'),
  },
  {
    name: 'unlinkSync',
    run: (dir) => Promise.resolve().then(() => { dir.unlinkSync('g'); }),
    check: (moved) => expect(readdirSync(moved)).not.toContain('g'),
  },
  {
    name: 'rmdir',
    run: (dir) => dir.rmdir('empty'),
    check: (moved) => expect(readdirSync(moved)).not.toContain('empty'),
  },
  {
    name: 'removeTree',
    run: (dir) => dir.removeTree('tree'),
    check: (moved) => expect(readdirSync(moved)).not.toContain('tree'),
  },
  {
    name: 'list',
    run: (dir) => dir.list(),
    check: (moved, result) => expect((result as string[]).sort()).toEqual(readdirSync(moved).sort()),
  },
  {
    name: 'entries',
    run: (dir) => dir.entries(),
    check: (moved, result) => expect((result as Array<{ name: string }>).map((entry) => entry.name).sort()).toEqual(readdirSync(moved).sort()),
  },
  {
    name: 'stat',
    run: (dir) => dir.stat('f'),
    check: (moved, result) => expect((result as { ino: number }).ino).toBe(statSync(join(moved, 'f')).ino),
  },
  {
    name: 'statSelf',
    run: (dir) => dir.statSelf(),
    check: (moved, result) => expect((result as { ino: number }).ino).toBe(statSync(moved).ino),
  },
  {
    name: 'setMode',
    run: (dir) => dir.setMode(0o750),
    check: (moved) => expect(modeOf(moved)).toBe(0o750),
  },
  {
    name: 'openSubdir + write inside',
    run: async (dir) => {
      const sub = await dir.openSubdir('tree');
      try {
        await sub.writeFileAtomic('inner-new', 'n');
      } finally {
        await sub.close();
      }
    },
    check: (moved) => expect(readFileSync(join(moved, 'tree', 'inner-new'), 'utf8')).toBe('n'),
  },
  {
    name: 'openSubdir create',
    run: async (dir) => (await dir.openSubdir('made', { create: true })).close(),
    check: (moved) => expect(statSync(join(moved, 'made')).isDirectory()).toBe(true),
  },
  {
    name: 'sync',
    run: (dir) => dir.sync(),
    check: () => undefined,
  },
];

/** The same names in both directories, so a redirected operation would succeed, not fail. */
function populate(dir: string, label: string): void {
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'f'), `${label} f`);
  writeFileSync(join(dir, 'g'), `${label} g`);
  mkdirSync(join(dir, 'empty'));
  mkdirSync(join(dir, 'tree'));
  writeFileSync(join(dir, 'tree', 'inner'), `${label} inner`);
}

type Replacement = 'another directory' | 'a symlink to another directory' | 'nothing';

const REPLACEMENTS: Replacement[] = ['another directory', 'a symlink to another directory', 'nothing'];

async function scene(base: string, resolution: 'descriptor' | 'verify', replacement: Replacement) {
  const path = join(base, 'state');
  const moved = join(base, 'moved');
  const other = join(base, 'other');
  populate(path, 'original');
  const dir = await openDir(path, { resolution });
  renameSync(path, moved);
  populate(other, 'other');
  if (replacement === 'another directory') renameSync(other, path);
  if (replacement === 'a symlink to another directory') symlinkSync(other, path);
  const occupant = replacement === 'another directory' ? path : other;
  return { dir, path, moved, occupant };
}

describe('verify resolution: a replaced directory is detected by every operation', () => {
  const tempDir = useTempDirs();

  describe.each(REPLACEMENTS)('replaced by %s', (replacement) => {
    const expectedCode = replacement === 'a symlink to another directory' ? 'ESYMLINK' : 'EESCAPE';

    it.each(OPERATIONS.map((operation) => [operation.name, operation] as const))(`%s throws ${expectedCode} and touches nothing`, async (_name, operation) => {
      const base = await tempDir();
      const { dir, path, moved, occupant } = await scene(base, 'verify', replacement);
      const occupantBefore = snapshot(occupant);
      const movedBefore = snapshot(moved);
      let thrown: unknown;
      try {
        await operation.run(dir);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(HardfsError);
      expect((thrown as HardfsError).code).toBe(expectedCode);
      expect((thrown as HardfsError).path).toBe(path);
      expect(snapshot(occupant)).toEqual(occupantBefore);
      expect(snapshot(moved)).toEqual(movedBefore);
      await dir.close();
    });
  });

  it('detection is not sticky: with the original back at its path the handle works again', async () => {
    const base = await tempDir();
    const { dir, path, moved } = await scene(base, 'verify', 'another directory');
    await expect(dir.list()).rejects.toMatchObject({ code: 'EESCAPE' });
    renameSync(path, join(base, 'other-aside'));
    renameSync(moved, path);
    await dir.writeFileAtomic('back', 'b');
    expect(readFileSync(join(path, 'back'), 'utf8')).toBe('b');
    await dir.close();
  });

  it('a subdirectory handle detects that its parent was replaced', async () => {
    const base = await tempDir();
    const path = join(base, 'state');
    populate(path, 'original');
    const parent = await openDir(path, { resolution: 'verify' });
    const sub = await parent.openSubdir('tree');
    renameSync(path, join(base, 'moved'));
    populate(join(base, 'other'), 'other');
    renameSync(join(base, 'other'), path);
    const before = snapshot(path);
    await expect(sub.writeFileAtomic('inner', 'redirected?')).rejects.toMatchObject({ code: 'EESCAPE' });
    await expect(sub.readFile('inner')).rejects.toMatchObject({ code: 'EESCAPE' });
    expect(snapshot(path)).toEqual(before);
    await sub.close();
    await parent.close();
  });

  it('HARDFS_RESOLUTION=verify selects this mode by default, for subdirectories too', async () => {
    const base = await tempDir();
    const path = join(base, 'state');
    populate(path, 'original');
    process.env['HARDFS_RESOLUTION'] = 'verify';
    let dir: SafeDir;
    try {
      dir = await openDir(path);
    } finally {
      delete process.env['HARDFS_RESOLUTION'];
    }
    expect(dir.resolution).toBe('verify');
    const sub = await dir.openSubdir('tree');
    expect(sub.resolution).toBe('verify');
    renameSync(path, join(base, 'moved'));
    symlinkSync(join(base, 'moved'), path); // a symlink back to the very same directory
    await expect(dir.list()).rejects.toMatchObject({ code: 'ESYMLINK' });
    await sub.close();
    await dir.close();
  });

  it('an invalid HARDFS_RESOLUTION is a TypeError, not a silent default', async () => {
    const base = await tempDir();
    process.env['HARDFS_RESOLUTION'] = 'proc';
    try {
      await expect(openDir(base)).rejects.toThrow(TypeError);
    } finally {
      delete process.env['HARDFS_RESOLUTION'];
    }
  });
});

describe('descriptor resolution: operations follow the pinned inode, never the path', () => {
  const tempDir = useTempDirs();

  describe.each(REPLACEMENTS)('replaced by %s', (replacement) => {
    it.each(OPERATIONS.map((operation) => [operation.name, operation] as const))('%s acts on the moved original only', async (_name, operation) => {
      const base = await tempDir();
      const { dir, moved, occupant } = await scene(base, 'descriptor', replacement);
      const occupantBefore = replacement === 'nothing' ? undefined : snapshot(occupant);
      const result = await operation.run(dir);
      await operation.check(moved, result);
      if (occupantBefore !== undefined) expect(snapshot(occupant)).toEqual(occupantBefore);
      else expect(readdirSync(base).sort()).toEqual(['moved', 'other']);
      await dir.close();
    });
  });

  it('a handle keeps working on a directory whose every ancestor was renamed', async () => {
    const base = await tempDir();
    const deep = join(base, 'a', 'b', 'c');
    mkdirSync(deep, { recursive: true });
    const dir = await openDir(deep, { resolution: 'descriptor' });
    renameSync(join(base, 'a'), join(base, 'z'));
    mkdirSync(deep, { recursive: true }); // a decoy at the old path
    await dir.writeFileAtomic('f', 'pinned');
    expect(readFileSync(join(base, 'z', 'b', 'c', 'f'), 'utf8')).toBe('pinned');
    expect(readdirSync(deep)).toEqual([]);
    await dir.close();
  });
});

describe('verify resolution: a synchronous operation on a directory gone or replaced', () => {
  const tempDir = useTempDirs();

  it('says the directory is gone from its path, with the errno code', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'd'));
    writeFileSync(join(base, 'd', 'f'), 'x');
    const dir = await openDir(join(base, 'd'), { resolution: 'verify' });
    try {
      renameSync(join(base, 'd'), join(base, 'elsewhere'));
      const error = await rejectsWith(() => dir.readFileSync('f'), 'EESCAPE');
      expect(error.path).toBe(join(base, 'd'));
      expect(error.message).toContain('gone from its path');
      expect(error.message).toContain('(ENOENT)'); // the errno of the failed lstat
      expect(error.cause).toMatchObject({ code: 'ENOENT' });
    } finally {
      await dir.close();
    }
  });

  it('says the directory was replaced by a symlink, or by another directory', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'd'));
    writeFileSync(join(base, 'd', 'f'), 'x');
    const dir = await openDir(join(base, 'd'), { resolution: 'verify' });
    try {
      renameSync(join(base, 'd'), join(base, 'elsewhere'));
      symlinkSync(join(base, 'elsewhere'), join(base, 'd'));
      const symlinked = await rejectsWith(() => dir.readFileSync('f'), 'ESYMLINK');
      expect(symlinked.path).toBe(join(base, 'd'));
      expect(symlinked.message).toContain('pinned directory was replaced by a symlink');

      unlinkSync(join(base, 'd'));
      mkdirSync(join(base, 'd'));
      const replaced = await rejectsWith(() => dir.readFileSync('f'), 'EESCAPE');
      expect(replaced.path).toBe(join(base, 'd'));
      expect(replaced.message).toContain('replaced by another directory');
    } finally {
      await dir.close();
    }
  });
});

describe('a verify-mode directory that is gone from its path', () => {
  const tempDir = useTempDirs();

  it('is refused as EESCAPE with the errno of the failed lstat in the message', async () => {
    const base = await tempDir();
    const path = join(base, 'state');
    mkdirSync(path, { mode: 0o700 });
    const dir = await openDir(path, { resolution: 'verify' });
    try {
      rmdirSync(path);
      const error = await rejectsWith(dir.stat('anything'), 'EESCAPE');
      expect(error.path).toBe(path);
      expect(error.message).toContain('gone from its path');
      expect(error.message).toContain('(ENOENT)'); // the errno of the failed lstat
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    } finally {
      await dir.close();
    }
  });
});

// openDir runs its open, fstat and lstat back to back on the event loop (no await between
// them), so the instants between them are reached by calling the pinning step directly on a
// descriptor opened before the swap.
describe('pinning a descriptor whose path was swapped after the open', () => {
  const tempDir = useTempDirs();

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
    expect(error.message).toContain('directory changed while it was being opened');
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
