// Types of check-docs.mjs, for its tests.

export interface CheckDocsOptions {
  /** The package directory: package.json, dist/ (built), src/ (for source locations). */
  root: string;
  /** 'check' (default): fail on any problem; 'report': list, exit 0; 'if-enabled': 'check' when `enabled`, else counts only. */
  mode?: 'check' | 'report' | 'if-enabled';
  /** For mode 'if-enabled': whether the rule is enforced (HARDFS_CHECK_DOCS=1 on the command line). */
  enabled?: boolean;
}

/** What the command prints, and its exit status. */
export function checkDocs(options: CheckDocsOptions): { output: string; exitCode: number };
