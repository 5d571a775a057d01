// Links an attacker leaves behind (no race): at the target name of a write, and as the directory.
import { execFileSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempFileName, openDir, readFileNoFollow, writeFileAtomic } from '../../src/index.js';
import { useTempDirs } from '../support/tmp.js';
import { MODES, rejectsWith, snapshot } from '../dir/harness.js';

type Planted = 'symlink to a file' | 'symlink to a directory' | 'dangling symlink' | 'hardlink' | 'fifo';
const PLANTED: Planted[] = ['symlink to a file', 'symlink to a directory', 'dangling symlink', 'hardlink', 'fifo'];

async function scene(tempDir: () => Promise<string>, planted: Planted) {
  const base = await tempDir();
  const state = join(base, 'state');
  const outside = join(base, 'outside');
  mkdirSync(state, { mode: 0o700 });
  mkdirSync(outside, { mode: 0o700 });
  writeFileSync(join(outside, 'victim'), 'victim content');
  mkdirSync(join(outside, 'victim-dir'));
  const target = join(state, 'target');
  if (planted === 'symlink to a file') symlinkSync(join(outside, 'victim'), target);
  if (planted === 'symlink to a directory') symlinkSync(join(outside, 'victim-dir'), target);
  if (planted === 'dangling symlink') symlinkSync(join(outside, 'created-through-link'), target);
  if (planted === 'hardlink') linkSync(join(outside, 'victim'), target);
  if (planted === 'fifo') execFileSync('mkfifo', [target]);
  return { state, outside, target };
}

function expectReplaced(state: string, outside: string, outsideBefore: Record<string, string>, content: string): void {
  const target = join(state, 'target');
  expect(lstatSync(target).isFile()).toBe(true);
  expect(statSync(target).nlink).toBe(1);
  expect(readFileSync(target, 'utf8')).toBe(content);
  expect(readdirSync(state).filter(isTempFileName)).toEqual([]);
  // the outside tree is byte for byte what it was, except that a hardlinked inode lost our link
  const after = snapshot(outside);
  const expected = Object.fromEntries(Object.entries(outsideBefore).map(([key, value]) => [key, value.replace('nlink=2', 'nlink=1')]));
  expect(after).toEqual(expected);
  expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('victim content');
  expect(statSync(join(outside, 'victim')).nlink).toBe(1);
}

describe.each(MODES)('a link planted at the target name (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  it.each(PLANTED)('%s is replaced by SafeDir#writeFileAtomic, never written through', async (planted) => {
    const { state, outside } = await scene(tempDir, planted);
    const outsideBefore = snapshot(outside);
    if (planted === 'hardlink') expect(statSync(join(outside, 'victim')).nlink).toBe(2);
    const dir = await openDir(state, { resolution });
    await dir.writeFileAtomic('target', 'ours');
    await dir.close();
    expectReplaced(state, outside, outsideBefore, 'ours');
  });

  it.each(PLANTED)('%s is replaced by the path-level writeFileAtomic, never written through', async (planted) => {
    const { state, outside, target } = await scene(tempDir, planted);
    const outsideBefore = snapshot(outside);
    await writeFileAtomic(target, 'ours too', { resolution });
    expectReplaced(state, outside, outsideBefore, 'ours too');
  });

  it('reads of a planted symlink are refused by every read path; the target is never opened', async () => {
    const { state, outside, target } = await scene(tempDir, 'symlink to a file');
    const dir = await openDir(state, { resolution });
    await rejectsWith(dir.readFile('target'), 'ESYMLINK');
    await rejectsWith(() => dir.readFileSync('target'), 'ESYMLINK');
    await rejectsWith(dir.openFile('target'), 'ESYMLINK');
    await rejectsWith(dir.openFile('target', { write: true }), 'ESYMLINK');
    await rejectsWith(readFileNoFollow(target, { resolution }), 'ESYMLINK');
    await dir.close();
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('victim content');
  });
});

describe.each(MODES)('a symlink planted as the directory (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  it('is refused by openDir, writeFileAtomic and readFileNoFollow, however the path is spelled', async () => {
    const base = await tempDir();
    const outside = join(base, 'outside');
    mkdirSync(outside, { mode: 0o700 });
    writeFileSync(join(outside, 'f'), 'SECRET');
    symlinkSync(outside, join(base, 'state'));
    const before = snapshot(outside);
    for (const spelled of ['state', 'state/', 'state//', 'state/.']) {
      await rejectsWith(openDir(join(base, spelled), { resolution }), 'ESYMLINK');
      await rejectsWith(openDir(`${base}/${spelled}`, { resolution }), 'ESYMLINK');
    }
    await rejectsWith(writeFileAtomic(join(base, 'state', 'f'), 'overwrite', { resolution }), 'ESYMLINK');
    await rejectsWith(writeFileAtomic(join(base, 'state', 'new'), 'x', { resolution }), 'ESYMLINK');
    await rejectsWith(readFileNoFollow(join(base, 'state', 'f'), { resolution }), 'ESYMLINK');
    expect(snapshot(outside)).toEqual(before);
  });

  it('a symlinked subdirectory is refused by openSubdir, also when asked to create it', async () => {
    const base = await tempDir();
    const outside = join(base, 'outside');
    mkdirSync(outside, { mode: 0o700 });
    mkdirSync(join(base, 'state'), { mode: 0o700 });
    symlinkSync(outside, join(base, 'state', 'sub'));
    const dir = await openDir(join(base, 'state'), { resolution });
    await rejectsWith(dir.openSubdir('sub'), 'ESYMLINK');
    await rejectsWith(dir.openSubdir('sub', { create: true }), 'ESYMLINK');
    await rejectsWith(dir.removeTree('sub'), 'ESYMLINK');
    await dir.close();
    expect(readdirSync(outside)).toEqual([]);
  });
});
