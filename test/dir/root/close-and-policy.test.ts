// Regression tests for defects these suites found in SafeDir (fixed in 4546104). Each comment
// says what used to happen, so a regression reads as the original bug report.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureRealDir, openDir, type SafeDir } from '../../../src/index.js';
import { useTempDirs } from '../../support/tmp.js';
import { MODES, modeOf } from '../harness.js';

async function outcome(action: () => Promise<unknown>): Promise<string> {
  try {
    const result = await action();
    if (result !== null && typeof result === 'object' && 'close' in result) await (result as SafeDir).close();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe.each(MODES)('close() and operations already in flight (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  // Was: removeTree was not one operation but openSubdir() (one in-flight reference), the child's
  // removals, then this.rmdir() (a second one). A close() issued meanwhile waited only for the
  // first, closed the handle, and the final rmdir threw ECLOSED: the caller got ECLOSED for an
  // operation started before close(), and the tree was left emptied but not removed.
  it('a removeTree started before close() completes instead of failing with ECLOSED', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'tree', 'a'), { recursive: true });
    writeFileSync(join(base, 'tree', 'a', 'f'), 'x');
    const dir = await openDir(base, { resolution });
    const removal = dir.removeTree('tree');
    const closing = dir.close();
    const result = await outcome(() => removal);
    await closing;
    expect(result).toBe('ok');
    expect(existsSync(join(base, 'tree'))).toBe(false);
  });

  // Was: the target handle's in-flight reference was taken inside this handle's operation, after
  // verify mode's first await. A close() issued right after the call (on this handle for
  // renameNoReplace, which always re-entered the target even when it was itself, or on the
  // targetDir) found nothing in flight, closed, and the rename failed with ECLOSED — in verify
  // mode only: the same call behaved differently per resolution mode.
  it('renameNoReplace started before close() completes', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'a'), 'A');
    const dir = await openDir(base, { resolution });
    const renaming = dir.renameNoReplace('a', 'b');
    const closing = dir.close();
    const result = await outcome(() => renaming);
    await closing;
    expect(result).toBe('ok');
    expect(readdirSync(base)).toEqual(['b']);
  });

  it('rename / renameNoReplace into a targetDir whose close() is called right after complete', async () => {
    const base = await tempDir();
    const other = await tempDir();
    writeFileSync(join(base, 'a'), 'A');
    writeFileSync(join(base, 'b'), 'B');
    const dir = await openDir(base, { resolution });
    for (const method of ['rename', 'renameNoReplace'] as const) {
      const target = await openDir(other, { resolution });
      const from = method === 'rename' ? 'a' : 'b';
      const moving = dir[method](from, from, { targetDir: target });
      const closing = target.close();
      const result = await outcome(() => moving);
      await closing;
      expect(result).toBe('ok');
    }
    expect(readdirSync(other).sort()).toEqual(['a', 'b']);
    expect(readdirSync(base)).toEqual([]);
    await dir.close();
  });

  it('a close() of the target that lands before the call is ECLOSED and moves nothing', async () => {
    const base = await tempDir();
    const other = await tempDir();
    writeFileSync(join(base, 'a'), 'A');
    const dir = await openDir(base, { resolution });
    const target = await openDir(other, { resolution });
    await target.close();
    expect(await outcome(() => dir.rename('a', 'a', { targetDir: target }))).toBe('ECLOSED');
    expect(await outcome(() => dir.renameNoReplace('a', 'a', { targetDir: target }))).toBe('ECLOSED');
    expect(readdirSync(base)).toEqual(['a']);
    expect(readdirSync(other)).toEqual([]);
    // and the source handle's in-flight count was released: its own close() does not hang
    await dir.close();
  });
});

describe.each(MODES)('openSubdir({ create, mode }) and the directory policy (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

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

describe('ensureRealDir({ mode }) and the directory policy', () => {
  const tempDir = useTempDirs();

  // The same defect, reached through ensureRealDir (which creates through openSubdir).
  it('a mode its policy refuses: the same outcome whatever the umask', async () => {
    const results: string[] = [];
    for (const umask of [0, 0o022]) {
      const base = await tempDir();
      const previous = process.umask(umask);
      try {
        results.push(await outcome(() => ensureRealDir(join(base, 'x', 'y'), { root: base, mode: 0o770 })));
      } finally {
        process.umask(previous);
      }
      if (results.at(-1) === 'ok') {
        expect(modeOf(join(base, 'x', 'y'))).toBe(0o770);
        // a second call with the same options must agree with the first
        expect(await outcome(() => ensureRealDir(join(base, 'x', 'y'), { root: base, mode: 0o770 }))).toBe('ok');
      } else {
        expect(readdirSync(base)).toEqual([]);
      }
    }
    expect(results[0]).toBe(results[1]);
  });
});
