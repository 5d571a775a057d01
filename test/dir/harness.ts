// Shared helpers for the SafeDir, atomic-write and attack suites (not a test file itself).
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { HardfsError, type HardfsErrorCode, type Resolution } from '../../src/index.js';

/** Every SafeDir behaviour is exercised in both resolution modes. */
export const MODES: readonly Resolution[] = ['descriptor', 'verify'];

/**
 * A complete, comparable description of a directory tree (lstat, never following symlinks):
 * relative path → type, permission bits, and content / link target / inode as applies. Two
 * equal snapshots mean nothing was created, removed, rewritten, relinked or chmodded.
 */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (relative: string): void => {
    const path = relative === '' ? root : join(root, relative);
    const stats = lstatSync(path, { bigint: true });
    const mode = (Number(stats.mode) & 0o7777).toString(8);
    const key = relative === '' ? '.' : relative;
    if (stats.isSymbolicLink()) {
      out[key] = `symlink ${mode} -> ${readlinkSync(path)}`;
    } else if (stats.isDirectory()) {
      out[key] = `dir ${mode} uid=${stats.uid}`;
      for (const name of readdirSync(path).sort()) visit(relative === '' ? name : join(relative, name));
    } else if (stats.isFile()) {
      out[key] = `file ${mode} ino=${stats.ino} nlink=${stats.nlink} ${JSON.stringify(readFileSync(path, 'utf8'))}`;
    } else {
      out[key] = `other ${mode} ino=${stats.ino}`;
    }
  };
  visit('');
  return out;
}

/** Targets of this process's open descriptors that lie at or below `dir` (fd-leak audits). */
export function descriptorsInto(dir: string): string[] {
  const found: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the descriptor readdir itself used, already closed
    }
    const live = target.replace(/ \(deleted\)$/, '');
    if (live === dir || live.startsWith(`${dir}/`)) found.push(target);
  }
  return found.sort();
}

/** Awaits `action`, which must reject with a HardfsError of `code`; returns the error. */
export async function rejectsWith(action: Promise<unknown> | (() => unknown), code: HardfsErrorCode): Promise<HardfsError> {
  let thrown: unknown;
  try {
    if (typeof action === 'function') await action();
    else await action;
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected HardfsError ${code}`).toBeInstanceOf(HardfsError);
  expect((thrown as HardfsError).code).toBe(code);
  return thrown as HardfsError;
}

/** Awaits `action`, which must reject with a native node:fs error (not a HardfsError) of `code`. */
export async function rejectsNative(action: Promise<unknown> | (() => unknown), code: string): Promise<NodeJS.ErrnoException> {
  let thrown: unknown;
  try {
    if (typeof action === 'function') await action();
    else await action;
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected native ${code}`).toBeInstanceOf(Error);
  expect(thrown).not.toBeInstanceOf(HardfsError);
  const native = thrown as NodeJS.ErrnoException;
  expect(native.code).toBe(code);
  // The shape node:fs gives its errors: untouched, not re-wrapped.
  expect(typeof native.errno).toBe('number');
  expect(typeof native.syscall).toBe('string');
  return native;
}

export function modeOf(path: string): number {
  return lstatSync(path).mode & 0o7777;
}

/** Runs `action`, which must throw a HardfsError synchronously; returns the error. */
export function rejectsSync(action: () => unknown): HardfsError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(HardfsError);
    return error as HardfsError;
  }
  throw new Error('expected a HardfsError, nothing was thrown');
}

/** Runs `action`, which must throw a native (not a HardfsError) error synchronously; returns it. */
export function rejectsNativeSync(action: () => unknown): NodeJS.ErrnoException {
  try {
    action();
  } catch (error) {
    expect(error).not.toBeInstanceOf(HardfsError);
    return error as NodeJS.ErrnoException;
  }
  throw new Error('expected a native error, nothing was thrown');
}

/** 'ok' if `action` resolves (closing a handle it returns), else the error's code: for comparing outcomes. */
export async function outcome(action: () => Promise<unknown>): Promise<string> {
  try {
    const result = await action();
    if (result !== null && typeof result === 'object' && 'close' in result) await (result as { close(): Promise<void> }).close();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/**
 * Runs `run` synchronously with process.platform reading `platform`, then restores it: the
 * platform branches of pure helpers, exercised on this Linux machine (the filesystem is real).
 */
export function onPlatform<T>(platform: NodeJS.Platform, run: () => T): T {
  const original = Object.getOwnPropertyDescriptor(process, 'platform');
  if (original === undefined) throw new Error('process.platform has no descriptor');
  Object.defineProperty(process, 'platform', { ...original, value: platform });
  try {
    return run();
  } finally {
    Object.defineProperty(process, 'platform', original);
  }
}
