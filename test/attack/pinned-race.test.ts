// Races beyond plain writes: every kind of SafeDir operation, reads, ensureRealDir and removeTree
// while a child process swaps directories for symlinks to an outside directory. Descriptor
// resolution (Linux /proc) promises no effect outside, so that is asserted exactly. Verify mode is
// best-effort by design (SECURITY.md: a swap between the identity check and the syscall can
// redirect that one syscall); its detection is covered by symlink-swap.test.ts and
// test/dir/pinned-identity.test.ts.
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardfsError, ensureRealDir, openDir, readFileNoFollow } from '../../src/index.js';
import { useTempDirs } from '../support/tmp.js';
import { snapshot } from '../dir/harness.js';
import { RACE_CODES, codeOf, startAttacker } from './race.js';

async function scene(tempDir: () => Promise<string>) {
  const base = await tempDir();
  const state = join(base, 'state');
  const outside = join(base, 'outside');
  mkdirSync(state, { mode: 0o700 });
  mkdirSync(outside, { mode: 0o750 });
  // The outside directory holds the very names the victim uses, so a redirected call would
  // succeed rather than fail, and its mode differs so a redirected setMode would show.
  writeFileSync(join(outside, 'f'), 'SECRET');
  writeFileSync(join(outside, 'keep'), 'keep');
  mkdirSync(join(outside, 'sub'));
  writeFileSync(join(outside, 'sub', 'keep'), 'keep');
  writeFileSync(join(state, 'f'), 'inside');
  return { base, state, outside, stopFile: join(base, 'stop') };
}

/** Puts the real directory back at its path whatever instant the attacker stopped at. */
function restore(state: string): void {
  if (!existsSync(state) && existsSync(`${state}.real`)) renameSync(`${state}.real`, state);
}

describe('descriptor resolution under a directory-for-symlink swapper', () => {
  const tempDir = useTempDirs();

  it('every operation kind stays in the pinned directory, and every one succeeds', async () => {
    const ITERATIONS = 150;
    const { state, outside, stopFile } = await scene(tempDir);
    const outsideBefore = snapshot(outside);
    const dir = await openDir(state, { resolution: 'descriptor' });
    const attacker = await startAttacker('tolerant-swapper.mjs', [state, outside, stopFile]);
    let operations = 0;
    for (let i = 0; i < ITERATIONS; i += 1) {
      await dir.writeFileAtomic(`w${i}`, `v${i}`, { fsync: false });
      await (await dir.createFileExclusive(`x${i}`, 'x', { fsync: false })).close();
      await dir.rename(`w${i}`, `r${i}`);
      await dir.renameNoReplace(`x${i}`, `y${i}`);
      expect((await dir.readFile(`r${i}`)).toString()).toBe(`v${i}`);
      expect(dir.readFileSync('f').toString()).toBe('inside');
      const handle = await dir.openFile('f');
      expect((await handle.readFile()).toString()).toBe('inside');
      await handle.close();
      expect((await dir.stat(`y${i}`)).isFile()).toBe(true);
      await dir.unlink(`y${i}`);
      dir.unlinkSync(`r${i}`);
      operations += 11;
      if (i % 10 === 0) {
        const sub = await dir.openSubdir(`s${i}`, { create: true });
        await sub.writeFileAtomic('inner', 'x', { fsync: false });
        await sub.close();
        await dir.removeTree(`s${i}`);
        await (await dir.openSubdir(`e${i}`, { create: true, mode: 0o711 })).close();
        await dir.rmdir(`e${i}`);
        await dir.setMode(0o700);
        await dir.sync();
        expect((await dir.list()).sort()).toEqual(['f']);
        expect((await dir.entries()).map((entry) => entry.name)).toEqual(['f']);
        operations += 12;
      }
    }
    const report = await attacker.stop();
    restore(state);
    await dir.close();
    expect(report['swaps']).toBeGreaterThan(0);
    expect(operations).toBe(ITERATIONS * 11 + (ITERATIONS / 10) * 12);
    expect(snapshot(outside)).toEqual(outsideBefore);
    expect(readdirSync(state)).toEqual(['f']);
  });

  it('reads through a pinned handle and through readFileNoFollow never return the outside file', async () => {
    const { state, outside, stopFile } = await scene(tempDir);
    const dir = await openDir(state, { resolution: 'descriptor' });
    const attacker = await startAttacker('tolerant-swapper.mjs', [state, outside, stopFile]);
    let pathLevelRead = 0;
    const refusals = new Set<string>();
    for (let i = 0; i < 800; i += 1) {
      expect((await dir.readFile('f')).toString()).toBe('inside');
      try {
        expect((await readFileNoFollow(join(state, 'f'))).toString()).toBe('inside');
        pathLevelRead += 1;
      } catch (error) {
        // the parent was a symlink (refused) or momentarily absent at the instant it was opened
        const code = codeOf(error) ?? String(error);
        expect(RACE_CODES).toContain(code);
        if (code === 'ESYMLINK') expect(error).toBeInstanceOf(HardfsError);
        refusals.add(code);
      }
    }
    const report = await attacker.stop();
    restore(state);
    await dir.close();
    expect(report['swaps']).toBeGreaterThan(0);
    expect(pathLevelRead).toBeGreaterThan(0);
    expect(readdirSync(outside).sort()).toEqual(['f', 'keep', 'sub']);
  });

  it('ensureRealDir with a root creates through pinned handles: never a directory outside', async () => {
    const { base, state, outside, stopFile } = await scene(tempDir);
    const outsideBefore = snapshot(outside);
    const attacker = await startAttacker('tolerant-swapper.mjs', [state, outside, stopFile]);
    let created = 0;
    const refusals = new Map<string, number>();
    for (let i = 0; i < 150; i += 1) {
      try {
        await ensureRealDir(join(state, `a${i}`, 'b'), { root: base });
        created += 1;
      } catch (error) {
        const code = codeOf(error) ?? String(error);
        // a symlink met at 'state' (ESYMLINK, or ENOTDIR, see RACE_CODES), or 'state' renamed
        // away between two syscalls (ENOENT)
        expect(RACE_CODES).toContain(code);
        refusals.set(code, (refusals.get(code) ?? 0) + 1);
      }
    }
    const report = await attacker.stop();
    restore(state);
    expect(report['swaps']).toBeGreaterThan(0);
    expect(created).toBeGreaterThan(0);
    expect(snapshot(outside)).toEqual(outsideBefore);
  });

  it('removeTree while subdirectories are swapped for symlinks and symlinks are planted: the outside tree is untouched', async () => {
    const { base, outside, stopFile } = await scene(tempDir);
    const outsideBefore = snapshot(outside);
    const SUBDIRS = 12;
    const ROUNDS = 25;
    const build = (): void => {
      // built aside, then renamed in whole: the test itself must never write through a planted link
      const stage = join(base, 'stage');
      mkdirSync(stage, { mode: 0o700 });
      for (let k = 0; k < SUBDIRS; k += 1) {
        mkdirSync(join(stage, `d${k}`, 'nested'), { recursive: true });
        for (let f = 0; f < 6; f += 1) writeFileSync(join(stage, `d${k}`, `f${f}`), 'x');
        writeFileSync(join(stage, `d${k}`, 'nested', 'g'), 'y');
      }
      renameSync(stage, join(base, 'tree'));
    };
    build();
    const dir = await openDir(base, { resolution: 'descriptor', allowWorldWritable: false });
    const attacker = await startAttacker('tree-attacker.mjs', [join(base, 'tree'), outside, String(SUBDIRS), stopFile]);
    const outcomes = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round += 1) {
      if (!existsSync(join(base, 'tree'))) build();
      try {
        await dir.removeTree('tree');
        outcomes.set('removed', (outcomes.get('removed') ?? 0) + 1);
      } catch (error) {
        const code = codeOf(error) ?? String(error);
        // the attacker added entries after a listing (ENOTEMPTY), a subdirectory was a symlink
        // when opened (ESYMLINK / ENOTDIR) or was renamed away between listing and use (ENOENT),
        // or an entry changed type between the listing and the unlink (EISDIR)
        expect(RACE_CODES).toContain(code);
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      }
    }
    const report = await attacker.stop();
    if (existsSync(join(base, 'tree'))) await dir.removeTree('tree'); // unraced: must succeed
    await dir.close();
    expect(report['swaps']).toBeGreaterThan(0);
    expect(report['plants']).toBeGreaterThan(0);
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(ROUNDS);
    expect(existsSync(join(base, 'tree'))).toBe(false);
    expect(snapshot(outside)).toEqual(outsideBefore);
  });
});
