// Opening a root: a symlink at the last component is ESYMLINK, except one owned by root when
// the process is not root (macOS /tmp, Linux /var/run: outside the threat model); the same rule
// for the path-level helpers; ensureRealDir without `root` refuses a symlink at the deepest
// existing ancestor (issue 10, item 6); auto's fallback to verify warns once.
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ensureRealDir, openDir, readFileNoFollow, writeFileAtomic, VERIFY_FALLBACK_WARNING } from '../../../src/index.js';
import { chooseResolution, resetFallbackWarning } from '../../../src/dir/resolution.js';
import { runAsSecondUser, secondUser, secondUserSkipReason } from '../../support/second-user.js';
import { caught, useTempDirs } from '../../support/tmp.js';
import { rejectsWith } from '../harness.js';

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

  it('ensureRealDir refuses a symlink planted at the deepest existing ancestor and creates nothing through it', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    symlinkSync(outside, join(base, 'planted'));
    await rejectsWith(ensureRealDir(join(base, 'planted', 'a', 'b')), 'ESYMLINK');
    expect(readdirSync(outside)).toEqual([]);
    // A real ancestor still works, and the components it creates are real directories.
    expect(await ensureRealDir(join(base, 'real', 'a'))).toBe(join(base, 'real', 'a'));
    await writeFileAtomic(join(base, 'made', 'deep', 'f'), 'x', { mkdirs: true });
    expect(readdirSync(join(base, 'made', 'deep'))).toEqual(['f']);
    writeFileSync(join(base, 'file'), 'x');
    // A file on the way is the kernel's ENOTDIR (from the lstat that looks for the anchor).
    expect((await caught(ensureRealDir(join(base, 'file', 'sub')))).code).toBe('ENOTDIR');
  });

  it("resolution: 'descriptor' refuses without descriptor resolution (EUNSUPPORTED); auto falls back with one warning", async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution: 'descriptor' });
    expect(dir.resolution).toBe('descriptor');
    await dir.close();
    const stats = (await import('node:fs')).statSync(base, { bigint: true });
    const refused = await rejectsWith(() => chooseResolution('descriptor', undefined, stats, base), 'EUNSUPPORTED');
    expect(refused.message).toContain('descriptor-anchored resolution (/proc/self/fd) is unavailable');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    expect(chooseResolution('auto', undefined, stats, base)).toBe('verify');
    expect(chooseResolution('auto', undefined, stats, base)).toBe('verify');
    expect(chooseResolution('verify', undefined, stats, base)).toBe('verify');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toEqual({ code: VERIFY_FALLBACK_WARNING });
    expect(String(warn.mock.calls[0]?.[0])).toContain('best-effort verify resolution');
  });
});
