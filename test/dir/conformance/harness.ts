// The conformance harness: builds the trees the ported case tables describe, opens a root on
// them in every configuration, and judges outcomes against the contract (DESIGN.md, "Roots —
// contract"). Not a test file itself.
import { mkdirSync, mkdtempSync, lstatSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { afterEach, expect } from 'vitest';
import { isHardfsError, openDir } from '../../../src/index.js';

export type Policy = 'refuse' | 'follow-within';
export type Mode = 'descriptor' | 'verify';
export const POLICIES: readonly Policy[] = ['refuse', 'follow-within'];
export const MODES: readonly Mode[] = ['descriptor', 'verify'];
export const CONFIGS: readonly { mode: Mode; policy: Policy }[] = MODES.flatMap((mode) => POLICIES.map((policy) => ({ mode, policy })));

export interface DirentLike {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/**
 * The root as the contract names it. The tests hold the root through this interface (and not
 * through SafeDir's declared type) so they typecheck against the contract while the class
 * grows; a method the class lacks fails at run time with a TypeError, which is a finding.
 */
export interface Root {
  readonly path?: string;
  readonly resolution?: string;
  readFile(path: string, options?: { encoding?: BufferEncoding; maxBytes?: number }): Promise<Buffer | string>;
  readFileSync(path: string, options?: { encoding?: BufferEncoding; maxBytes?: number }): Buffer | string;
  writeFile(path: string, data: string | Uint8Array, options?: { mode?: number | 'preserve'; mkdirs?: boolean; fsync?: boolean }): Promise<void>;
  writeFileSync(path: string, data: string | Uint8Array, options?: { mode?: number; mkdirs?: boolean }): void;
  appendFile(path: string, data: string | Uint8Array, options?: { mode?: number }): Promise<void>;
  open(path: string, flags?: string | number, mode?: number): Promise<FileHandle>;
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<string | undefined>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  rmdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  stat(path: string): Promise<Stats>;
  statSync(path: string): Stats;
  lstat(path: string): Promise<Stats>;
  lstatSync(path: string): Stats;
  readdir(path: string, options?: { withFileTypes?: boolean }): Promise<string[] | DirentLike[]>;
  readlink(path: string): Promise<string>;
  symlink(target: string, path: string): Promise<void>;
  link(existing: string, path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  lchown(path: string, uid: number, gid: number): Promise<void>;
  utimes(path: string, atime: Date | number, mtime: Date | number): Promise<void>;
  copyFile(from: string, to: string, mode?: number): Promise<void>;
  access(path: string, mode?: number): Promise<void>;
  exists(path: string): Promise<boolean>;
  existsSync(path: string): boolean;
  createReadStream(path: string): NodeJS.ReadableStream | Promise<NodeJS.ReadableStream>;
  createWriteStream(path: string): NodeJS.WritableStream | Promise<NodeJS.WritableStream>;
  openRoot(path: string): Promise<Root>;
  close(): Promise<void>;
}

export async function openRootAt(path: string, config: { mode: Mode; policy: Policy }): Promise<Root> {
  const options = { resolution: config.mode, symlinks: config.policy };
  return (await openDir(path, options as Parameters<typeof openDir>[1])) as unknown as Root;
}

/** Temp bases removed after each test; a base holds ROOT and, beside it, an outside tree. */
export function useBases(): () => string {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) {
      // a test may leave a directory without permissions behind; root ignores that anyway
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'hardfs-conf-'));
    made.push(dir);
    return dir;
  };
}

/**
 * Builds a layout in the notation of Go's makefs: "d/" a directory, "f" a file whose content
 * is its own name, "a => b" a symlink; "$ABS" stands for the root's absolute path. Parents are
 * created as needed. Returns the root (base/ROOT). An "outside" tree with a secret is always
 * made beside it, so every test can prove nothing outside changed.
 */
export function makeTree(base: string, layout: readonly string[]): string {
  const root = join(base, 'ROOT');
  mkdirSync(root, { mode: 0o755 });
  for (const raw of layout) {
    const entry = raw.replaceAll('$ABS', root).replaceAll('$OUT', join(base, 'outside'));
    const [name, link] = entry.split(' => ') as [string, string | undefined];
    mkdirSync(join(root, dirname(name)), { recursive: true, mode: 0o755 });
    if (link !== undefined) symlinkSync(link, join(root, name));
    else if (name.endsWith('/')) mkdirSync(join(root, name), { recursive: true, mode: 0o755 });
    else writeFileSync(join(root, name), name, { mode: 0o644 });
  }
  const outside = join(base, 'outside');
  mkdirSync(join(outside, 'sub'), { recursive: true, mode: 0o755 });
  writeFileSync(join(outside, 'secret.txt'), 'outside secret', { mode: 0o644 });
  writeFileSync(join(outside, 'target'), 'outside target', { mode: 0o644 });
  return root;
}

/**
 * A comparable description of a tree, never following symlinks: type, permission bits, owner,
 * content or link target, link count and mtime. Equal digests mean nothing was created,
 * removed, rewritten, relinked, chmodded, chowned or touched.
 */
export function digest(dir: string, options: { times?: boolean; inodes?: boolean; modes?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (relative: string): void => {
    const path = relative === '' ? dir : join(dir, relative);
    let stats: Stats;
    try {
      stats = lstatSync(path);
    } catch {
      out[relative || '.'] = 'absent';
      return;
    }
    const mode = options.modes === false && !stats.isDirectory() ? '' : (stats.mode & 0o7777).toString(8);
    const owner = `${stats.uid}:${stats.gid}`;
    const time = options.times === false ? '' : ` mtime=${stats.mtimeMs}`;
    const ino = options.inodes ? ` ino=${stats.ino}` : '';
    const key = relative || '.';
    if (stats.isSymbolicLink()) out[key] = `symlink -> ${readlinkSync(path)} ${owner}`;
    else if (stats.isDirectory()) {
      out[key] = `dir ${mode} ${owner}${time}`;
      for (const name of readdirSync(path).sort()) visit(relative === '' ? name : `${relative}/${name}`);
    } else if (stats.isFile()) {
      out[key] = `file ${mode} ${owner} nlink=${stats.nlink}${time}${ino} ${JSON.stringify(readFileSync(path, 'latin1'))}`;
    } else out[key] = `other ${mode} ${owner}`;
  };
  visit('');
  return out;
}

/** The whole base (root and outside tree): what a failed operation must leave unchanged. */
export function baseDigest(base: string): Record<string, string> {
  return digest(base, { inodes: true });
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: Error & { code?: unknown; path?: unknown; op?: unknown; syscall?: unknown } };

export async function outcomeOf(action: () => unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

export function describeOutcome(outcome: Outcome): string {
  if (outcome.ok) return `ok ${JSON.stringify(outcome.value)?.slice(0, 200)}`;
  const e = outcome.error;
  return `${String(e.code ?? e.name)} path=${String(e.path)} op=${String(e.op)} (${e.message.slice(0, 200)})`;
}

/** The path an error must carry: the root's own path joined with the caller's relative path. */
export function callerPaths(root: string, relative: string): string[] {
  const spellings = [relative, relative.replaceAll('\0', '\\0')];
  // compared after normalize(): spellings of the one caller path ("a/./b", "./a/b",
  // "<root>/../ROOT/x") compare equal; the path of a component ("<root>/link" for "link/x")
  // or a descriptor path does not
  return [...new Set(spellings.flatMap((r) => [normalize(`${root}/${r}`), normalize(join(root, r))]))];
}

/**
 * Asserts a failure with `code` (one of `codes`) whose `path` names the caller's path (never a
 * descriptor path) when `relative` is given.
 */
export function expectFailure(outcome: Outcome, codes: string | readonly string[], context: { root: string; relative?: string | readonly string[]; label: string }): void {
  expectRefusal(outcome, codes, context.label);
  expectCallerPath(outcome, context);
}

/** The code (one of `codes`), and no descriptor path anywhere in the error. */
export function expectRefusal(outcome: Outcome, codes: string | readonly string[], label: string): void {
  const wanted = typeof codes === 'string' ? [codes] : codes;
  expect(outcome.ok, `${label}: expected ${wanted.join('|')}, got ${describeOutcome(outcome)}`).toBe(false);
  if (outcome.ok) return;
  const error = outcome.error;
  expect(wanted, `${label}: code of ${describeOutcome(outcome)}`).toContain(error.code);
  expect(error.message, `${label}: message names a descriptor path`).not.toContain('/proc/self/fd');
  expect(String(error.path ?? ''), `${label}: err.path is a descriptor path`).not.toContain('/proc/self/fd');
}

/** err.path is the root's path joined with the caller's relative path (one of `relative`). */
export function expectCallerPath(outcome: Outcome, context: { root: string; relative?: string | readonly string[]; label: string }): void {
  if (outcome.ok || context.relative === undefined) return;
  const relatives = typeof context.relative === 'string' ? [context.relative] : context.relative;
  const allowed = relatives.flatMap((relative) => callerPaths(context.root, relative));
  const got = typeof outcome.error.path === 'string' ? normalize(outcome.error.path) : outcome.error.path;
  expect(allowed, `${context.label}: err.path of ${describeOutcome(outcome)}`).toContain(got);
}

export function expectSuccess(outcome: Outcome, label: string): unknown {
  expect(outcome.ok, `${label}: expected success, got ${describeOutcome(outcome)}`).toBe(true);
  return outcome.ok ? outcome.value : undefined;
}

/** Codes of hardfs's own typed refusals (HardfsError), as opposed to native errno codes. */
export function isTypedRefusal(error: unknown): boolean {
  return isHardfsError(error) && !/^E(NOENT|NOTDIR|ISDIR|EXIST|NOTEMPTY|ACCES|PERM|INVAL|BUSY|NAMETOOLONG|XDEV|NXIO)$/.test(String((error as { code?: unknown }).code));
}

/** Reads a stream to the end (streams from the root may be handed back directly or as a promise). */
export async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

export async function writeAll(stream: NodeJS.WritableStream, data: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', () => resolve());
    stream.on('close', () => resolve());
    stream.end(data);
  });
}

/** Glob match for KNOWN_GAPS keys: `*` matches any run of characters. */
export function globMatch(pattern: string, id: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(id);
}
