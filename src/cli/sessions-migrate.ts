import { lstat } from 'node:fs/promises';
import { basename, dirname, parse, relative } from 'node:path';
import { HardfsError, openDir } from '../index.js';
import { listAgentSessionDirs, migrateSessionStoreToDirectory, type MigrationResult } from '../session-store/index.js';
import type { MigrationPhase } from '../session-store/index.js';
import { integerOption, parseCommandArgs } from './args.js';
import { EXIT_FINDINGS, EXIT_OK } from './exit-codes.js';
import { plural } from './findings.js';
import { commandHelp } from './help.js';
import { fromCwd, type CliIo } from './io.js';
import { describeError, formatTable, hintFor, printable, refusalLine, reportFatal, writeErr, writeJson, writeOut, type ErrorInfo } from './output.js';
import { REPORTING_POLICY } from './policy.js';
import { ProgressBar } from './progress.js';
import { namesStore, resolveStorePath } from './store-path.js';

const SPEC = {
  command: 'sessions migrate',
  flags: ['json', 'dry-run'],
  positionals: ['store.json | stateDir'],
  required: 1,
  values: [{ name: 'keep-backups' }, { name: 'max-legacy-bytes' }],
} as const;

/** Exit status after Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

export type MigrateStatus = 'migrated' | 'dry-run' | 'nothing-to-migrate' | 'not-migrated' | 'left-alone' | 'failed';

export interface StoreMigration {
  storePath: string;
  agentId: string | null;
  status: MigrateStatus;
  /** Entries written (or, in a dry run, that would be). */
  entries: number;
  skipped: { key: string; reason: string }[];
  backupPath: string | null;
  mode: 'fresh' | 'merge' | null;
  reason: string | null;
  /** Files beside the store not trusted (another user's), left alone: not read, merged or removed. */
  leftAlone: { path: string; reason: string; ownerUid: number | null }[];
  prunedBackups: string[];
  error: ErrorInfo | null;
  /** What resolves a failure or a file left alone. */
  hint: string | null;
  warnings: string[];
}

interface Target {
  storePath: string;
  agentId: string | null;
}

interface Refusal {
  path: string;
  reason: string;
  hint: string;
}

interface RunOptions {
  dryRun: boolean;
  keepBackups: number | undefined;
  maxLegacyBytes: number | undefined;
}

/** What a migration interrupted in each phase leaves behind, and what the next run does with it. */
const INTERRUPTED_STATE: Record<MigrationPhase | 'starting', string> = {
  starting: 'nothing was written; the legacy file is untouched',
  reading: 'nothing was written; the legacy file is untouched',
  staging: 'the legacy file is untouched; a partial staging directory (sessions.d.migrating) may remain: the next run discards it and starts again',
  published: 'sessions.d is complete and the legacy file is still in place: the next run merges it (changing nothing) and backs it up',
  merging: 'some entries are merged into sessions.d, the legacy file is untouched: the next run merges the rest',
  merged: 'every entry is in sessions.d and the legacy file is still in place: the next run backs it up',
  'backed-up': 'the store was migrated and its legacy file backed up',
};

/**
 * What Ctrl-C during a migration prints: the store it stopped in (none yet: nothing was written),
 * what the phase it stopped in leaves behind, how many stores were migrated before, what to run.
 */
export function interruptedMessage(argument: string, storePath: string | undefined, phase: MigrationPhase | 'starting', migrated: number): string {
  const where = storePath === undefined ? '' : ` while migrating ${printable(storePath)}`;
  const state = storePath === undefined ? 'nothing was written' : INTERRUPTED_STATE[phase];
  return (
    `hardfs sessions migrate: interrupted${where}: ${state}. ${plural(migrated, 'store')} migrated before it. ` +
    `The migration's locks are removed on exit. Run 'hardfs sessions migrate ${printable(argument)}' again to finish.`
  );
}

export async function runSessionsMigrate(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(SPEC, argv);
  if (args.help) {
    writeOut(io, commandHelp('sessions migrate'));
    return EXIT_OK;
  }
  const argument = args.positionals[0] ?? '';
  const { json } = args.flags;
  const options: RunOptions = {
    dryRun: args.flags['dry-run'],
    keepBackups: integerOption(SPEC.command, 'keep-backups', args.values['keep-backups']?.at(-1), 1),
    maxLegacyBytes: integerOption(SPEC.command, 'max-legacy-bytes', args.values['max-legacy-bytes']?.at(-1), 0),
  };
  const singleStore = namesStore(io, argument);
  const targets: Target[] = [];
  const refused: Refusal[] = [];
  let root: string;
  try {
    if (singleStore) {
      const storePath = resolveStorePath(io, argument);
      root = storePath;
      // The same refusal as the state-directory walk: no symlinked agent or sessions directory
      // (nor any other symlink on the way, except root's own, such as /tmp on macOS).
      await refuseSymlinkedAncestors(dirname(storePath));
      await (await openDir(dirname(storePath))).close();
      targets.push({ storePath, agentId: null });
    } else {
      const stateDir = await openDir(fromCwd(io, argument), REPORTING_POLICY);
      root = stateDir.path;
      await stateDir.close();
      const found = await listAgentSessionDirs(root, {
        onSkipped: (path, reason) => refused.push({ path, reason, hint: refusalHint(reason) }),
      });
      for (const agent of found) targets.push({ storePath: agent.storePath, agentId: agent.agentId });
    }
  } catch (error) {
    return reportFatal(io, 'sessions migrate', `cannot migrate ${argument}`, error, json);
  }
  const stores: StoreMigration[] = [];
  const current: { target: Target | undefined; phase: MigrationPhase | 'starting' } = { target: undefined, phase: 'starting' };
  // Process-level on purpose, not through io: Ctrl-C ends the process, and process.exit runs the
  // 'exit' handlers that remove the locks this process holds (test/cli/sessions-migrate.test.ts
  // sends a real SIGINT to the bin).
  const onInterrupt = (): void => {
    const done = stores.filter((store) => store.status === 'migrated').length;
    writeErr(io, interruptedMessage(argument, current.target?.storePath, current.phase, done));
    process.exit(EXIT_INTERRUPTED);
  };
  process.on('SIGINT', onInterrupt);
  try {
    for (const target of targets) {
      current.target = target;
      current.phase = 'starting';
      stores.push(await migrateOne(io, target, options, (phase) => (current.phase = phase)));
    }
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  const ok =
    refused.length === 0 && stores.every((store) => store.status !== 'failed' && store.status !== 'not-migrated' && store.status !== 'left-alone');
  if (json) {
    writeJson(io, { command: 'sessions migrate', target: root, dryRun: options.dryRun, ok, stores, refused });
  } else {
    writeOut(io, renderMigration(root, singleStore, options.dryRun, stores, refused));
  }
  return ok ? EXIT_OK : EXIT_FINDINGS;
}

/**
 * The state-directory walk refuses a symlinked agent or sessions directory; one store named by
 * its path gets the same refusal for the two directories above it (lstat: the link itself).
 * Root's own links directly under / (macOS's /tmp -> private/tmp) are outside the threat model.
 */
async function refuseSymlinkedAncestors(sessionsDir: string): Promise<void> {
  for (const path of [dirname(sessionsDir), sessionsDir]) {
    if (path === dirname(path)) continue; // the filesystem root
    const stats = await lstat(path);
    if (stats.isSymbolicLink() && !(stats.uid === 0 && dirname(path) === parse(path).root)) {
      throw new HardfsError('ESYMLINK', 'refusing a symlinked directory on the way to the store (not followed)', { path });
    }
  }
}

function refusalHint(reason: string): string {
  if (/symlink/i.test(reason)) return 'replace the symlink with the real directory, or migrate the store at its real path';
  if (/owned by uid/.test(reason)) return 'run as the owner of that directory, or chown it';
  if (/writable/.test(reason)) return "remove group/other write access ('hardfs audit --fix' on a tree you own)";
  return "check it with 'hardfs audit' and migrate it by its .json path once fixed";
}

async function migrateOne(io: CliIo, target: Target, options: RunOptions, onPhase: (phase: MigrationPhase) => void): Promise<StoreMigration> {
  const warnings: string[] = [];
  const progress = new ProgressBar(io.stderr, { label: target.agentId ?? basename(target.storePath) });
  const base: StoreMigration = {
    storePath: target.storePath,
    agentId: target.agentId,
    status: 'failed',
    entries: 0,
    skipped: [],
    backupPath: null,
    mode: null,
    reason: null,
    leftAlone: [],
    prunedBackups: [],
    error: null,
    hint: null,
    warnings,
  };
  try {
    const result = await migrateSessionStoreToDirectory(target.storePath, {
      dryRun: options.dryRun,
      ...(options.keepBackups === undefined ? {} : { keepBackups: options.keepBackups }),
      ...(options.maxLegacyBytes === undefined ? {} : { maxLegacyBytes: options.maxLegacyBytes }),
      onPhase,
      // The bar goes to stderr (and only on a terminal): --json's stdout stays one document.
      onProgress: (done, total) => {
        progress.update(done, total);
      },
      logger: { warn: (message, details) => warnings.push(details ? `${message} ${JSON.stringify(details)}` : message) },
    });
    return { ...base, ...fromResult(result, options.dryRun) };
  } catch (error) {
    return { ...base, status: 'failed', error: describeError(error), reason: refusalLine(error), hint: hintFor(error) };
  } finally {
    progress.finish();
  }
}

// MigrationResult has no machine-readable status; its reasons are stable strings of the
// session-store layer ("no legacy store file", "dry run").
function fromResult(result: MigrationResult, dryRun: boolean): Partial<StoreMigration> {
  const common = {
    entries: result.entries,
    skipped: result.skipped.map((skip) => ({ key: skip.key, reason: skip.reason })),
    backupPath: result.backupPath ?? null,
    mode: result.mode ?? null,
    reason: result.reason ?? null,
    leftAlone: result.leftAlone.map((item) => ({ path: item.path, reason: item.reason, ownerUid: item.ownerUid ?? null })),
    prunedBackups: result.prunedBackups,
  };
  if (result.migrated) return { ...common, status: 'migrated' };
  if (result.leftAlone.length > 0 && !(dryRun && result.mode !== undefined)) {
    return {
      ...common,
      status: 'left-alone',
      hint: 'another user made a file beside the store: check who and why, remove it as root or as its owner, then run again',
    };
  }
  if (dryRun && result.mode !== undefined) return { ...common, status: 'dry-run' };
  if (result.reason === 'no legacy store file') return { ...common, status: 'nothing-to-migrate' };
  return { ...common, status: 'not-migrated' };
}

const STATUS_LABEL: Record<MigrateStatus, string> = {
  migrated: 'migrated',
  'dry-run': 'would migrate',
  'nothing-to-migrate': 'nothing to do',
  'not-migrated': 'left untouched',
  'left-alone': 'NOT TRUSTED',
  failed: 'FAILED',
};

function storeDetail(store: StoreMigration): string {
  switch (store.status) {
    case 'migrated': {
      const pruned = store.prunedBackups.length > 0 ? `; ${plural(store.prunedBackups.length, 'old backup')} pruned` : '';
      return `${store.mode ?? ''}; legacy file kept as ${basename(store.backupPath ?? '')}${pruned}`;
    }
    case 'dry-run':
      return store.mode === 'merge' ? 'would merge into the existing directory' : 'would stage and rename into place';
    case 'left-alone':
      return store.leftAlone.map((item) => `${basename(item.path)} ${item.reason}; left alone`).join('; ') + ` (hint: ${store.hint ?? ''})`;
    default:
      return store.reason ?? '';
  }
}

function renderMigration(
  root: string,
  singleStore: boolean,
  dryRun: boolean,
  stores: readonly StoreMigration[],
  refused: readonly Refusal[],
): string {
  const lines: string[] = [];
  // A state directory's stores are named by their agent (the full path is in --json); one
  // store by its path.
  const shown = (store: StoreMigration): string => (singleStore || store.agentId === null ? store.storePath : store.agentId);
  const storeHeader = singleStore ? 'STORE' : 'AGENT';
  if (stores.length === 0) {
    lines.push(`No agent session stores found under ${printable(root)}.`);
  } else {
    lines.push(
      formatTable(
        [
          { header: storeHeader, truncate: true },
          { header: 'STATUS' },
          { header: 'ENTRIES', align: 'right' },
          { header: 'SKIPPED', align: 'right' },
          { header: 'DETAIL', wrap: true },
        ],
        stores.map((store) => [shown(store), STATUS_LABEL[store.status], String(store.entries), String(store.skipped.length), storeDetail(store)]),
      ),
    );
  }
  const skipped = stores.flatMap((store) => store.skipped.map((skip) => [shown(store), JSON.stringify(skip.key), skip.reason]));
  if (skipped.length > 0) {
    lines.push('', 'Entries not migrated (still in the legacy file or its backup):');
    lines.push(formatTable([{ header: storeHeader, truncate: true }, { header: 'KEY', truncate: true }, { header: 'REASON', wrap: true }], skipped));
  }
  if (refused.length > 0) {
    lines.push('', 'Refused (not followed, not migrated):');
    lines.push(
      formatTable(
        [{ header: 'PATH', truncate: true }, { header: 'REASON', wrap: true }],
        refused.map((refusal) => [relative(root, refusal.path) || refusal.path, `${refusal.reason} (hint: ${refusal.hint})`]),
      ),
    );
  }
  const counts = new Map<string, number>();
  for (const store of stores) counts.set(STATUS_LABEL[store.status], (counts.get(STATUS_LABEL[store.status]) ?? 0) + 1);
  const tally = [...counts].map(([label, count]) => `${count} ${label}`).join(', ');
  let summary = `${plural(stores.length, 'store')}${tally ? `: ${tally}` : ''}`;
  if (refused.length > 0) summary += `; ${plural(refused.length, 'path')} refused`;
  if (dryRun) summary += ' (dry run: nothing was written)';
  lines.push('', `${summary}.`);
  return lines.join('\n');
}
