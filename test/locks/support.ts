import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDir, type SafeDir } from '../../src/dir/safe-dir.js';
import { assertOnSelectedFilesystem } from '../support/test-fs.js';
import { parseOwnerRecord, serializeOwnerRecord, type OwnerRecord } from '../../src/locks/owner-record.js';

export interface TempDir {
  path: string;
  dir: SafeDir;
  cleanup(): Promise<void>;
}

/** A fresh 0o700 directory under os.tmpdir() (TMPDIR: see test/support/tmp.ts), opened as a SafeDir. */
export async function makeTempDir(prefix = 'hardfs-locks-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  assertOnSelectedFilesystem(path);
  const dir = await openDir(path);
  return {
    path,
    dir,
    async cleanup() {
      await dir.close();
      await rm(path, { recursive: true, force: true });
    },
  };
}

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process running a fixture, with its stdout split into lines as they arrive. */
export class Child {
  readonly process: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<ExitStatus>;
  stderr = '';
  #listeners = new Set<() => void>();

  constructor(fixture: string, args: string[]) {
    this.process = spawn(process.execPath, [fixturePath(fixture), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    this.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const listener of this.#listeners) listener();
    });
    this.process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        for (const listener of this.#listeners) listener();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    const pid = this.process.pid;
    if (pid === undefined) throw new Error('child has no pid');
    return pid;
  }

  /** Resolves with the first stdout line starting with `prefix`; rejects if the child exits first or after `timeoutMs`. */
  waitForLine(prefix: string, timeoutMs = 30_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const line = this.lines.find((candidate) => candidate.startsWith(prefix));
        if (line !== undefined) {
          done();
          resolve(line);
        } else if (this.process.exitCode !== null || this.process.signalCode !== null) {
          done();
          reject(new Error(`child exited before printing ${prefix}; stdout: ${this.lines.join(' | ')}; stderr: ${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${prefix} line within ${timeoutMs} ms; stdout: ${this.lines.join(' | ')}; stderr: ${this.stderr}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `promise` is still unsettled once already-queued callbacks and timers have run. */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await sleep(0);
  return !settled;
}

/** The pid of a process that has exited (and been reaped): a holder that is certainly dead. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  await sleep(50); // reaped by libuv by now
  return child.pid!;
}

/** Writes a lock record (or any text) at `name` in `base`, with an mtime `ageMs` in the past (negative: in the future). */
export async function plantRecord(base: string, name: string, record: OwnerRecord | string, ageMs: number): Promise<string> {
  const path = join(base, name);
  await writeFile(path, typeof record === 'string' ? record : serializeOwnerRecord(record), { mode: 0o600 });
  const when = new Date(Date.now() - ageMs);
  await utimes(path, when, when);
  return path;
}

/** The owner record at `name` in `base`, parsed (undefined if unreadable). */
export async function recordOnDisk(base: string, name: string): Promise<OwnerRecord | undefined> {
  return parseOwnerRecord(await readFile(join(base, name)));
}

/** Polls until `check` holds; false if it did not within `limitMs`. */
export async function eventually(check: () => Promise<boolean>, limitMs = 3_000): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(5);
  }
  return check();
}
