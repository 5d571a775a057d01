// Prints the mutation score of each layer from reports/mutation/<layer>.json (written by
// scripts/mutate-layers.sh) and the overall score, counted as Stryker counts it:
// (killed + timeout) / (all valid mutants − ignored), "no coverage" counting as survived.
// --survivors lists every surviving and uncovered mutant with its file, line and replacement.
import { existsSync, readFileSync, readdirSync } from 'node:fs';

const dir = new URL('../reports/mutation/', import.meta.url);
const showSurvivors = process.argv.includes('--survivors');
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'mutation.json') : [];
if (files.length === 0) {
  console.error('no per-layer reports under reports/mutation/: run scripts/mutate-layers.sh first');
  process.exit(2);
}
const total = { detected: 0, undetected: 0 };
const rows = [];
for (const file of files.sort()) {
  const report = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
  const counts = { detected: 0, undetected: 0, invalid: 0, ignored: 0 };
  for (const [path, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) {
      if (m.status === 'Killed' || m.status === 'Timeout') counts.detected += 1;
      else if (m.status === 'Survived' || m.status === 'NoCoverage') {
        counts.undetected += 1;
        if (showSurvivors) {
          console.log(`${m.status.padEnd(10)} ${path}:${m.location.start.line} ${m.mutatorName} ${JSON.stringify(m.replacement ?? '')}`);
        }
      } else if (m.status === 'Ignored') counts.ignored += 1;
      else counts.invalid += 1; // CompileError, RuntimeError
    }
  }
  total.detected += counts.detected;
  total.undetected += counts.undetected;
  rows.push({ layer: file.replace(/\.json$/, ''), ...counts });
}
const score = (c) => ((100 * c.detected) / Math.max(1, c.detected + c.undetected)).toFixed(2);
for (const r of rows) {
  console.log(`${r.layer.padEnd(14)} ${score(r).padStart(6)}%  killed ${r.detected}, survived ${r.undetected}, ignored ${r.ignored}, invalid ${r.invalid}`);
}
console.log(`${'overall'.padEnd(14)} ${score(total).padStart(6)}%  killed ${total.detected}, survived ${total.undetected}`);
