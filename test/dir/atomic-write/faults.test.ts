// Fault injection into each step of the atomic write (src/sys/fault-seam.ts) against a real
// directory, plus real (non-injected) failures of the same steps.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isTempFileName, openDir, writeFileAtomic } from '../../../src/index.js';
import { ATOMIC_WRITE_STEPS, setFaultHook, type AtomicWriteStep } from '../../../src/sys/fault-seam.js';
import { caught, useTempDirs } from '../../support/tmp.js';
import { MODES, descriptorsInto, modeOf } from '../harness.js';

afterEach(() => {
  setFaultHook(undefined);
});

const RENAME_INDEX = ATOMIC_WRITE_STEPS.indexOf('rename');
// 16 bytes stay on the event loop (inline syscalls); 512 KiB goes through the thread pool.
const SIZES = [16, 512 * 1024];

/** Installs a hook that throws `injected` at `step` and records every step reached. */
function failAt(step: AtomicWriteStep, injected: unknown): AtomicWriteStep[] {
  const seen: AtomicWriteStep[] = [];
  setFaultHook((current) => {
    seen.push(current);
    if (current === step) throw injected;
  });
  return seen;
}

// The seam itself (its steps, their order, no hook, the rename retry switch): test/sys/fault-seam.test.ts.

describe.each(MODES)('atomic write fault injection (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  describe.each(SIZES)('%i-byte payload', (size) => {
    it.each(ATOMIC_WRITE_STEPS)('a failure at %s: the injected error surfaces, no temp file or descriptor is left', async (step) => {
      const base = await tempDir();
      writeFileSync(join(base, 'target'), 'old');
      writeFileSync(join(base, 'bystander'), 'unrelated');
      const dir = await openDir(base, { resolution });
      const injected = Object.assign(new Error(`injected at ${step}`), { code: 'EIO' });
      const seen = failAt(step, injected);
      const payload = 'n'.repeat(size);
      const error = await caught(dir.writeFileAtomic('target', payload));
      setFaultHook(undefined);
      expect(error).toBe(injected); // the very object, not a wrapper or a copy
      expect(seen).toEqual(ATOMIC_WRITE_STEPS.slice(0, ATOMIC_WRITE_STEPS.indexOf(step) + 1));
      const content = readFileSync(join(base, 'target'), 'utf8');
      if (step === 'fsyncDir') {
        // the rename has happened: the new content is committed, only its directory fsync failed
        expect(content).toBe(payload);
        expect(modeOf(join(base, 'target'))).toBe(0o600);
      } else {
        expect(ATOMIC_WRITE_STEPS.indexOf(step)).toBeLessThanOrEqual(RENAME_INDEX);
        expect(content).toBe('old');
      }
      expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
      expect(readdirSync(base).sort()).toEqual(['bystander', 'target']);
      expect(readFileSync(join(base, 'bystander'), 'utf8')).toBe('unrelated');
      // only the directory's own descriptor is open: the temp file's was closed on the way out
      expect(descriptorsInto(base)).toEqual([base]);
      // and the handle is still usable
      await dir.writeFileAtomic('target', 'after');
      expect(readFileSync(join(base, 'target'), 'utf8')).toBe('after');
      await dir.close();
    });
  });

  it.each(ATOMIC_WRITE_STEPS)('a non-Error thrown at %s is rethrown as is', async (step) => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution });
    const injected = { reason: 'not an Error', step };
    failAt(step, injected);
    const thrown = await dir.writeFileAtomic('target', 'x').then(
      () => 'resolved',
      (error: unknown) => error,
    );
    setFaultHook(undefined);
    expect(thrown).toBe(injected);
    expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
    await dir.close();
  });

  it.each(ATOMIC_WRITE_STEPS)('the path-level writeFileAtomic surfaces a failure at %s and closes its handle', async (step) => {
    const base = await tempDir();
    writeFileSync(join(base, 'target'), 'old');
    const injected = new Error(`path-level ${step}`);
    failAt(step, injected);
    const error = await caught(writeFileAtomic(join(base, 'target'), 'new', { resolution }));
    setFaultHook(undefined);
    expect(error).toBe(injected);
    expect(readFileSync(join(base, 'target'), 'utf8')).toBe(step === 'fsyncDir' ? 'new' : 'old');
    expect(readdirSync(base)).toEqual(['target']);
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('a real failure at rename (the target name is a directory, empty or not) leaves no temp file', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'full'));
    writeFileSync(join(base, 'full', 'inside'), 'keep');
    mkdirSync(join(base, 'empty'));
    const dir = await openDir(base, { resolution });
    for (const name of ['full', 'empty']) {
      const error = await caught(dir.writeFileAtomic(name, 'x'));
      expect(['EISDIR', 'ENOTEMPTY', 'EEXIST']).toContain(error.code);
      expect((error as { syscall?: string }).syscall).toBe('rename');
    }
    expect(readdirSync(base).sort()).toEqual(['empty', 'full']);
    expect(readFileSync(join(base, 'full', 'inside'), 'utf8')).toBe('keep');
    expect(descriptorsInto(base)).toEqual([base]);
    await dir.close();
  });

  it('a real failure at write (EFBIG under RLIMIT_FSIZE, in a child process) keeps the old content and leaves no temp or partial file', async () => {
    const base = await tempDir();
    const writer = new URL('../../attack/fixtures/efbig-writer.mjs', import.meta.url).pathname;
    // 16 KiB limit (bash counts in KiB): 'old' fits, the 64 KiB and 1 MiB payloads do not.
    const result = spawnSync('bash', ['-c', 'ulimit -f 16 && exec "$0" "$@"', process.execPath, writer, base, resolution], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual([
      { size: 64 * 1024, code: 'Error:EFBIG', names: ['target'], content: 'old' },
      { size: 1024 * 1024, code: 'Error:EFBIG', names: ['target'], content: 'old' },
      { exclusive: 'Error:EFBIG', names: ['target'] },
    ]);
  });
});
