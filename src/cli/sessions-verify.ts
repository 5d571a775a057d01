import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, isHardfsError, isTempFileName, openDir, type SafeDir } from '../index.js';
import { LEGACY_CHANGES_FILE, LOCKS_DIR, QUARANTINE_DIR, SNAPSHOT_FILE, STAMP_FILE, isEntryFileName, storeLayout, type StoreLayout } from '../session-store/index.js';
import { openStore } from '../store/index.js';
// The migration's own legacy reader and option defaults: verify judges what migration would read.
import { DEFAULT_MAX_LEGACY_BYTES, planLegacyEntries, readLegacyFile } from '../session-store/legacy-file.js';
import { resolveStoreOptions } from '../session-store/options.js';
import { parseCommandArgs } from './args.js';
import { ENTRY_MAX_BYTES, checkEntryFile } from './entry-file.js';
import { EXIT_FINDINGS, EXIT_OK } from './exit-codes.js';
import { plural, summarize, type Finding, type FindingKind, type Severity } from './findings.js';
import { commandHelp } from './help.js';
import { classifyLockFile, classifyTempFile } from './leftovers.js';
import { currentUid, exactModeProblem, ownerProblem } from './modes.js';
import type { CliIo } from './io.js';
import { errorLine, formatTable, printable, reportFatal, writeJson, writeOut } from './output.js';
import { REPORTING_POLICY } from './policy.js';
import { resolveStorePath } from './store-path.js';

const SPEC = { command: 'sessions verify', flags: ['json'], positionals: ['store.json'], required: 1 } as const;

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

interface VerifyReport {
  storePath: string;
  directory: string;
  /** Whether `.snapshot` was compared with the entry files (by the store's own verify). */
  snapshotChecked: boolean;
  /** Names looked at. */
  checked: number;
  /** Entry files that parsed and matched their names. */
  entries: number;
  findings: Finding[];
}

interface Found {
  kind: FindingKind;
  detail: string;
  severity?: Severity;
}

/**
 * Everything the store checks when it loads, and the layout around it, reported without
 * changing anything: openSessionStore is not used because it migrates, creates directories,
 * removes stale temp files and quarantines bad entries. Directories are opened with the
 * reporting policy so that a loose one is reported rather than refused.
 */
class Verifier {
  readonly findings: Finding[] = [];
  checked = 0;
  entries = 0;
  readonly #parentPath: string;
  readonly #uid = currentUid();
  readonly #now = Date.now();

  constructor(parentPath: string) {
    this.#parentPath = parentPath;
  }

  add(path: string, found: Found | undefined): void {
    if (found === undefined) return;
    this.findings.push({
      path,
      relativePath: path.startsWith(`${this.#parentPath}/`) ? path.slice(this.#parentPath.length + 1) : path,
      kind: found.kind,
      severity: found.severity ?? 'problem',
      detail: found.detail,
      fixable: false,
      fixed: false,
      action: null,
    });
  }

  checkFile(path: string, stats: Stats): void {
    this.add(path, ownerProblem(stats, this.#uid));
    this.add(path, exactModeProblem(stats, FILE_MODE));
    if (stats.nlink > 1) this.add(path, { kind: 'hardlink', detail: `${stats.nlink} hard links: the file is reachable under other names` });
  }

  checkDirectory(path: string, stats: Stats): void {
    this.add(path, ownerProblem(stats, this.#uid));
    this.add(path, exactModeProblem(stats, DIR_MODE));
  }

  async verify(parent: SafeDir, layout: StoreLayout): Promise<string> {
    const dirPath = join(parent.path, layout.dirName);
    const dirStats = await statOrUndefined(parent, layout.dirName);
    const legacy = await statOrUndefined(parent, layout.legacyName);
    if ((await statOrUndefined(parent, layout.stagingName)) !== undefined) {
      this.add(join(parent.path, layout.stagingName), {
        kind: 'migration-leftover',
        detail: 'staging directory of an interrupted migration (the next open or migrate discards it)',
      });
    }
    if (legacy !== undefined) await this.#verifyLegacy(parent, layout);
    if (dirStats === undefined) {
      if (legacy === undefined) {
        throw Object.assign(new Error(`ENOENT: no session store (neither ${layout.dirName} nor ${layout.legacyName})`), {
          code: 'ENOENT',
          path: parent.path,
        });
      }
      this.add(layout.storePath, { kind: 'not-migrated', detail: `no ${layout.dirName} yet: run hardfs sessions migrate` });
      return dirPath;
    }
    if (legacy !== undefined) {
      this.add(layout.storePath, {
        kind: 'legacy-present',
        detail: `legacy file beside ${layout.dirName}: a migration did not finish (the next open or migrate merges it)`,
      });
    }
    if (dirStats.isSymbolicLink()) {
      this.add(dirPath, { kind: 'symlink', detail: 'the store directory is a symlink (not followed; the store refuses it)' });
      return dirPath;
    }
    if (!dirStats.isDirectory()) {
      this.add(dirPath, { kind: 'unexpected-entry', detail: 'the store directory is not a directory' });
      return dirPath;
    }
    const dir = await this.#openSubdir(parent, layout.dirName);
    if (dir === undefined) return dirPath;
    try {
      this.checkDirectory(dirPath, await dir.statSelf());
      await this.#verifyStoreDir(dir);
    } finally {
      await dir.close();
    }
    return dirPath;
  }

  /** The legacy file as the migration would read it: trusted, within the bound, parseable. */
  async #verifyLegacy(parent: SafeDir, layout: StoreLayout): Promise<void> {
    try {
      const read = await readLegacyFile(parent, layout, DEFAULT_MAX_LEGACY_BYTES);
      if (read.kind === 'left-alone') {
        this.add(layout.storePath, {
          kind: 'not-owned',
          detail: `legacy file ${read.leftAlone.reason}: the store never reads or migrates it; find out who made it`,
        });
      } else if (read.kind === 'read') {
        const plan = planLegacyEntries(read.bytes, layout, resolveStoreOptions({}));
        if (plan.empty !== undefined) {
          this.add(layout.storePath, { kind: 'corrupt-legacy', severity: 'note', detail: `${plan.empty}: the store opens without it and leaves it as it is` });
        }
      }
    } catch (error) {
      this.add(layout.storePath, {
        kind: 'corrupt-legacy',
        detail: `${errorLine(error)}: the migration refuses it and every open of the store fails until it is repaired or moved away`,
      });
    }
  }

  async #openSubdir(parent: SafeDir, name: string): Promise<SafeDir | undefined> {
    const path = join(parent.path, name);
    try {
      return await parent.openSubdir(name, REPORTING_POLICY);
    } catch (error) {
      if (isHardfsError(error, 'ESYMLINK')) this.add(path, { kind: 'symlink', detail: 'a symlink (not followed)' });
      else this.add(path, { kind: 'unreadable', detail: errorLine(error) });
      return undefined;
    }
  }

  async #verifyStoreDir(dir: SafeDir): Promise<void> {
    let stamp = false;
    const names = (await dir.list()).sort();
    for (const name of names) {
      const path = join(dir.path, name);
      const stats = await statOrUndefined(dir, name);
      if (stats === undefined) continue;
      this.checked += 1;
      if (stats.isSymbolicLink()) {
        this.add(path, { kind: 'symlink', detail: 'a symlink inside the store (the store never follows it)' });
      } else if (name === STAMP_FILE && stats.isFile()) {
        stamp = true;
        this.checkFile(path, stats);
      } else if (name === SNAPSHOT_FILE && stats.isFile()) {
        this.checkFile(path, stats); // a cache of the entries (see snapshot-file.ts)
      } else if ((name === LOCKS_DIR || name === QUARANTINE_DIR) && stats.isDirectory()) {
        await this.#verifySubdir(dir, name);
      } else if (name === LEGACY_CHANGES_FILE && stats.isFile()) {
        this.checkFile(path, stats);
        this.add(path, { kind: 'unexpected-entry', severity: 'note', detail: `the change log's old name: the next open renames it to ${STAMP_FILE}` });
      } else if (name.startsWith('.staged-') && stats.isFile()) {
        this.checkFile(path, stats);
        this.add(path, { kind: 'temp-file', severity: 'note', detail: 'staged file of a multi-key commit (in progress, or swept by the next open)' });
      } else if (isTempFileName(name) && stats.isFile()) {
        this.checkFile(path, stats);
        this.add(path, classifyTempFile(stats, this.#now));
      } else if (isEntryFileName(name) && stats.isFile()) {
        this.checkFile(path, stats);
        await this.#verifyEntry(dir, name);
      } else {
        this.add(path, {
          kind: 'unexpected-entry',
          detail: stats.isFile() ? 'not part of the store layout' : `not part of the store layout (${describeType(stats)})`,
        });
      }
    }
    if (!stamp) this.add(join(dir.path, STAMP_FILE), { kind: 'missing-stamp', detail: 'no coherence stamp (every open or commit writes one)' });
  }

  async #verifyEntry(dir: SafeDir, name: string): Promise<void> {
    const path = join(dir.path, name);
    let bytes: Buffer;
    try {
      bytes = await dir.readFile(name, { maxBytes: ENTRY_MAX_BYTES });
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') this.add(path, { kind: 'corrupt-entry', detail: errorLine(error) });
      return;
    }
    const check = checkEntryFile(bytes, name);
    if (check.status === 'ok') {
      this.entries += 1;
      return;
    }
    if (check.status === 'tombstone') {
      this.add(path, {
        kind: 'tombstone',
        severity: 'note',
        detail: 'a delete of an interrupted multi-key commit: reads as no entry; the next open completes or removes it',
      });
      return;
    }
    this.add(path, { kind: check.status === 'mismatch' ? 'name-mismatch' : 'corrupt-entry', detail: `${check.detail} (the store would quarantine it)` });
  }

  async #verifySubdir(dir: SafeDir, which: string): Promise<void> {
    const sub = await this.#openSubdir(dir, which);
    if (sub === undefined) return;
    try {
      this.checkDirectory(sub.path, await sub.statSelf());
      for (const name of (await sub.list()).sort()) {
        const path = join(sub.path, name);
        const stats = await statOrUndefined(sub, name);
        if (stats === undefined) continue;
        this.checked += 1;
        if (stats.isSymbolicLink()) {
          this.add(path, { kind: 'symlink', detail: 'a symlink inside the store (the store never follows it)' });
        } else if (which === QUARANTINE_DIR && stats.isFile()) {
          this.add(path, { kind: 'quarantined', detail: 'moved aside by the store (unparseable or mismatched); inspect it, then delete it' });
        } else if (which === LOCKS_DIR && stats.isFile() && name.endsWith('.txn')) {
          this.checkFile(path, stats);
          this.add(path, { kind: 'lock', severity: 'note', detail: 'intent of a multi-key commit: in progress, or cut short (the next open completes it)' });
        } else if (which === LOCKS_DIR && stats.isFile() && name.endsWith('.lock')) {
          this.checkFile(path, stats);
          this.add(path, await classifyLockFile(sub, name, stats, this.#now));
        } else {
          this.add(path, { kind: 'unexpected-entry', detail: `not part of the store layout (${describeType(stats)})` });
        }
      }
    } finally {
      await sub.close();
    }
  }
}

/**
 * `.snapshot` against the entry files, by the store's own verify (hardfs/store). Opening a
 * store can change things (a pending commit completed, stale temp files swept, a change log
 * created, a quarantine), so it runs only on a store whose layout checks found no problem and
 * that has a snapshot to compare: then an open changes nothing.
 */
async function compareSnapshot(verifier: Verifier, directory: string): Promise<boolean> {
  if (verifier.findings.some((finding) => finding.severity === 'problem' || finding.kind === 'tombstone')) return false;
  const parent = await openDir(directory, REPORTING_POLICY).catch(() => undefined);
  if (parent === undefined) return false;
  const hasSnapshot = (await statOrUndefined(parent, SNAPSHOT_FILE).finally(() => parent.close())) !== undefined;
  if (!hasSnapshot) return false;
  const store = await openStore(directory, { create: false, normalizeKey: (key) => key, logger: { warn: () => undefined } });
  try {
    const report = await store.verify();
    for (const problem of report.problems) {
      if (problem.kind === 'bad-entry-file') continue; // the layout checks report those
      verifier.add(join(directory, problem.file), {
        kind: 'snapshot-differs',
        detail: `${problem.kind}: ${problem.detail} (a cache: delete ${SNAPSHOT_FILE} and the next full load rewrites it)`,
      });
    }
    return report.snapshotChecked;
  } finally {
    await store.close();
  }
}

async function statOrUndefined(dir: SafeDir, name: string): Promise<Stats | undefined> {
  try {
    return await dir.lstat(name);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function describeType(stats: Stats): string {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  return 'device';
}

export async function runSessionsVerify(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(SPEC, argv);
  if (args.help) {
    writeOut(io, commandHelp('sessions verify'));
    return EXIT_OK;
  }
  const { json } = args.flags;
  const argument = args.positionals[0] ?? '';
  let layout: StoreLayout;
  let parent: SafeDir;
  try {
    layout = storeLayout(resolveStorePath(io, argument));
    parent = await openDir(layout.parentPath, REPORTING_POLICY);
  } catch (error) {
    return reportFatal(io, 'sessions verify', `cannot verify ${argument}`, error, json);
  }
  let report: VerifyReport;
  try {
    const verifier = new Verifier(parent.path);
    const directory = await verifier.verify(parent, layout);
    const snapshotChecked = await compareSnapshot(verifier, directory);
    report = { storePath: layout.storePath, directory, snapshotChecked, checked: verifier.checked, entries: verifier.entries, findings: verifier.findings };
  } catch (error) {
    return reportFatal(io, 'sessions verify', `cannot verify ${layout.storePath}`, error, json);
  } finally {
    await parent.close();
  }
  const summary = summarize(report.findings);
  if (json) {
    writeJson(io, { command: 'sessions verify', ...report, ok: summary.problems === 0, summary });
  } else {
    writeOut(io, renderVerify(report));
  }
  return summary.problems === 0 ? EXIT_OK : EXIT_FINDINGS;
}

function renderVerify(report: VerifyReport): string {
  const summary = summarize(report.findings);
  const lines = [`Verify of ${printable(report.directory)}`];
  if (report.findings.length > 0) {
    lines.push(
      formatTable(
        [{ header: 'PATH', truncate: true }, { header: 'KIND' }, { header: 'DETAIL', wrap: true }],
        report.findings.map((finding) => [finding.relativePath, finding.severity === 'note' ? `(${finding.kind})` : finding.kind, finding.detail]),
      ),
    );
  }
  let tally = `${plural(report.checked, 'name')} checked, ${plural(report.entries, 'valid entry', 'valid entries')}: `;
  tally += summary.problems === 0 ? 'no problems' : plural(summary.problems, 'problem');
  if (summary.notes > 0) tally += `, ${plural(summary.notes, 'note')}`;
  lines.push(`${tally}. Nothing was changed.`);
  return lines.join('\n');
}
