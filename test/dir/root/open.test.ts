// Opening a root: a symlink at the last component is ESYMLINK, except one owned by root when
// the process is not root (macOS /tmp, Linux /var/run: outside the threat model); the same rule
// for the path-level helpers; auto's fallback to verify warns once.
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chooseResolution, resetFallbackWarning } from '../../../src/dir/resolution.js';
import { ensureRealDir, type IoMode, openDir, type OpenDirOptions, readFileNoFollow, type SafeDir, VERIFY_FALLBACK_WARNING, writeFileAtomic } from '../../../src/index.js';
import { descriptorsInto, MODES, rejectsNative, rejectsWith } from '../harness.js';
import { runAsSecondUser, secondUser, secondUserSkipReason } from '../../support/second-user.js';
import { caught, useTempDirs } from '../../support/tmp.js';

const DIST = new URL('../../../dist/index.js', import.meta.url).href;

describe('opening a root', () => {
  const tempDir = useTempDirs();
  afterEach(() => {
    vi.restoreAllMocks();
    resetFallbackWarning();
  });

  it('a symlink at the last component is ESYMLINK for openDir and the path-level helpers (run as root: even a root-owned one)', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'link'));
    const error = await rejectsWith(openDir(join(base, 'link')), 'ESYMLINK');
    expect(error.op).toBe('openDir');
    expect(error.path).toBe(join(base, 'link'));
    await rejectsWith(writeFileAtomic(join(base, 'link', 'f'), 'x'), 'ESYMLINK');
    await rejectsWith(readFileNoFollow(join(base, 'link', 'f')), 'ESYMLINK');
    expect(readdirSync(join(base, 'real'))).toEqual([]);
  });

  it.skipIf(secondUserSkipReason() !== undefined)(
    'for another user, a root-owned link is followed (as /var/run) and a link owned by anyone else is ESYMLINK',
    async () => {
      const user = secondUser();
      if (!user) return;
      const base = await tempDir();
      chmodSync(base, 0o755);
      const target = join(base, 'target');
      mkdirSync(target);
      chownSync(target, user.uid, user.gid);
      symlinkSync(target, join(base, 'root-owned'));
      symlinkSync(target, join(base, 'user-owned'));
      lchownSync(join(base, 'user-owned'), user.uid, user.gid);
      const out = await runAsSecondUser(
        `const h = await import(${JSON.stringify(DIST)});
         const [base] = process.argv.slice(1);
         const result = {};
         for (const name of ['root-owned', 'user-owned']) {
           try { await h.writeFileAtomic(base + '/' + name + '/f-' + name, 'x'); result[name] = 'written'; }
           catch (error) { result[name] = error.code; }
         }
         console.log(JSON.stringify(result));`,
        [base],
      );
      expect(JSON.parse(out)).toEqual({ 'root-owned': 'written', 'user-owned': 'ESYMLINK' });
      expect(existsSync(join(target, 'f-root-owned'))).toBe(true);
      expect(existsSync(join(target, 'f-user-owned'))).toBe(false);
    },
  );

  it("resolution: 'descriptor' refuses without descriptor resolution (EUNSUPPORTED); auto falls back with one warning", async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution: 'descriptor' });
    expect(dir.resolution).toBe('descriptor');
    await dir.close();
    const stats = (await import('node:fs')).statSync(base, { bigint: true });
    const refused = await rejectsWith(() => chooseResolution('descriptor', undefined, stats, base), 'EUNSUPPORTED');
    expect(refused.message).toContain('/proc/self/fd');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    expect(chooseResolution('auto', undefined, stats, base)).toBe('verify');
    expect(chooseResolution('auto', undefined, stats, base)).toBe('verify');
    expect(chooseResolution('verify', undefined, stats, base)).toBe('verify');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toEqual({ code: VERIFY_FALLBACK_WARNING });
    expect(String(warn.mock.calls[0]?.[0])).toContain('best-effort verify resolution');
  });
});

describe.each(MODES)('openDir (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string, options: OpenDirOptions = {}): Promise<SafeDir> => openDir(path, { ...options, resolution });

  it('reports the resolution it uses and pins device+inode', async () => {
    const base = await tempDir();
    const dir = await open(base);
    expect(dir.resolution).toBe(resolution);
    const stats = statSync(base, { bigint: true });
    expect(dir.identity).toEqual({ dev: stats.dev, ino: stats.ino });
    await dir.close();
  });

  describe('openDir', () => {
    it('ESYMLINK (any spelling), ENOTDIR, EINSECURE, EBADNAME, native ENOENT; refusals keep no descriptor', async () => {
      const base = await tempDir();
      const real = join(base, 'real');
      mkdirSync(real, { mode: 0o700 });
      symlinkSync(real, join(base, 'link'));
      symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
      writeFileSync(join(base, 'file'), 'x');
      for (const spelled of ['link', 'link/', 'link//', 'link/.', 'dangling', 'dangling/']) {
        const error = await rejectsWith(open(`${base}/${spelled}`), 'ESYMLINK');
        expect(error.path).toBe(join(base, spelled.split('/')[0] ?? ''));
      }
      expect((await rejectsWith(open(join(base, 'file')), 'ENOTDIR')).path).toBe(join(base, 'file'));
      await rejectsWith(open(''), 'EBADNAME');
      const nul = await rejectsWith(open(`${base}/a\0b`), 'EBADNAME');
      expect(nul.path).not.toContain('\0');
      await rejectsWith(open(undefined as unknown as string), 'EBADNAME');
      await rejectsNative(open(join(base, 'missing')), 'ENOENT');
      await rejectsWith(open(join(base, 'file', 'below')), 'ENOTDIR'); // a file above: typed too
      for (const mode of [0o770, 0o720, 0o707, 0o702, 0o777]) {
        chmodSync(real, mode);
        expect((await rejectsWith(open(real), 'EINSECURE')).path).toBe(real);
      }
      chmodSync(real, 0o1777);
      await (await open(real)).close();
      chmodSync(real, 0o777);
      await (await open(real, { allowGroupWritable: true, allowWorldWritable: true })).close();
      chmodSync(real, 0o700);
      chownSync(real, 65534, 65534);
      await rejectsWith(open(real), 'EINSECURE');
      const foreign = await open(real, { allowOtherOwner: true });
      expect(foreign.resolution).toBe(resolution);
      await foreign.close();
      expect(descriptorsInto(base)).toEqual([]);
    });
  });
});

describe('openDir options', () => {
  const tempDir = useTempDirs();

  it('refuses an unknown io mode with a TypeError that names the value', async () => {
    const base = await tempDir();
    const error = await caught(openDir(base, { io: 'turbo' as IoMode }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('"turbo"');
  });

  it('a SafeDir cannot be constructed directly, only by openDir() or openSubdir()', async () => {
    const dir = await openDir(await tempDir());
    try {
      const Ctor = dir.constructor as new (token: symbol, state: unknown) => SafeDir;
      const error = await caught(() => new Ctor(Symbol('hardfs.SafeDir'), {}));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain('openDir()');
    } finally {
      await dir.close();
    }
  });
});

describe('openDir refusals say what is wrong', () => {
  const tempDir = useTempDirs();

  it('an empty or non-string path is EBADNAME with no path', async () => {
    for (const bad of ['', undefined as unknown as string, 42 as unknown as string]) {
      const error = await rejectsWith(openDir(bad), 'EBADNAME');
      expect(error.message).toContain('non-empty string');
      expect(error.path).toBeUndefined();
    }
  });

  it('a path with NUL is EBADNAME, the NUL shown as \\0 in its path', async () => {
    const error = await rejectsWith(openDir('a\0b\0'), 'EBADNAME');
    expect(error.path).toBe('a\\0b\\0');
    expect(error.message).toContain('contains NUL');
  });

  it('a symlink is ESYMLINK with the native ENOTDIR as cause, in both modes', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'link'));
    for (const resolution of ['descriptor', 'verify'] as const) {
      const error = await rejectsWith(openDir(join(base, 'link'), { resolution }), 'ESYMLINK');
      expect(error.path).toBe(join(base, 'link'));
      expect(error.message).toContain('where a directory is required');
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    }
    expect(descriptorsInto(base)).toEqual([]);
  });
});
