// Closing a root: `await using` disposes it; one collected without close() never prints
// Node's DEP0137 (it holds a raw descriptor, not a FileHandle) and never leaks its descriptor.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardfsError, openDir, type OpenDirOptions, type SafeDir } from '../../../src/index.js';
import { descriptorsInto, MODES, outcome, rejectsWith, snapshot } from '../harness.js';
import { useTempDirs } from '../../support/tmp.js';

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

describe.each(MODES)('close (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

  describe('close', () => {
    it('waits for every operation already in flight before releasing the descriptor', async () => {
      const base = await tempDir();
      writeFileSync(join(base, 'r'), 'read me');
      const dir = await open(base);
      const order: string[] = [];
      const track = (label: string, promise: Promise<unknown>): Promise<void> =>
        promise.then(() => {
          order.push(label);
        });
      const inFlight = [
        ...Array.from({ length: 20 }, (_, i) => track(`write${i}`, dir.writeFileAtomic(`f${i}`, 'x'.repeat(1000 + i)))),
        track('read', dir.readFile('r')),
        track('list', dir.list()),
        track('stat', dir.stat('r')),
        track('sub', dir.openSubdir('sub', { create: true }).then((sub) => sub.close())),
        track('sync', dir.sync()),
      ];
      const closing = track('close', dir.close());
      expect(dir.closed).toBe(true);
      await Promise.all([...inFlight, closing]); // none of them rejects
      expect(order.at(-1)).toBe('close');
      expect(order).toHaveLength(inFlight.length + 1);
      expect(readdirSync(base).filter((name) => name.startsWith('f'))).toHaveLength(20);
      expect(descriptorsInto(base)).toEqual([]);
    });

    it('after close every method is ECLOSED, nothing is touched, and close is idempotent', async () => {
      const base = await tempDir();
      writeFileSync(join(base, 'f'), 'f');
      mkdirSync(join(base, 'sub'));
      mkdirSync(join(base, 'empty'));
      const other = await open(await tempDir());
      const dir = await open(base);
      expect(descriptorsInto(base)).toHaveLength(1);
      const before = snapshot(base);
      await dir.close();
      expect(descriptorsInto(base)).toEqual([]);
      const calls: Array<[string, () => unknown]> = [
        ['writeFileAtomic', () => dir.writeFileAtomic('f', 'x')],
        ['readFile', () => dir.readFile('f')],
        ['readFileSync', () => dir.readFileSync('f')],
        ['unlinkSync', () => { dir.unlinkSync('f'); }],
        ['openFile', () => dir.openFile('f')],
        ['createFileExclusive', () => dir.createFileExclusive('new', 'x')],
        ['rename', () => dir.rename('f', 'g')],
        ['rename into', () => other.rename('x', 'y', { targetDir: dir })],
        ['renameNoReplace', () => dir.renameNoReplace('f', 'g')],
        ['unlink', () => dir.unlink('f')],
        ['rmdir', () => dir.rmdir('empty')],
        ['removeTree', () => dir.removeTree('sub')],
        ['list', () => dir.list()],
        ['entries', () => dir.entries()],
        ['stat', () => dir.stat('f')],
        ['statSelf', () => dir.statSelf()],
        ['setMode', () => dir.setMode(0o755)],
        ['openSubdir', () => dir.openSubdir('sub')],
        ['sync', () => dir.sync()],
      ];
      for (const [method, call] of calls) {
        const error = await rejectsWith(call, 'ECLOSED').catch((failure: unknown) => {
          throw new Error(`${method}: ${String(failure)}`);
        });
        expect(error).toBeInstanceOf(HardfsError);
      }
      await dir.close();
      await Promise.all([dir.close(), dir.close()]);
      expect(dir.closed).toBe(true);
      expect(dir.path).toBe(base);
      expect(snapshot(base)).toEqual(before);
      await other.close();
    });
  });

  it('both close() calls resolve once the operation is done', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'f'), 'x');
    const dir = await openDir(base, { resolution, io: 'async' });
    const operation = dir.readFile('f');
    let firstSettled = false;
    const first = dir.close().then(() => {
      firstSettled = true;
    });
    const second = dir.close();
    expect((await operation).toString()).toBe('x');
    await second;
    // The second close() shares the first one's promise: it cannot resolve while the first hangs.
    await new Promise<void>((done) => setImmediate(done));
    expect(firstSettled).toBe(true);
    await first;
    expect(dir.closed).toBe(true);
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('an operation on a closed handle is refused as ECLOSED with the directory path, async and sync', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'f'), 'x');
    const dir = await openDir(base, { resolution });
    await dir.close();
    const asyncError = await rejectsWith(dir.list(), 'ECLOSED');
    expect(asyncError.path).toBe(base);
    expect(asyncError.message).toContain('closed');
    const syncError = await rejectsWith(() => dir.readFileSync('f'), 'ECLOSED');
    expect(syncError.path).toBe(base);
    expect(syncError.message).toContain('closed');
  });
});

// Regression tests for defects found in close(): each comment says what used to happen.

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
