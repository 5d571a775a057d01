import { basename, dirname, relative } from 'node:path';
import { openDir } from '../index.js';
import { listAgentSessionDirs, migrateSessionStoreToDirectory, type MigrationResult } from '../session-store/index.js';
import { parseCommandArgs } from './args.js';
import { EXIT_FINDINGS, EXIT_OK } from './exit-codes.js';
import { plural } from './findings.js';
import { commandHelp } from './help.js';
import { describeError, errorLine, formatTable, printable, reportFatal, writeJson, writeOut, type ErrorInfo } from './output.js';
import { REPORTING_POLICY } from './policy.js';
import { ProgressBar } from './progress.js';
import { namesStore, resolveStorePath } from './store-path.js';

const SPEC = {
  command: 'sessions migrate',
  flags: ['json', 'dry-run'],
  positionals: ['store.json | stateDir'],
  required: 1,
} as const;

export type MigrateStatus = 'migrated' | 'dry-run' | 'nothing-to-migrate' | 'not-migrated' | 'failed';

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
  error: ErrorInfo | null;
  warnings: string[];
}

interface Target {
  storePath: string;
  agentId: string | null;
}

export async function runSessionsMigrate(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(SPEC, argv);
  if (args.help) {
    writeOut(commandHelp('sessions migrate'));
    return EXIT_OK;
  }
  const argument = args.positionals[0] ?? '';
  const { json } = args.flags;
  const dryRun = args.flags['dry-run'];
  const singleStore = namesStore(argument);
  const targets: Target[] = [];
  const refused: { path: string; reason: string }[] = [];
  let root: string;
  try {
    if (singleStore) {
      const storePath = resolveStorePath(argument);
      root = storePath;
      // The directory the store lives in must be usable at all; anything past that is the
      // store's own failure, reported per store.
      await (await openDir(dirname(storePath))).close();
      targets.push({ storePath, agentId: null });
    } else {
      const stateDir = await openDir(argument, REPORTING_POLICY);
      root = stateDir.path;
      await stateDir.close();
      const found = await listAgentSessionDirs(root, { onSkipped: (path, reason) => refused.push({ path, reason }) });
      for (const agent of found) targets.push({ storePath: agent.storePath, agentId: agent.agentId });
    }
  } catch (error) {
    return reportFatal('sessions migrate', `cannot migrate ${argument}`, error, json);
  }
  const stores: StoreMigration[] = [];
  for (const target of targets) stores.push(await migrateOne(target, dryRun));
  const ok = refused.length === 0 && stores.every((store) => store.status !== 'failed' && store.status !== 'not-migrated');
  if (json) {
    writeJson({ command: 'sessions migrate', target: root, dryRun, ok, stores, refused });
  } else {
    writeOut(renderMigration(root, singleStore, dryRun, stores, refused));
  }
  return ok ? EXIT_OK : EXIT_FINDINGS;
}

async function migrateOne(target: Target, dryRun: boolean): Promise<StoreMigration> {
  const warnings: string[] = [];
  const progress = new ProgressBar(process.stderr, { label: target.agentId ?? basename(target.storePath) });
  const base: StoreMigration = {
    storePath: target.storePath,
    agentId: target.agentId,
    status: 'failed',
    entries: 0,
    skipped: [],
    backupPath: null,
    mode: null,
    reason: null,
    error: null,
    warnings,
  };
  try {
    const result = await migrateSessionStoreToDirectory(target.storePath, {
      dryRun,
      // The bar goes to stderr (and only on a terminal): --json's stdout stays one document.
      onProgress: (done, total) => {
        progress.update(done, total);
      },
      logger: { warn: (message, details) => warnings.push(details ? `${message} ${JSON.stringify(details)}` : message) },
    });
    return { ...base, ...fromResult(result, dryRun) };
  } catch (error) {
    return { ...base, status: 'failed', error: describeError(error), reason: errorLine(error) };
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
  };
  if (result.migrated) return { ...common, status: 'migrated' };
  if (dryRun && result.mode !== undefined) return { ...common, status: 'dry-run' };
  if (result.reason === 'no legacy store file') return { ...common, status: 'nothing-to-migrate' };
  return { ...common, status: 'not-migrated' };
}

const STATUS_LABEL: Record<MigrateStatus, string> = {
  migrated: 'migrated',
  'dry-run': 'would migrate',
  'nothing-to-migrate': 'nothing to do',
  'not-migrated': 'left untouched',
  failed: 'FAILED',
};

function storeDetail(store: StoreMigration): string {
  switch (store.status) {
    case 'migrated':
      return `${store.mode ?? ''}; legacy file kept as ${basename(store.backupPath ?? '')}`;
    case 'dry-run':
      return store.mode === 'merge' ? 'would merge into the existing directory' : 'would stage and rename into place';
    default:
      return store.reason ?? '';
  }
}

function renderMigration(
  root: string,
  singleStore: boolean,
  dryRun: boolean,
  stores: readonly StoreMigration[],
  refused: readonly { path: string; reason: string }[],
): string {
  const lines: string[] = [];
  const shown = (storePath: string): string => (singleStore ? storePath : relative(root, storePath));
  if (stores.length === 0) {
    lines.push(`No agent session stores found under ${printable(root)}.`);
  } else {
    lines.push(
      formatTable(
        [{ header: 'STORE' }, { header: 'STATUS' }, { header: 'ENTRIES', align: 'right' }, { header: 'SKIPPED', align: 'right' }, { header: 'DETAIL' }],
        stores.map((store) => [shown(store.storePath), STATUS_LABEL[store.status], String(store.entries), String(store.skipped.length), storeDetail(store)]),
      ),
    );
  }
  const skipped = stores.flatMap((store) => store.skipped.map((skip) => [shown(store.storePath), JSON.stringify(skip.key), skip.reason]));
  if (skipped.length > 0) {
    lines.push('', 'Entries not migrated (still in the legacy file or its backup):');
    lines.push(formatTable([{ header: 'STORE' }, { header: 'KEY' }, { header: 'REASON' }], skipped));
  }
  if (refused.length > 0) {
    lines.push('', 'Refused (not followed, not migrated):');
    lines.push(formatTable([{ header: 'PATH' }, { header: 'REASON' }], refused.map((refusal) => [refusal.path, refusal.reason])));
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
