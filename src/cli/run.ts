import { UsageError, closest } from './args.js';
import { runAudit } from './audit.js';
import { EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { mainHelp, sessionsHelp } from './help.js';
import type { CliIo } from './io.js';
import { errorLine, printable, writeErr, writeOut } from './output.js';
import { runSessionsExport, runSessionsRollback } from './sessions-export.js';
import { runSessionsInspect } from './sessions-inspect.js';
import { runSessionsMigrate } from './sessions-migrate.js';
import { runSessionsVerify } from './sessions-verify.js';
import { packageVersion } from './version.js';

type Handler = (argv: readonly string[], io: CliIo) => Promise<number>;

const SESSIONS: Readonly<Record<string, Handler>> = {
  migrate: runSessionsMigrate,
  inspect: runSessionsInspect,
  verify: runSessionsVerify,
  export: runSessionsExport,
  rollback: runSessionsRollback,
};

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      throw new UsageError('', 'missing command');
    case '-h':
    case '--help':
    case 'help':
      writeOut(io, mainHelp());
      return EXIT_OK;
    case '-V':
    case '--version':
      writeOut(io, packageVersion());
      return EXIT_OK;
    case 'audit':
      return runAudit(rest, io);
    case 'sessions':
      return dispatchSessions(rest, io);
    default: {
      if (command.startsWith('-')) throw new UsageError('', `unknown option '${printable(command)}'`);
      const suggestion = closest(command, ['audit', 'sessions', 'help']);
      throw new UsageError('', `unknown command '${printable(command)}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`);
    }
  }
}

async function dispatchSessions(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '-h' || sub === '--help') {
    writeOut(io, sessionsHelp());
    return EXIT_OK;
  }
  if (sub === undefined) throw new UsageError('sessions', 'missing subcommand: migrate, inspect, verify, export or rollback');
  const handler = Object.hasOwn(SESSIONS, sub) ? SESSIONS[sub] : undefined;
  if (handler === undefined) {
    const suggestion = closest(sub, Object.keys(SESSIONS));
    throw new UsageError('sessions', `unknown subcommand '${printable(sub)}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`);
  }
  return handler(rest, io);
}

/**
 * The whole command line `hardfs <argv…>`: dispatch, then the usage-error and unexpected-error
 * reports. Resolves to the exit status and never rejects; it writes only through `io` and leaves
 * process.exitCode to its caller (src/cli/main.ts), so that tests run it in-process.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const name = error.command === '' ? 'hardfs' : `hardfs ${error.command}`;
      writeErr(io, `${name}: ${error.message}\nRun '${name} --help' for usage.`);
    } else {
      // Commands report their own failures; this is a bug or an unexpected native error.
      writeErr(io, `hardfs: ${errorLine(error)}`);
    }
    return EXIT_USAGE;
  }
}
