import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll } from 'vitest';

// The CLI is tested as operators run it: the BUILT bin, in a child process. `npm test` builds
// first; after editing src/, run `npx tsup` before `npx vitest run test/cli`.
export const CLI = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));
// Staleness is judged against the CLI's own sources only: the primitives under src/ change
// under other work all the time, and `npm test` rebuilds anyway.
const CLI_SRC = fileURLToPath(new URL('../../src/cli', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Fails fast, with the fix in the message, when dist/cli/main.cjs is missing or older than src/cli/. */
export function requireBuiltCli(): void {
  beforeAll(() => {
    let built: number;
    try {
      built = statSync(CLI).mtimeMs;
    } catch {
      throw new Error(`${CLI} is missing: run \`npx tsup\` (npm test builds before testing)`);
    }
    if (built < newestMtime(CLI_SRC)) throw new Error(`${CLI} is older than src/cli/: run \`npx tsup\` first`);
  });
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], options: { cwd?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: options.cwd, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs with --json appended and parses stdout, which must be exactly one JSON document. */
export function runCliJson<T = Record<string, unknown>>(args: readonly string[]): CliResult & { json: T } {
  const result = runCli([...args, '--json']);
  let json: T;
  try {
    json = JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${String(result.status)}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return { ...result, json };
}

/** Sets a file's mtime (and atime) `seconds` into the past. */
export function age(path: string, seconds: number): void {
  const when = new Date(Date.now() - seconds * 1000);
  utimesSync(path, when, when);
}

export const TEMP_NAME = '.hardfs-0123456789abcdef0123456789abcdef.tmp';
export const TEMP_NAME_2 = '.hardfs-fedcba9876543210fedcba9876543210.tmp';

export interface JsonFinding {
  path: string;
  relativePath: string;
  kind: string;
  severity: 'problem' | 'note';
  detail: string;
  fixable: boolean;
  fixed: boolean;
  action: string | null;
}

export function kindsAt(findings: readonly JsonFinding[], relativePath: string): string[] {
  return findings.filter((finding) => finding.relativePath === relativePath).map((finding) => finding.kind).sort();
}
