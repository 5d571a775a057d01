import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, onTestFinished, vi } from 'vitest';
import type { CliStream } from '../../src/cli/io.js';
import type * as RunModule from '../../src/cli/run.js';

// The CLI is tested as operators run it: the BUILT bin, in a child process. `npm test` builds
// first; after editing src/, run `npx tsup` before `npx vitest run test/cli`.
//
// HARDFS_CLI_IN_PROCESS=1 runs the same tests against src/cli/run.ts in this process instead
// (vitest.stryker.config.ts sets it): a mutant lives in src/, which a child running dist/ never
// executes. runCli then passes runCli(argv, io) a capture for stdout and stderr and
// options.cwd as io.cwd (process.chdir is refused in worker threads), on a fresh copy of the
// CLI's modules per test (freshRunModule). Tests that need a process of their own (a signal,
// the bin file itself) are marked with PROCESS_ONLY and skipped there.
export const IN_PROCESS = process.env['HARDFS_CLI_IN_PROCESS'] === '1';
/** For it.skipIf: the test needs the CLI as a process of its own (see IN_PROCESS). */
export const PROCESS_ONLY = IN_PROCESS;

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

/** Throws, with the fix in the message, when dist/cli/main.cjs is missing or older than src/cli/. */
export function checkBuiltCli(): void {
  let built: number;
  try {
    built = statSync(CLI).mtimeMs;
  } catch {
    throw new Error(`${CLI} is missing: run \`npx tsup\` (npm test builds before testing)`);
  }
  if (built < newestMtime(CLI_SRC)) throw new Error(`${CLI} is older than src/cli/: run \`npx tsup\` first`);
}

/** Fails fast when the bin the tests will run is missing or stale; in-process runs need no build. */
export function requireBuiltCli(): void {
  beforeAll(() => {
    if (!IN_PROCESS) checkBuiltCli();
  });
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The working directory relative path arguments are resolved against. */
  cwd?: string;
}

/** `hardfs <args…>`: the built bin in a child process, or src/ in-process with HARDFS_CLI_IN_PROCESS=1. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return IN_PROCESS ? runCliInProcess(args, options) : runBuiltCli(args, options);
}

/** The built bin, as operators run it. */
export function runBuiltCli(args: readonly string[], options: CliOptions = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: options.cwd, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A stream that keeps what is written as UTF-8 bytes, as a pipe to the bin would carry them. */
function capture(): CliStream & { text(): string } {
  const chunks: Buffer[] = [];
  return {
    // Not a terminal, like spawnSync's pipes: no progress bar.
    isTTY: false,
    write: (chunk: string) => chunks.push(Buffer.from(chunk, 'utf8')) > 0,
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

let loaded: typeof RunModule | undefined;
/** 'exit' listeners a copy installed (the lock registries' clean-up): removed with the copy. */
const copyExitListeners: NodeJS.ExitListener[] = [];

/**
 * src/cli/run.ts and everything it imports, evaluated afresh for each test, as each run of the
 * bin is a new process: no module state (held locks, caches, warnings given) carries over from
 * another test, and code that runs at module load (tables, option specs, regexes) runs inside
 * the test, where a mutant of it is active (vitest.stryker.config.ts: `isolate: false` would
 * otherwise evaluate it once per worker). The calls within one test share one copy.
 */
async function freshRunModule(): Promise<typeof RunModule> {
  if (loaded !== undefined) return loaded;
  vi.resetModules();
  const module = await import('../../src/cli/run.js');
  onTestFinished(() => {
    loaded = undefined;
    // The bin's process ends with its run; this copy is dropped instead, and a listener left on
    // process would keep it (its whole module graph) alive for the rest of the worker's life.
    for (const listener of copyExitListeners.splice(0)) process.off('exit', listener);
  });
  loaded = module;
  return module;
}

/** src/cli/run.ts in this process, with its output captured and decoded as spawnSync decodes the bin's. */
export async function runCliInProcess(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const stdout = capture();
  const stderr = capture();
  const { runCli: runCliFromSource } = await freshRunModule();
  const before = new Set(process.listeners('exit'));
  const status = await runCliFromSource(args, { stdout, stderr, cwd: options.cwd ?? process.cwd() });
  copyExitListeners.push(...process.listeners('exit').filter((listener) => !before.has(listener)));
  return { status, stdout: stdout.text(), stderr: stderr.text() };
}

/** Runs with --json appended and parses stdout, which must be exactly one JSON document. */
export async function runCliJson<T = Record<string, unknown>>(args: readonly string[], options: CliOptions = {}): Promise<CliResult & { json: T }> {
  const result = await runCli([...args, '--json'], options);
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
