import { UsageError, closest } from './args.js';
import { runAudit } from './audit.js';
import { EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { mainHelp, sessionsHelp } from './help.js';
import { errorLine, printable, writeErr, writeOut } from './output.js';
import { runSessionsExport, runSessionsRollback } from './sessions-export.js';
import { runSessionsInspect } from './sessions-inspect.js';
import { runSessionsMigrate } from './sessions-migrate.js';
import { runSessionsVerify } from './sessions-verify.js';
import { packageVersion } from './version.js';

type Handler = (argv: readonly string[]) => Promise<number>;

const SESSIONS: Readonly<Record<string, Handler>> = {
  migrate: runSessionsMigrate,
  inspect: runSessionsInspect,
  verify: runSessionsVerify,
  export: runSessionsExport,
  rollback: runSessionsRollback,
};

async function dispatch(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      throw new UsageError('', 'missing command');
    case '-h':
    case '--help':
    case 'help':
      writeOut(mainHelp());
      return EXIT_OK;
    case '-V':
    case '--version':
      writeOut(packageVersion());
      return EXIT_OK;
    case 'audit':
      return runAudit(rest);
    case 'sessions':
      return dispatchSessions(rest);
    default: {
      if (command.startsWith('-')) throw new UsageError('', `unknown option '${printable(command)}'`);
      const suggestion = closest(command, ['audit', 'sessions', 'help']);
      throw new UsageError('', `unknown command '${printable(command)}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`);
    }
  }
}

async function dispatchSessions(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '-h' || sub === '--help') {
    writeOut(sessionsHelp());
    return EXIT_OK;
  }
  if (sub === undefined) throw new UsageError('sessions', 'missing subcommand: migrate, inspect, verify, export or rollback');
  const handler = Object.hasOwn(SESSIONS, sub) ? SESSIONS[sub] : undefined;
  if (handler === undefined) {
    const suggestion = closest(sub, Object.keys(SESSIONS));
    throw new UsageError('sessions', `unknown subcommand '${printable(sub)}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`);
  }
  return handler(rest);
}

async function main(): Promise<void> {
  try {
    process.exitCode = await dispatch(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      const name = error.command === '' ? 'hardfs' : `hardfs ${error.command}`;
      writeErr(`${name}: ${error.message}\nRun '${name} --help' for usage.`);
    } else {
      // Commands report their own failures; this is a bug or an unexpected native error.
      writeErr(`hardfs: ${errorLine(error)}`);
    }
    process.exitCode = EXIT_USAGE;
  }
}

// Not a top-level await: the bin is CommonJS (docs/PACKAGING.md); main() settles every failure.
void main();
