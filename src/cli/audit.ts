import { openDir, type SafeDir } from '../index.js';
import { parseCommandArgs } from './args.js';
import { auditTree, type AuditReport } from './audit-walk.js';
import { EXIT_FINDINGS, EXIT_OK } from './exit-codes.js';
import { plural, summarize } from './findings.js';
import { commandHelp } from './help.js';
import { formatTable, printable, reportFatal, writeJson, writeOut } from './output.js';
import { REPORTING_POLICY } from './policy.js';

const SPEC = { command: 'audit', flags: ['json', 'fix'], positionals: ['dir'], required: 1 } as const;

export async function runAudit(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(SPEC, argv);
  if (args.help) {
    writeOut(commandHelp('audit'));
    return EXIT_OK;
  }
  const target = args.positionals[0] ?? '';
  const { json, fix } = args.flags;
  let root: SafeDir;
  try {
    // Relaxed policy: an insecure root is a finding to report, not a reason to refuse.
    root = await openDir(target, REPORTING_POLICY);
  } catch (error) {
    return reportFatal('audit', `cannot audit ${target}`, error, json);
  }
  let report: AuditReport;
  try {
    report = await auditTree(root, { fix });
  } catch (error) {
    return reportFatal('audit', `audit of ${target} failed`, error, json);
  } finally {
    await root.close();
  }
  const summary = summarize(report.findings);
  if (json) {
    writeJson({
      command: 'audit',
      root: report.root,
      fix,
      ok: summary.remaining === 0,
      checked: report.checked,
      summary,
      findings: report.findings,
    });
  } else {
    writeOut(renderAudit(report, fix));
  }
  return summary.remaining === 0 ? EXIT_OK : EXIT_FINDINGS;
}

function renderAudit(report: AuditReport, fix: boolean): string {
  const summary = summarize(report.findings);
  const lines = [`Audit of ${printable(report.root)}${fix ? ' (--fix)' : ''}`];
  if (report.findings.length > 0) {
    const columns = [{ header: 'PATH' }, { header: 'KIND' }, { header: 'DETAIL' }];
    if (fix) columns.push({ header: 'FIX' });
    const rows = report.findings.map((finding) => {
      const row = [finding.relativePath, finding.severity === 'note' ? `(${finding.kind})` : finding.kind, finding.detail];
      if (fix) row.push(finding.action ?? '-');
      return row;
    });
    lines.push(formatTable(columns, rows));
  }
  let tally = `${plural(report.checked, 'entry', 'entries')} checked: `;
  if (summary.problems === 0) tally += 'no problems';
  else if (fix) tally += `${plural(summary.problems, 'problem')}, ${summary.fixed} fixed, ${summary.remaining} remaining`;
  else tally += plural(summary.problems, 'problem');
  if (summary.notes > 0) tally += `, ${plural(summary.notes, 'note')}`;
  lines.push(`${tally}.`);
  return lines.join('\n');
}
