// Starting and stopping the attacker fixtures (child processes racing the code under test).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { onTestFinished } from 'vitest';

export interface Attacker {
  /** Writes the stop file, waits for the attacker to exit, and returns its final report. */
  stop(): Promise<Record<string, number>>;
}

export function fixture(name: string): string {
  return new URL(`./fixtures/${name}`, import.meta.url).pathname;
}

/**
 * Spawns `fixtures/<name>` with `args` and resolves once the child says it is running. The child
 * stops when `stopFile` (by default its last argument) appears.
 */
export async function startAttacker(name: string, args: string[], stopFile = args.at(-1) as string): Promise<Attacker> {
  const child = spawn(process.execPath, [fixture(name), ...args]);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  // A failed assertion mid-race must not leave the attacker running against the cleanup.
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    void closed.then((code) => reject(new Error(`attacker ${name} exited (${code}) before starting: ${err}`)));
  });
  return {
    async stop() {
      writeFileSync(stopFile, '');
      const code = await closed;
      if (code !== 0) throw new Error(`attacker ${name} failed (${code}): ${err}`);
      return JSON.parse(out.trim().split('\n').pop() as string) as Record<string, number>;
    },
  };
}

/**
 * Codes a raced operation may legitimately end with: typed refusals, and the native errors of
 * a path component that was momentarily absent, a symlink, or of another type. Linux answers
 * O_DIRECTORY|O_NOFOLLOW on a symlink with ENOTDIR; when the attacker removes the symlink before
 * hardfs's classifying lstat, the refusal is reported as ENOTDIR rather than ESYMLINK.
 */
export const RACE_CODES = ['ESYMLINK', 'EESCAPE', 'ENOTDIR', 'ENOENT', 'EEXIST', 'ENOTEMPTY', 'EISDIR'];

/** A native error's or a HardfsError's code; anything else (a bug, a TypeError) has none. */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
