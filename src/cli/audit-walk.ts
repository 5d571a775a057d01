import type { Stats } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errnoCode, isHardfsError, isTempFileName, type DirEntry, type SafeDir } from '../index.js';
import { LOCKS_DIR, QUARANTINE_DIR, STAGING_SUFFIX, STAMP_FILE, isEntryFileName } from '../session-store/index.js';
import { fixDirectoryMode, fixFileMode, removeStaleTemp, type FixOutcome } from './audit-fix.js';
import { ENTRY_MAX_BYTES, checkEntryFile } from './entry-file.js';
import type { Finding, FindingKind, Severity } from './findings.js';
import { classifyLockFile, classifyMigrationLock, classifyMigrationLockName, classifyTempFile } from './leftovers.js';
import type { PathMatcher } from './glob.js';
import { currentUid, modeProblem, ownerProblem } from './modes.js';
import { errorLine } from './output.js';
import { REPORTING_POLICY } from './policy.js';

export interface AuditOptions {
  fix: boolean;
  /** With fix: judge and say what would be fixed, change nothing. */
  dryRun?: boolean;
  now?: number;
  /** Deeper directories are reported (too-deep), not descended. Default 256. */
  maxDepth?: number;
  /** Paths (relative to the root) neither checked nor descended. */
  exclude?: PathMatcher;
}

export interface AuditReport {
  root: string;
  /** Entries looked at, the root included. */
  checked: number;
  /** Entries skipped by --exclude (an excluded directory counts once). */
  excluded: number;
  findings: Finding[];
}

/** JSON files outside a known store directory are only read if this small (to spot stray entries). */
const PEEK_MAX_BYTES = 1024 * 1024;

interface Walk {
  fix: boolean;
  /** Whether fixes are applied (--fix without --dry-run). */
  apply: boolean;
  exclude: PathMatcher;
  excluded: number;
  now: number;
  maxDepth: number;
  uid: number | undefined;
  checked: number;
  findings: Finding[];
}

interface Place {
  dir: SafeDir;
  /** Path of `dir` relative to the audit root ("." for the root). */
  relative: string;
}

/** Where a file sits, which decides the store-specific checks. */
interface Surroundings {
  /** Names in the same directory. */
  siblings: ReadonlySet<string>;
  storeDir: boolean;
  locksDir: boolean;
  quarantineDir: boolean;
}

/**
 * Walks the tree under an open SafeDir. Descends only through openSubdir (O_NOFOLLOW pinned
 * handles): a symlink is reported and never followed, whatever it points to. Every check on a
 * directory uses the stats of the opened descriptor, so what is judged (and fixed) is what was
 * opened.
 */
export async function auditTree(root: SafeDir, options: AuditOptions): Promise<AuditReport> {
  const walk: Walk = {
    fix: options.fix,
    apply: options.fix && options.dryRun !== true,
    exclude: options.exclude ?? (() => false),
    excluded: 0,
    now: options.now ?? Date.now(),
    maxDepth: options.maxDepth ?? 256,
    uid: currentUid(),
    checked: 0,
    findings: [],
  };
  walk.checked += 1;
  await checkDirectorySelf(walk, { dir: root, relative: '.' }, root.path, await root.statSelf());
  await walkDirectory(walk, { dir: root, relative: '.' }, undefined, 0);
  return { root: root.path, checked: walk.checked, excluded: walk.excluded, findings: walk.findings };
}

function record(
  walk: Walk,
  path: string,
  relative: string,
  found: { kind: FindingKind; detail: string; severity?: Severity },
  fix?: FixOutcome,
): void {
  walk.findings.push({
    path,
    relativePath: relative,
    kind: found.kind,
    severity: found.severity ?? 'problem',
    detail: found.detail,
    fixable: fix?.fixable ?? false,
    fixed: fix?.fixed ?? false,
    // What --fix did (or, with --dry-run, would do); without --fix nothing was attempted.
    action: walk.fix ? (fix?.action ?? null) : null,
  });
}

function childRelative(parent: string, name: string): string {
  return parent === '.' ? name : join(parent, name);
}

function byName(a: DirEntry, b: DirEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

async function walkDirectory(walk: Walk, place: Place, siblings: ReadonlySet<string> | undefined, depth: number): Promise<void> {
  let entries: DirEntry[];
  try {
    entries = (await place.dir.entries()).sort(byName);
  } catch (error) {
    record(walk, place.dir.path, place.relative, { kind: 'unreadable', detail: `cannot list: ${errorLine(error)}` });
    return;
  }
  const names = new Set(entries.map((entry) => entry.name));
  const ownName = basename(place.dir.path);
  const around: Surroundings = {
    siblings: names,
    storeDir: looksLikeStoreDir(ownName, siblings, names),
    locksDir: ownName === LOCKS_DIR,
    quarantineDir: ownName === QUARANTINE_DIR,
  };
  for (const entry of entries) {
    const path = join(place.dir.path, entry.name);
    const relative = childRelative(place.relative, entry.name);
    if (walk.exclude(relative)) {
      walk.excluded += 1;
      continue;
    }
    walk.checked += 1;
    let stats: Stats;
    try {
      stats = await place.dir.lstat(entry.name);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') {
        // A name that is not valid UTF-8 comes back from readdir with U+FFFD and cannot be named
        // again; any other vanished name was removed while we walked.
        if (entry.name.includes('\uFFFD')) {
          record(walk, path, relative, { kind: 'unreadable', detail: 'name is not valid UTF-8: it cannot be checked (rename it by hand)' });
        }
        continue;
      }
      record(walk, path, relative, { kind: 'unreadable', detail: errorLine(error) });
      continue;
    }
    if (stats.isSymbolicLink()) {
      record(walk, path, relative, { kind: 'symlink', detail: await symlinkDetail(path) });
    } else if (stats.isDirectory()) {
      await auditSubdirectory(walk, place, entry.name, names, depth);
    } else if (stats.isFile()) {
      await auditFile(walk, place, entry.name, stats, around);
    } else {
      record(walk, path, relative, { kind: 'special-file', detail: `${specialType(stats)}: not expected in a state directory` });
      const owner = ownerProblem(stats, walk.uid);
      if (owner) record(walk, path, relative, owner);
    }
  }
}

async function auditSubdirectory(walk: Walk, place: Place, name: string, siblings: ReadonlySet<string>, depth: number): Promise<void> {
  const path = join(place.dir.path, name);
  const relative = childRelative(place.relative, name);
  let child: SafeDir;
  try {
    child = await place.dir.openSubdir(name, REPORTING_POLICY);
  } catch (error) {
    // Swapped for a symlink between the lstat and the open: openSubdir refused to follow it.
    if (isHardfsError(error, 'ESYMLINK')) {
      record(walk, path, relative, { kind: 'symlink', detail: await symlinkDetail(path) });
    } else if (errnoCode(error) !== 'ENOENT') {
      record(walk, path, relative, { kind: 'unreadable', detail: `cannot open: ${errorLine(error)}` });
    }
    return;
  }
  try {
    const childPlace = { dir: child, relative };
    await checkDirectorySelf(walk, childPlace, path, await child.statSelf());
    if (name.endsWith(STAGING_SUFFIX)) {
      const store = `${name.slice(0, -STAGING_SUFFIX.length)}.json`;
      record(walk, path, relative, {
        kind: 'migration-leftover',
        detail:
          `staging directory of an interrupted migration: the next open of the store, or 'hardfs sessions migrate ${store}', ` +
          'discards it and finishes the migration; do not copy anything out of it',
      });
    }
    if (depth + 1 >= walk.maxDepth) {
      record(walk, path, relative, { kind: 'too-deep', detail: `deeper than ${walk.maxDepth} levels: not descended` });
      return;
    }
    await walkDirectory(walk, childPlace, siblings, depth + 1);
  } finally {
    await child.close();
  }
}

async function checkDirectorySelf(walk: Walk, place: Place, path: string, stats: Stats): Promise<void> {
  const owner = ownerProblem(stats, walk.uid);
  if (owner) record(walk, path, place.relative, owner);
  const mode = modeProblem(stats, true);
  if (mode) {
    record(walk, path, place.relative, mode, await fixDirectoryMode(place.dir, stats, walk.uid, { apply: walk.apply }));
  }
}

async function auditFile(walk: Walk, place: Place, name: string, stats: Stats, around: Surroundings): Promise<void> {
  const path = join(place.dir.path, name);
  const relative = childRelative(place.relative, name);
  const owner = ownerProblem(stats, walk.uid);
  if (owner) record(walk, path, relative, owner);
  const mode = modeProblem(stats, false);
  if (mode) {
    record(walk, path, relative, mode, await fixFileMode(place.dir, name, stats, walk.uid, { apply: walk.apply }));
  }
  if (stats.nlink > 1) {
    record(walk, path, relative, {
      kind: 'hardlink',
      detail: `${stats.nlink} hard links: the same file is reachable under other names, possibly outside this tree`,
    });
  }
  if (isTempFileName(name)) {
    const temp = classifyTempFile(stats, walk.now);
    record(walk, path, relative, temp, temp.kind === 'stale-temp' ? await removeStaleTemp(place.dir, name, stats, { apply: walk.apply }) : undefined);
    return;
  }
  const migrationLock = classifyMigrationLockName(name);
  if (migrationLock !== undefined && !around.locksDir && besideAStore(name, migrationLock, around.siblings)) {
    record(walk, path, relative, await classifyMigrationLock(place.dir, name, stats, walk.now, migrationLock));
    return;
  }
  if (around.locksDir && name.endsWith('.lock')) {
    record(walk, path, relative, await classifyLockFile(place.dir, name, stats, walk.now));
    return;
  }
  if (around.quarantineDir) {
    record(walk, path, relative, {
      kind: 'quarantined',
      detail: 'moved aside by the session store (unparseable or mismatched); inspect it, then delete it',
    });
    return;
  }
  if (isEntryFileName(name)) await auditEntryFile(walk, place, name, around.storeDir);
}

/**
 * In a store directory every *.json must be a valid record named after its key. Elsewhere a
 * *.json is only judged if it looks like a record (a stray or copied entry file).
 */
async function auditEntryFile(walk: Walk, place: Place, name: string, storeDir: boolean): Promise<void> {
  const path = join(place.dir.path, name);
  const relative = childRelative(place.relative, name);
  let bytes: Buffer;
  try {
    bytes = await place.dir.readFile(name, { maxBytes: storeDir ? ENTRY_MAX_BYTES : PEEK_MAX_BYTES });
  } catch (error) {
    if (storeDir && errnoCode(error) !== 'ENOENT') {
      record(walk, path, relative, { kind: 'corrupt-entry', detail: errorLine(error) });
    }
    return;
  }
  const check = checkEntryFile(bytes, name);
  if (check.status === 'ok' || check.status === 'tombstone' || (!storeDir && !check.recordShaped)) return;
  record(walk, path, relative, {
    kind: check.status === 'mismatch' ? 'name-mismatch' : 'corrupt-entry',
    detail: check.detail,
  });
}

/** A migration or legacy writer lock names a store that is (or was) there. */
function besideAStore(name: string, which: 'migration' | 'legacy-writer', siblings: ReadonlySet<string>): boolean {
  if (which === 'migration') return true; // `.<stem>.migrate.lock` is hardfs's own name
  const legacy = name.slice(0, -'.lock'.length);
  const stem = legacy.slice(0, -'.json'.length);
  if (siblings.has(legacy) || siblings.has(`${stem}.d`) || siblings.has(`${stem}${STAGING_SUFFIX}`)) return true;
  for (const sibling of siblings) if (sibling.startsWith(`${legacy}.bak.`)) return true;
  return false;
}

/**
 * A store directory: it has the store's stamp or locks directory, or it is `<stem>.d` beside
 * `<stem>.json` (or that file's migration backup).
 */
function looksLikeStoreDir(name: string, siblings: ReadonlySet<string> | undefined, children: ReadonlySet<string>): boolean {
  if (children.has(STAMP_FILE) || children.has(LOCKS_DIR)) return true;
  if (siblings === undefined || !name.endsWith('.d') || name.length <= 2) return false;
  const legacy = `${name.slice(0, -2)}.json`;
  if (siblings.has(legacy)) return true;
  for (const sibling of siblings) if (sibling.startsWith(`${legacy}.bak.`)) return true;
  return false;
}

async function symlinkDetail(path: string): Promise<string> {
  try {
    // Display only: readlink reads the link itself and the result is never used as a path.
    return `symlink to ${JSON.stringify(await readlink(path))} (not followed)`;
  } catch {
    return 'symlink (not followed)';
  }
}

function specialType(stats: Stats): string {
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  return 'special file';
}
