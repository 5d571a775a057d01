import { exportSessionStore, rollbackSessionStore } from '../session-store/index.js';
import { parseCommandArgs } from './args.js';
import { EXIT_OK } from './exit-codes.js';
import { commandHelp } from './help.js';
import { fromCwd, type CliIo } from './io.js';
import { printable, reportFatal, writeJson, writeOut } from './output.js';
import { resolveStorePath } from './store-path.js';

const EXPORT_SPEC = {
  command: 'sessions export',
  flags: ['json'],
  positionals: ['store.json'],
  required: 1,
  values: [{ name: 'output' }],
} as const;

const ROLLBACK_SPEC = { command: 'sessions rollback', flags: ['json'], positionals: ['store.json'], required: 1 } as const;

export async function runSessionsExport(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(EXPORT_SPEC, argv);
  if (args.help) {
    writeOut(io, commandHelp('sessions export'));
    return EXIT_OK;
  }
  const { json } = args.flags;
  const argument = args.positionals[0] ?? '';
  const output = args.values['output']?.at(-1);
  try {
    const result = await exportSessionStore(resolveStorePath(io, argument), output === undefined ? {} : { output: fromCwd(io, output) });
    if (json) writeJson(io, { command: 'sessions export', ok: true, ...result });
    else writeOut(io, `Exported ${result.entries} entries to ${printable(result.path)} (written atomically; the store is unchanged).`);
    return EXIT_OK;
  } catch (error) {
    return reportFatal(io, 'sessions export', `cannot export ${argument}`, error, json);
  }
}

export async function runSessionsRollback(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(ROLLBACK_SPEC, argv);
  if (args.help) {
    writeOut(io, commandHelp('sessions rollback'));
    return EXIT_OK;
  }
  const { json } = args.flags;
  const argument = args.positionals[0] ?? '';
  try {
    const result = await rollbackSessionStore(resolveStorePath(io, argument));
    if (json) {
      writeJson(io, { command: 'sessions rollback', ok: true, ...result, previousLegacyBackup: result.previousLegacyBackup ?? null });
    } else {
      const lines = [`Restored ${printable(result.storePath)} with ${result.entries} entries (${result.fromLegacy} newer in the legacy file already there).`];
      if (result.previousLegacyBackup !== undefined) lines.push(`The legacy file that was there is kept as ${printable(result.previousLegacyBackup)}.`);
      lines.push(
        `The store directory ${printable(result.directoryKept)} is kept as a backup: remove it yourself once the legacy writer runs well.`,
        'Opening the store with hardfs again (migrateOnOpen) would migrate the restored file back.',
      );
      writeOut(io, lines.join('\n'));
    }
    return EXIT_OK;
  } catch (error) {
    return reportFatal(io, 'sessions rollback', `cannot roll back ${argument}`, error, json);
  }
}
