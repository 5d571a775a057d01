// openSubdir: creating with an exact mode whatever the umask, the directory policy, inheritance.
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, type OpenDirOptions, type SafeDir } from '../../../src/index.js';
import { descriptorsInto, modeOf, MODES, outcome, rejectsNative, rejectsWith } from '../harness.js';
import { useTempDirs } from '../../support/tmp.js';

const isRoot = process.getuid?.() === 0;

describe.each(MODES)('openSubdir (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

  describe('openSubdir', () => {
    it('creates with the exact mode whatever the umask, and opens existing ones as they are', async () => {
      const base = await tempDir();
      const dir = await open(base);
      for (const umask of [0o077, 0o022, 0]) {
        const previous = process.umask(umask);
        try {
          for (const mode of [0o700, 0o750, 0o711, 0o755]) {
            const name = `m${mode.toString(8)}-u${umask.toString(8)}`;
            const sub = await dir.openSubdir(name, { create: true, mode });
            expect(modeOf(join(base, name))).toBe(mode);
            await sub.close();
          }
          const name = `default-u${umask.toString(8)}`;
          await (await dir.openSubdir(name, { create: true })).close();
          expect(modeOf(join(base, name))).toBe(0o700);
        } finally {
          process.umask(previous);
        }
      }
      mkdirSync(join(base, 'existing'), { mode: 0o755 });
      chmodSync(join(base, 'existing'), 0o755);
      await (await dir.openSubdir('existing', { create: true, mode: 0o700 })).close();
      expect(modeOf(join(base, 'existing'))).toBe(0o755);
      await rejectsNative(dir.openSubdir('missing'), 'ENOENT');
      expect(existsSync(join(base, 'missing'))).toBe(false);
      await dir.close();
    });

    it('refuses a symlink (never creating through it), a file, and an insecure directory unless relaxed', async () => {
      const base = await tempDir();
      const outside = await tempDir();
      symlinkSync(outside, join(base, 'link'));
      symlinkSync(join(outside, 'would-be-created'), join(base, 'dangling'));
      writeFileSync(join(base, 'file'), 'f');
      mkdirSync(join(base, 'group'));
      chmodSync(join(base, 'group'), 0o770);
      mkdirSync(join(base, 'world'));
      chmodSync(join(base, 'world'), 0o707);
      mkdirSync(join(base, 'foreign'));
      chownSync(join(base, 'foreign'), 65534, 65534);
      const dir = await open(base);
      const before = descriptorsInto(base);
      expect((await rejectsWith(dir.openSubdir('link'), 'ESYMLINK')).path).toBe(join(base, 'link'));
      await rejectsWith(dir.openSubdir('link', { create: true }), 'ESYMLINK');
      await rejectsWith(dir.openSubdir('dangling', { create: true }), 'ESYMLINK');
      expect(existsSync(join(outside, 'would-be-created'))).toBe(false);
      expect((await rejectsWith(dir.openSubdir('file'), 'ENOTDIR')).path).toBe(join(base, 'file'));
      await rejectsWith(dir.openSubdir('group'), 'EINSECURE');
      await rejectsWith(dir.openSubdir('world'), 'EINSECURE');
      await rejectsWith(dir.openSubdir('foreign'), 'EINSECURE');
      await rejectsWith(dir.openSubdir('group', { allowWorldWritable: true }), 'EINSECURE');
      await rejectsWith(dir.openSubdir('world', { allowGroupWritable: true }), 'EINSECURE');
      expect(descriptorsInto(base)).toEqual(before); // refused directories are not left open
      await (await dir.openSubdir('group', { allowGroupWritable: true })).close();
      await (await dir.openSubdir('world', { allowWorldWritable: true })).close();
      await (await dir.openSubdir('foreign', { allowOtherOwner: true })).close();
      expect(readdirSync(outside)).toEqual([]);
      await dir.close();
    });

    it('inherits the resolution mode and the parent policy, and outlives the parent handle', async () => {
      const base = await tempDir();
      mkdirSync(join(base, 'shared'));
      chmodSync(join(base, 'shared'), 0o770);
      mkdirSync(join(base, 'shared', 'deeper'));
      chmodSync(join(base, 'shared', 'deeper'), 0o770);
      const dir = await open(base, { allowGroupWritable: true });
      const sub = await dir.openSubdir('shared');
      expect(sub.resolution).toBe(resolution);
      expect(sub.path).toBe(join(base, 'shared'));
      const deeper = await sub.openSubdir('deeper'); // policy carried down
      await rejectsWith(sub.openSubdir('deeper', { allowGroupWritable: false }), 'EINSECURE');
      await dir.close();
      await sub.writeFileAtomic('f', 'still works');
      await deeper.writeFileAtomic('g', 'also');
      expect(readFileSync(join(base, 'shared', 'f'), 'utf8')).toBe('still works');
      expect(readFileSync(join(base, 'shared', 'deeper', 'g'), 'utf8')).toBe('also');
      await deeper.close();
      await sub.close();
    });
  });

  it('a created subdirectory gets its exact mode even when the umask would narrow it', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    const previous = process.umask(0o077);
    try {
      const sub = await dir.openSubdir('wide', { create: true, mode: 0o750 });
      await sub.close();
    } finally {
      process.umask(previous);
    }
    expect(statSync(join(base, 'wide')).mode & 0o7777).toBe(0o750);
    const again = await dir.openSubdir('wide', { create: true, mode: 0o700 }); // exists: opened, left as is
    await again.close();
    expect(statSync(join(base, 'wide')).mode & 0o7777).toBe(0o750);
    await dir.close();
  });

  // Was: the new directory was made with mkdir(path, mode) — filtered by the umask — and checked
  // against the policy before the fchmod that set the requested mode, so a mode the policy
  // refuses (0o770 is group-writable) gave EINSECURE under umask 0 (and left the directory
  // behind) but a handle on a 0o770 directory under umask 0o022, which openDir() then refused.
  it('the outcome does not depend on the umask, and never yields a handle the policy refuses', async () => {
    const results: string[] = [];
    for (const umask of [0, 0o022]) {
      const base = await tempDir();
      const dir = await openDir(base, { resolution });
      const previous = process.umask(umask);
      try {
        results.push(await outcome(() => dir.openSubdir('g', { create: true, mode: 0o770 })));
      } finally {
        process.umask(previous);
        await dir.close();
      }
      if (results.at(-1) === 'ok') {
        // whatever it accepted when creating, it must accept when opening
        expect(await outcome(() => openDir(join(base, 'g'), { resolution }))).toBe('ok');
      } else {
        expect(readdirSync(base)).toEqual([]); // a refusal leaves nothing behind
      }
    }
    expect(results[0]).toBe(results[1]);
  });

  it('a mode the policy allows (or relaxes) is created exactly, whatever the umask', async () => {
    for (const umask of [0, 0o022, 0o077]) {
      const base = await tempDir();
      const dir = await openDir(base, { resolution });
      const previous = process.umask(umask);
      try {
        await (await dir.openSubdir('sticky', { create: true, mode: 0o1777 })).close();
        await (await dir.openSubdir('shared', { create: true, mode: 0o770, allowGroupWritable: true })).close();
        await (await dir.openSubdir('public', { create: true, mode: 0o707, allowWorldWritable: true })).close();
      } finally {
        process.umask(previous);
        await dir.close();
      }
      expect([umask, modeOf(join(base, 'sticky')), modeOf(join(base, 'shared')), modeOf(join(base, 'public'))]).toEqual([umask, 0o1777, 0o770, 0o707]);
    }
  });
});

describe('openSubdir inherits the relaxations of its parent policy', () => {
  const tempDir = useTempDirs();

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
