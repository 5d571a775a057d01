// Closing a root: `await using` disposes it; one collected without close() never prints
// Node's DEP0137 (it holds a raw descriptor, not a FileHandle) and never leaks its descriptor.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openDir } from '../../../src/index.js';
import { useTempDirs } from '../../support/tmp.js';
import { descriptorsInto } from '../harness.js';

const DIST = new URL('../../../dist/index.js', import.meta.url).href;

describe('closing a root', () => {
  const tempDir = useTempDirs();

  it('await using closes it at the end of the block (Symbol.asyncDispose)', async () => {
    const base = await tempDir();
    let seen: { closed: boolean } | undefined;
    {
      await using dir = await openDir(base);
      seen = dir;
      expect(descriptorsInto(base)).toHaveLength(1);
    }
    expect(seen.closed).toBe(true);
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('a root collected unclosed releases its descriptor and prints no warning (child with --expose-gc)', async () => {
    const base = await tempDir();
    const script = `
      const { readdirSync, readlinkSync } = await import('node:fs');
      const h = await import(${JSON.stringify(DIST)});
      const base = process.argv[1];
      const into = () => readdirSync('/proc/self/fd').filter((fd) => { try { return readlinkSync('/proc/self/fd/' + fd) === base; } catch { return false; } }).length;
      for (let i = 0; i < 20; i += 1) { await h.openDir(base); }
      const before = into();
      for (let round = 0; round < 10 && into() > 0; round += 1) {
        globalThis.gc();
        await new Promise((done) => setTimeout(done, 20));
      }
      console.log(JSON.stringify({ before, after: into() }));
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script, base], { encoding: 'utf8' });
    expect(child.status).toBe(0);
    const { before, after } = JSON.parse(child.stdout.trim()) as { before: number; after: number };
    expect(before).toBe(20);
    expect(after).toBe(0);
    expect(child.stderr).not.toContain('DEP0137');
    expect(child.stderr).not.toContain('Warning');
  });
});
