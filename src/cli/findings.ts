/**
 * What audit and verify report. A problem makes the command exit 1 (unless --fix fixed it); a
 * note is context an operator may want (a lock held right now, a write in progress) and does
 * not change the exit status.
 */
export type Severity = 'problem' | 'note';

export type FindingKind =
  | 'symlink'
  | 'insecure-dir'
  | 'wide-mode'
  | 'wrong-mode'
  | 'not-owned'
  | 'hardlink'
  | 'stale-temp'
  | 'temp-file'
  | 'stale-lock'
  | 'lock'
  | 'name-mismatch'
  | 'corrupt-entry'
  | 'quarantined'
  | 'special-file'
  | 'migration-leftover'
  | 'legacy-present'
  | 'corrupt-legacy'
  | 'tombstone'
  | 'snapshot-differs'
  | 'not-migrated'
  | 'missing-stamp'
  | 'unexpected-entry'
  | 'unreadable'
  | 'too-deep';

export interface Finding {
  /** Absolute path as the walk reached it. */
  path: string;
  /** The same path relative to what was audited or verified ("." for the root itself). */
  relativePath: string;
  kind: FindingKind;
  severity: Severity;
  detail: string;
  /** Whether --fix knows how to fix this kind of finding. */
  fixable: boolean;
  /** Whether --fix fixed it (always false without --fix). */
  fixed: boolean;
  /** What --fix did, or why it did not; null when it was not attempted. */
  action: string | null;
}

export interface FindingSummary {
  problems: number;
  notes: number;
  fixed: number;
  /** Problems not fixed: what the exit status is decided on. */
  remaining: number;
}

export function summarize(findings: readonly Finding[]): FindingSummary {
  const problems = findings.filter((finding) => finding.severity === 'problem');
  const fixed = problems.filter((finding) => finding.fixed).length;
  return { problems: problems.length, notes: findings.length - problems.length, fixed, remaining: problems.length - fixed };
}

/** "3 problems", "1 problem". */
export function plural(count: number, noun: string, nounPlural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nounPlural}`;
}
