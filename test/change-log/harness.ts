// Shared by the change-log suites: a real temp directory opened as a SafeDir, the log's file
// read back with plain node:fs, and the shapes of a read.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import {
  openChangeLog,
  openDir,
  type ChangeLog,
  type ChangeLogCursor,
  type ChangeLogOptions,
  type ChangeLogRead,
  type Resolution,
  type SafeDir,
} from '../../src/index.js';
import { useTempDirs } from '../support/tmp.js';

export const HEADER_PATTERN = /^hardfs-change-log 1 ([0-9a-f]{32})\n/;
/** 'hardfs-change-log 1 ' + 32 hex digits + '\n'. */
export const HEADER_BYTES = 53;

export interface Fixture {
  base: string;
  dir: SafeDir;
  path: string;
  open(options?: ChangeLogOptions): Promise<ChangeLog>;
}

export interface Logs {
  /** A fresh real temp directory, removed after the test. */
  tempDir(): Promise<string>;
  /** Closed after the test, in reverse order of tracking (logs before their directories). */
  track<T extends { close(): Promise<void> }>(handle: T): T;
  /** A temp directory opened as a SafeDir, and openChangeLog on its name `log`. */
  fixture(resolution?: Resolution): Promise<Fixture>;
}

/** Call at the top of a test file: registers that file's cleanup hooks. */
export function useLogs(): Logs {
  const tempDir = useTempDirs();
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const handle of opened.splice(0).reverse()) await handle.close();
  });
  const track = <T extends { close(): Promise<void> }>(handle: T): T => {
    opened.push(handle);
    return handle;
  };
  return {
    tempDir,
    track,
    async fixture(resolution) {
      const base = await tempDir();
      const dir = track(await openDir(base, resolution === undefined ? {} : { resolution }));
      return {
        base,
        dir,
        path: join(base, 'log'),
        async open(options) {
          return track(await openChangeLog(dir, 'log', options));
        },
      };
    },
  };
}

export function generationOnDisk(path: string): string {
  const match = HEADER_PATTERN.exec(readFileSync(path, 'latin1'));
  expect(match, `no valid header in ${path}`).not.toBeNull();
  return match![1]!;
}

/** The records on disk after the header (complete lines only). */
export function recordsOnDisk(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  expect(text).toMatch(HEADER_PATTERN);
  const lines = text.slice(HEADER_BYTES).split('\n');
  lines.pop(); // '' after the last newline, or a partial line
  return lines;
}

export function expectReset(result: ChangeLogRead, reason?: string): ChangeLogCursor {
  expect(result.reset, JSON.stringify(result)).toBe(true);
  if (!result.reset) throw new Error('unreachable');
  if (reason !== undefined) expect(result.reason).toBe(reason);
  return result.cursor;
}

export function expectRecords(result: ChangeLogRead, records: string[]): ChangeLogCursor {
  expect(result).toMatchObject({ reset: false, records });
  return result.cursor;
}

/** Bytes the records take in the log, newlines included. */
export function bytes(records: string[]): number {
  return records.reduce((sum, record) => sum + Buffer.byteLength(record) + 1, 0);
}

/** The files under `base` this process holds a descriptor of (Linux: /proc/self/fd), "(deleted)" kept. */
export function descriptorsInto(base: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(`${base}/`) ? [target] : [];
    } catch {
      return [];
    }
  });
}

/** Waits (a few turns at most) for descriptors whose close was started without being awaited. */
export async function settledDescriptorsInto(base: string, expected: number): Promise<string[]> {
  for (let attempt = 0; attempt < 50 && descriptorsInto(base).length > expected; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return descriptorsInto(base);
}
