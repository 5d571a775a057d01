// Spawning and SIGKILLing the crash fixtures.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { assertOnSelectedFilesystem, selectedTestFilesystem } from '../support/test-fs.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface Run {
  child: ChildProcessWithoutNullStreams;
  /** Every complete stdout line so far. */
  lines: string[];
  stderr(): string;
  /** Resolves when the process is gone: its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once a line satisfying `test` has arrived (rejects if the process ends first). */
  waitFor(test: (line: string) => boolean): Promise<void>;
  kill(): void;
}

export function start(script: string, args: string[]): Run {
  const child = spawn(process.execPath, [script, ...args]);
  const lines: string[] = [];
  const waiters: Array<{ test: (line: string) => boolean; resolve: () => void }> = [];
  let buffer = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() as string;
    for (const line of parts) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitFor(test) {
      if (lines.some(test)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.push({ test, resolve });
        void exited.then(({ code, signal }) => reject(new Error(`child ended (${code ?? signal}) before the expected line: ${stderr}`)));
      });
    },
    kill: () => child.kill('SIGKILL'),
  };
}

/**
 * Where crash trials put their stores. SIGKILL tests check atomicity against a process dying,
 * where the page cache survives; they cannot test power loss either way. So the many-trial runs
 * go to a tmpfs when there is one (fsync stays on: same code paths, no 2–5 ms disk flush per
 * file), and a few trials also run under os.tmpdir() on the real disk.
 * HARDFS_CRASH_TMPDIR overrides the tmpfs choice; a filesystem-matrix run (HARDFS_TEST_FS) uses
 * os.tmpdir(), which it points into the mount under test.
 */
export function fastCrashRoot(): string {
  const override = process.env['HARDFS_CRASH_TMPDIR'];
  if (override !== undefined && override !== '') return override;
  if (selectedTestFilesystem() !== undefined) return tmpdir();
  try {
    const stats = statSync('/dev/shm');
    if (stats.isDirectory()) {
      accessSync('/dev/shm', constants.W_OK);
      return '/dev/shm';
    }
  } catch {
    // no tmpfs here: use the default temp dir
  }
  return tmpdir();
}

/** Temp dirs (0o700, from mkdtemp) under `root`, removed after each test. */
export function useTempDirsUnder(root: string): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(join(root, 'hardfs-crash-'));
    made.push(dir);
    assertOnSelectedFilesystem(dir);
    return dir;
  };
}
