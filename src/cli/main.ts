// The bin: the process's own arguments, streams and working directory handed to runCli, and its
// status made the exit code. Everything else is in src/cli/run.ts, which tests also run
// in-process; what stays process-level is here and in sessions-migrate's SIGINT handler.
import type { CliIo } from './io.js';
import { runCli } from './run.js';

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() };

// Not a top-level await: the bin is CommonJS (docs/PACKAGING.md); runCli settles every failure.
void runCli(process.argv.slice(2), io).then((status) => {
  process.exitCode = status;
});
