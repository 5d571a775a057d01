// An attacker flips a file name between a regular file and a link to an outside file while
// hardfs reads and writes that name. O_NOFOLLOW on every open and rename-over for every write
// hold in both resolution modes (the directory itself is not being swapped here).
import { lstatSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardfsError, isTempFileName, openDir, readFileNoFollow, writeFileAtomic } from '../../src/index.js';
import { useTempDirs } from '../support/tmp.js';
import { MODES } from '../dir/harness.js';
import { codeOf, startAttacker } from './race.js';

// Each write is a rename over an existing name, which ext4 makes flush the new data
// (auto_da_alloc): a few hundred rounds already interleave with thousands of attacker flips.
const READS = 500;
const WRITES = 150;

async function scene(tempDir: () => Promise<string>) {
  const base = await tempDir();
  const state = join(base, 'state');
  const outside = join(base, 'outside');
  mkdirSync(state, { mode: 0o700 });
  mkdirSync(outside, { mode: 0o700 });
  const secret = join(outside, 'secret');
  writeFileSync(secret, 'SECRET');
  writeFileSync(join(state, 'target'), 'inside');
  return { base, state, outside, secret, stopFile: join(base, 'stop') };
}

describe.each(MODES)('a file name flipped to a symlink in a tight loop (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  it('reads return our content or ESYMLINK, never the outside file', async () => {
    const { state, secret, stopFile } = await scene(tempDir);
    const dir = await openDir(state, { resolution });
    const attacker = await startAttacker('name-swapper.mjs', [state, 'target', secret, 'symlink', stopFile]);
    const seen = new Map<string, number>();
    const count = (key: string): void => {
      seen.set(key, (seen.get(key) ?? 0) + 1);
    };
    // At least READS reads, and on until both states were met: the scheduler may keep the
    // attacker on one side of its flip for a whole run of reads on a loaded machine.
    for (let i = 0; i < READS || (seen.size < 2 && i < READS * 40); i += 1) {
      const reads: Array<() => Promise<string> | string> = [
        async () => (await dir.readFile('target')).toString(),
        () => dir.readFileSync('target').toString(),
        async () => {
          const handle = await dir.openFile('target');
          try {
            return (await handle.readFile()).toString();
          } finally {
            await handle.close();
          }
        },
        async () => (await readFileNoFollow(join(state, 'target'), { resolution })).toString(),
      ];
      try {
        const text = await (reads[i % reads.length] as () => Promise<string> | string)();
        expect(text).not.toBe('SECRET');
        count(text);
      } catch (error) {
        // the only acceptable refusal: the name was a symlink at the instant of the open
        expect(error).toBeInstanceOf(HardfsError);
        expect(codeOf(error)).toBe('ESYMLINK');
        count('ESYMLINK');
      }
    }
    const report = await attacker.stop();
    await dir.close();
    expect(report['swaps']).toBeGreaterThan(0);
    expect([...seen.keys()].sort()).toEqual(['ESYMLINK', 'inside']); // both states were met
    expect(readFileSync(secret, 'utf8')).toBe('SECRET');
  });

  it('writes replace the link, never write through it; no temp file is left', async () => {
    const { state, outside, secret, stopFile } = await scene(tempDir);
    const dir = await openDir(state, { resolution });
    const secretIno = statSync(secret).ino;
    const attacker = await startAttacker('name-swapper.mjs', [state, 'target', secret, 'symlink', stopFile]);
    for (let i = 0; i < WRITES; i += 1) {
      if (i % 2 === 0) await dir.writeFileAtomic('target', `ours ${i}`, { fsync: false });
      else await writeFileAtomic(join(state, 'target'), `ours ${i}`, { fsync: false, resolution });
    }
    const report = await attacker.stop();
    await dir.writeFileAtomic('target', 'final');
    await dir.close();
    expect(report['swaps']).toBeGreaterThan(0);
    expect(readFileSync(secret, 'utf8')).toBe('SECRET');
    expect(statSync(secret).ino).toBe(secretIno);
    expect(readdirSync(outside)).toEqual(['secret']);
    expect(lstatSync(join(state, 'target')).isFile()).toBe(true);
    expect(readdirSync(state).filter(isTempFileName)).toEqual([]);
  });
});

describe.each(MODES)('a file name flipped to a hardlink of an outside file (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  it('writes replace the hardlink by rename: the outside inode keeps its content and its link count drops back', async () => {
    const { state, outside, secret, stopFile } = await scene(tempDir);
    const dir = await openDir(state, { resolution });
    const attacker = await startAttacker('name-swapper.mjs', [state, 'target', secret, 'hardlink', stopFile]);
    for (let i = 0; i < WRITES; i += 1) await dir.writeFileAtomic('target', `ours ${i}`, { fsync: false });
    const report = await attacker.stop();
    expect(report['swaps']).toBeGreaterThan(0);
    await dir.writeFileAtomic('target', 'final'); // the attacker is gone: whatever it left is replaced
    await dir.close();
    expect(readFileSync(secret, 'utf8')).toBe('SECRET');
    expect(statSync(secret).nlink).toBe(1);
    expect(readdirSync(outside)).toEqual(['secret']);
    expect(readFileSync(join(state, 'target'), 'utf8')).toBe('final');
    expect(readdirSync(state).filter(isTempFileName)).toEqual([]);
  });
});
