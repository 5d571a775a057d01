import type { Stats } from 'node:fs';
import type { FindingKind } from './findings.js';

const S_ISVTX = 0o1000;
const GROUP_OTHER = 0o077;

export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function rwx(bits: number): string {
  return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
}

function access(mode: number): string {
  return `group ${rwx((mode >> 3) & 7)}, others ${rwx(mode & 7)}`;
}

export function isSticky(mode: number): boolean {
  return (mode & S_ISVTX) !== 0;
}

/** The mode with every group and other bit removed (owner and special bits kept). */
export function tightenedMode(mode: number): number {
  return mode & 0o7777 & ~GROUP_OTHER;
}

export interface ModeProblem {
  kind: FindingKind;
  detail: string;
}

/**
 * Audit's rule: a directory writable by group or others without the sticky bit lets them swap
 * entries (insecure-dir); otherwise any group/other bit is wider than 0700 for a directory or
 * 0600 for a file (wide-mode).
 */
export function modeProblem(stats: Stats, directory: boolean): ModeProblem | undefined {
  const mode = stats.mode & 0o7777;
  if (directory && !isSticky(mode) && (mode & 0o022) !== 0) {
    const who = [(mode & 0o020) !== 0 ? 'group' : '', (mode & 0o002) !== 0 ? 'others' : ''].filter(Boolean).join(' and ');
    return { kind: 'insecure-dir', detail: `mode ${formatMode(mode)}: writable by ${who} without the sticky bit` };
  }
  if ((mode & GROUP_OTHER) !== 0) {
    return {
      kind: 'wide-mode',
      detail: `mode ${formatMode(mode)} is wider than ${directory ? '0700' : '0600'} (${access(mode)})`,
    };
  }
  return undefined;
}

/** Verify's rule: store files are exactly 0600 and store directories exactly 0700. */
export function exactModeProblem(stats: Stats, expected: number): ModeProblem | undefined {
  const mode = stats.mode & 0o7777;
  if (mode === expected) return undefined;
  return { kind: 'wrong-mode', detail: `mode ${formatMode(mode)}, expected ${formatMode(expected)}` };
}

export function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

export function ownerProblem(stats: Stats, uid: number | undefined): ModeProblem | undefined {
  if (uid === undefined || stats.uid === uid) return undefined;
  return { kind: 'not-owned', detail: `owned by uid ${stats.uid}, not by the current user (uid ${uid})` };
}
