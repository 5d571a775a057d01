// npm run bench: every benchmark in turn (each prints its own tables). Pass names to run a subset:
//   npm run bench -- atomic-write objects
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ALL = ['atomic-write', 'objects', 'locks', 'session-store'];
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL;
let failed = false;
for (const name of wanted) {
  const file = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
  if (!existsSync(file)) {
    console.log(`\n### ${name}: not present, skipped`);
    continue;
  }
  console.log(`\n### bench/${name}`);
  const result = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
