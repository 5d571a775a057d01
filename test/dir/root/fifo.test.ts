// A FIFO at a name must be refused without blocking: opening a FIFO for reading without
// O_NONBLOCK waits for a writer forever, and a synchronous read would freeze the event loop. The
// probe runs in a child process so that a hang is a killed child, not a frozen test worker.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../support/tmp.js';
import { MODES } from '../harness.js';

const PROBE = new URL('../../attack/fixtures/fifo-probe.mjs', import.meta.url).pathname;

describe.each(MODES)('FIFO at a name (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  it('every read path refuses it (EINSECURE / ENOTDIR) without hanging; a write replaces it', async () => {
    const base = await tempDir();
    execFileSync('mkfifo', [join(base, 'fifo')]);
    // Generous: a hang is the failure this guards against, not slowness.
    const result = spawnSync(process.execPath, [PROBE, base, resolution], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
    expect(result.signal).toBeNull(); // not killed: nothing blocked
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout) as Record<string, string>).toEqual({
      readFile: 'HardfsError:EINSECURE',
      readFileSync: 'HardfsError:EINSECURE',
      openFile: 'HardfsError:EINSECURE',
      openFileWrite: 'HardfsError:EINSECURE',
      readFileNoFollow: 'HardfsError:EINSECURE',
      openDir: 'HardfsError:ENOTDIR',
      openSubdir: 'HardfsError:ENOTDIR',
      assertRealDir: 'HardfsError:ENOTDIR',
      createFileExclusive: 'Error:EEXIST',
      writeFileAtomic: 'ok',
    });
    expect(readFileSync(join(base, 'fifo'), 'utf8')).toBe('now a file');
  });
});
