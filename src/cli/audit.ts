import { openDir, type SafeDir } from '../index.js';
import { UsageError, integerOption, parseCommandArgs } from './args.js';
import { globMatcher } from './glob.js';
import { auditTree, type AuditReport } from './audit-walk.js';
import { EXIT_FINDINGS, EXIT_OK } from './exit-codes.js';
import { plural, summarize } from './findings.js';
import { commandHelp } from './help.js';
import { fromCwd, type CliIo } from './io.js';
import { formatTable, printable, reportFatal, writeJson, writeOut, type Column } from './output.js';
import { REPORTING_POLICY } from './policy.js';

const SPEC = {
  command: 'audit',
  flags: ['json', 'fix', 'dry-run'],
  positionals: ['dir'],
  required: 1,
  values: [{ name: 'exclude', multiple: true }, { name: 'max-depth' }],
} as const;

export async function runAudit(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(SPEC, argv);
  if (args.help) {
    writeOut(io, commandHelp('audit'));
    return EXIT_OK;
  }
  const target = args.positionals[0] ?? '';
  const { json, fix } = args.flags;
  const dryRun = args.flags['dry-run'];
  if (dryRun && !fix) throw new UsageError('audit', "--dry-run goes with --fix (an audit without --fix changes nothing anyway)");
  const exclude = args.values['exclude'] ?? [];
  const maxDepth = integerOption('audit', 'max-depth', args.values['max-depth']?.at(-1), 1);
  let root: SafeDir;
  try {
    // Relaxed policy: an insecure root is a finding to report, not a reason to refuse.
    root = await openDir(fromCwd(io, target), REPORTING_POLICY);
  } catch (error) {
    return reportFatal(io, 'audit', `cannot audit ${target}`, error, json);
  }
  let report: AuditReport;
  try {
    report = await auditTree(root, { fix, dryRun, exclude: globMatcher(exclude), ...(maxDepth === undefined ? {} : { maxDepth }) });
  } catch (error) {
    return reportFatal(io, 'audit', `audit of ${target} failed`, error, json);
  } finally {
    await root.close();
  }
  const summary = summarize(report.findings);
  if (json) {
    writeJson(io, {
      command: 'audit',
      root: report.root,
      fix,
      dryRun,
      exclude,
      ok: summary.remaining === 0,
      checked: report.checked,
      excluded: report.excluded,
      summary,
      findings: report.findings,
    });
  } else {
    writeOut(io, renderAudit(report, fix, dryRun));
  }
  return summary.remaining === 0 ? EXIT_OK : EXIT_FINDINGS;
}

function renderAudit(report: AuditReport, fix: boolean, dryRun: boolean): string {
  const summary = summarize(report.findings);
  const lines = [`Audit of ${printable(report.root)}${fix ? (dryRun ? ' (--fix --dry-run: nothing is changed)' : ' (--fix)') : ''}`];
  if (report.findings.length > 0) {
    // With --fix, what was done (or would be) follows the detail in the same wrapped column, so
    // that the table still fits 80 columns; --json has it apart (`action`).
    const columns: Column[] = [{ header: 'PATH', truncate: true }, { header: 'KIND' }, { header: fix ? 'DETAIL; FIX' : 'DETAIL', wrap: true }];
    const rows = report.findings.map((finding) => [
      finding.relativePath,
      finding.severity === 'note' ? `(${finding.kind})` : finding.kind,
      fix ? `${finding.detail}; fix: ${finding.action ?? 'none (left to a human)'}` : finding.detail,
    ]);
    lines.push(formatTable(columns, rows));
  }
  let tally = `${plural(report.checked, 'entry', 'entries')} checked: `;
  const fixable = report.findings.filter((finding) => finding.fixable && !finding.fixed).length;
  if (summary.problems === 0) tally += 'no problems';
  else if (fix && dryRun) tally += `${plural(summary.problems, 'problem')}, ${fixable} would be fixed`;
  else if (fix) tally += `${plural(summary.problems, 'problem')}, ${summary.fixed} fixed, ${summary.remaining} remaining`;
  else tally += `${plural(summary.problems, 'problem')}${fixable > 0 ? ` (${fixable} fixable with --fix)` : ''}`;
  if (summary.notes > 0) tally += `, ${plural(summary.notes, 'note')}`;
  if (report.excluded > 0) tally += `; ${report.excluded} excluded`;
  lines.push(`${tally}.`);
  return lines.join('\n');
}
