import { HardfsError, errnoCode, openDir, parseJsonSafe, type SafeDir } from '../index.js';
// The migration's own owner-checked legacy reader: the CLI shows what migration would read.
import { readLegacyFile } from '../session-store/legacy-file.js';
import { defaultNormalizeKey, entryFileName, isEntryFileName, storeLayout, type StoreLayout } from '../session-store/index.js';
import { isoOrNull } from './age.js';
import { parseCommandArgs } from './args.js';
import { ENTRY_MAX_BYTES, checkEntryFile, isJsonObject } from './entry-file.js';
import { EXIT_FINDINGS, EXIT_OK } from './exit-codes.js';
import { plural } from './findings.js';
import { commandHelp } from './help.js';
import type { CliIo } from './io.js';
import { errorLine, formatTable, printable, reportFatal, writeErr, writeJson, writeOut } from './output.js';
import { resolveStorePath } from './store-path.js';

const SPEC = { command: 'sessions inspect', flags: ['json'], positionals: ['store.json', 'key'], required: 1 } as const;
const LEGACY_MAX_BYTES = 1024 * 1024 * 1024;

type Source = 'directory' | 'legacy';

interface Listed {
  key: string;
  updatedAt: string | null;
  size: number;
  rev: number | null;
  file: string;
}

interface Problem {
  file: string;
  detail: string;
}

interface Shown {
  key: string;
  file: string;
  rev: number | null;
  updatedAt: string | null;
  size: number;
  entry: Record<string, unknown>;
}

/**
 * Read-only by construction: the store is not opened (openSessionStore would migrate, create
 * sessions.d and quarantine bad files); the directory is read through pinned handles only.
 */
export async function runSessionsInspect(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(SPEC, argv);
  if (args.help) {
    writeOut(io, commandHelp('sessions inspect'));
    return EXIT_OK;
  }
  const { json } = args.flags;
  const [argument = '', key] = args.positionals;
  let layout: StoreLayout;
  let parent: SafeDir;
  try {
    layout = storeLayout(resolveStorePath(io, argument));
    // The store's own policy: if the store would refuse its directory, inspect says so too.
    parent = await openDir(layout.parentPath);
  } catch (error) {
    return reportFatal(io, 'sessions inspect', `cannot inspect ${argument}`, error, json);
  }
  try {
    const dir = await openStoreDir(parent, layout);
    try {
      const source: Source = dir === undefined ? 'legacy' : 'directory';
      const where = dir === undefined ? layout.storePath : dir.path;
      if (key !== undefined) {
        const shown = dir === undefined ? await legacyEntry(parent, layout, key) : await directoryEntry(dir, key);
        return printEntry(io, json, layout, source, where, key, shown);
      }
      const { rows, problems } = dir === undefined ? await listLegacy(parent, layout) : await listDirectory(dir);
      rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      if (json) {
        writeJson(io, { command: 'sessions inspect', storePath: layout.storePath, source, path: where, count: rows.length, entries: rows, problems });
      } else {
        writeOut(io, renderList(source, where, rows, problems));
      }
      return EXIT_OK;
    } finally {
      await dir?.close();
    }
  } catch (error) {
    return reportFatal(io, 'sessions inspect', `cannot inspect ${layout.storePath}`, error, json);
  } finally {
    await parent.close();
  }
}

async function openStoreDir(parent: SafeDir, layout: StoreLayout): Promise<SafeDir | undefined> {
  try {
    return await parent.openSubdir(layout.dirName);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  try {
    await parent.lstat(layout.legacyName);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      throw Object.assign(new Error(`ENOENT: no session store (neither ${layout.dirName} nor ${layout.legacyName})`), {
        code: 'ENOENT',
        path: layout.parentPath,
      });
    }
    throw error;
  }
  return undefined;
}

async function listDirectory(dir: SafeDir): Promise<{ rows: Listed[]; problems: Problem[] }> {
  const rows: Listed[] = [];
  const problems: Problem[] = [];
  for (const { name, type } of await dir.entries()) {
    if (!isEntryFileName(name)) continue;
    if (type !== 'file') {
      problems.push({ file: name, detail: `not a regular file (${type})` });
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = await dir.readFile(name, { maxBytes: ENTRY_MAX_BYTES });
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') problems.push({ file: name, detail: errorLine(error) });
      continue;
    }
    const check = checkEntryFile(bytes, name);
    if (check.status === 'ok') {
      rows.push({ key: check.key, updatedAt: isoOrNull(check.updatedAt), size: bytes.length, rev: check.rev, file: name });
    } else if (check.status !== 'tombstone') {
      problems.push({ file: name, detail: check.detail });
    }
  }
  return { rows, problems };
}

async function readLegacy(parent: SafeDir, layout: StoreLayout): Promise<Record<string, unknown>> {
  // As the migration reads it: a file another user made is not shown as this store's data.
  const read = await readLegacyFile(parent, layout, LEGACY_MAX_BYTES);
  if (read.kind === 'absent') {
    throw Object.assign(new Error(`ENOENT: no such file: ${layout.storePath}`), { code: 'ENOENT', path: layout.storePath });
  }
  if (read.kind === 'left-alone') {
    throw new HardfsError('EINSECURE', `legacy store ${read.leftAlone.reason}: not shown (the store never reads it)`, { path: layout.storePath });
  }
  const bytes = read.bytes;
  const parsed = parseJsonSafe(bytes, { maxBytes: LEGACY_MAX_BYTES });
  if (!isJsonObject(parsed)) {
    throw Object.assign(new Error('ECORRUPT: legacy store is not a JSON object'), { code: 'ECORRUPT', path: layout.storePath });
  }
  return parsed;
}

async function listLegacy(parent: SafeDir, layout: StoreLayout): Promise<{ rows: Listed[]; problems: Problem[] }> {
  const rows: Listed[] = [];
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(await readLegacy(parent, layout))) {
    if (!isJsonObject(value)) {
      problems.push({ file: layout.legacyName, detail: `key ${JSON.stringify(key)}: ${value === null ? 'null entry' : 'entry is not a JSON object'}` });
      continue;
    }
    rows.push({ key, updatedAt: isoOrNull(value['updatedAt']), size: Buffer.byteLength(JSON.stringify(value)), rev: null, file: layout.legacyName });
  }
  return { rows, problems };
}

async function directoryEntry(dir: SafeDir, rawKey: string): Promise<Shown | undefined> {
  const key = defaultNormalizeKey(rawKey);
  const file = entryFileName(key);
  let bytes: Buffer;
  try {
    bytes = await dir.readFile(file, { maxBytes: ENTRY_MAX_BYTES });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const check = checkEntryFile(bytes, file);
  if (check.status === 'tombstone') return undefined; // a delete cut short: no entry
  if (check.status !== 'ok') {
    throw Object.assign(new Error(`ECORRUPT: ${check.detail} (run hardfs sessions verify)`), { code: 'ECORRUPT', path: `${dir.path}/${file}` });
  }
  return { key: check.key, file, rev: check.rev, updatedAt: isoOrNull(check.updatedAt), size: bytes.length, entry: check.entry };
}

async function legacyEntry(parent: SafeDir, layout: StoreLayout, rawKey: string): Promise<Shown | undefined> {
  const legacy = await readLegacy(parent, layout);
  const normalized = defaultNormalizeKey(rawKey);
  // The exact key first; otherwise the case variant the migration would keep (newest updatedAt).
  let found = Object.hasOwn(legacy, rawKey) ? rawKey : undefined;
  if (found === undefined) {
    let newest = Number.NEGATIVE_INFINITY;
    for (const [key, value] of Object.entries(legacy)) {
      if (defaultNormalizeKey(key) !== normalized || !isJsonObject(value)) continue;
      const updatedAt = typeof value['updatedAt'] === 'number' ? value['updatedAt'] : Number.NEGATIVE_INFINITY;
      if (found === undefined || updatedAt > newest) {
        found = key;
        newest = updatedAt;
      }
    }
  }
  const value = found === undefined ? undefined : legacy[found];
  if (found === undefined || !isJsonObject(value)) return undefined;
  return { key: found, file: layout.legacyName, rev: null, updatedAt: isoOrNull(value['updatedAt']), size: Buffer.byteLength(JSON.stringify(value)), entry: value };
}

function printEntry(io: CliIo, json: boolean, layout: StoreLayout, source: Source, where: string, key: string, shown: Shown | undefined): number {
  if (shown === undefined) {
    writeErr(io, `hardfs sessions inspect: no entry for key ${printable(JSON.stringify(key))} in ${printable(where)}`);
    if (json) writeJson(io, { command: 'sessions inspect', storePath: layout.storePath, source, path: where, requestedKey: key, found: false });
    return EXIT_FINDINGS;
  }
  if (json) {
    writeJson(io, { command: 'sessions inspect', storePath: layout.storePath, source, path: where, requestedKey: key, found: true, ...shown });
  } else {
    writeOut(io, JSON.stringify(shown.entry, null, 2).split('\n').map(printable).join('\n'));
  }
  return EXIT_OK;
}

function renderList(source: Source, where: string, rows: readonly Listed[], problems: readonly Problem[]): string {
  const lines: string[] = [];
  if (rows.length > 0) {
    lines.push(
      formatTable(
        [{ header: 'KEY', truncate: true }, { header: 'UPDATED AT' }, { header: 'SIZE', align: 'right' }],
        rows.map((row) => [row.key, row.updatedAt ?? '-', String(row.size)]),
      ),
    );
  }
  lines.push(`${plural(rows.length, 'entry', 'entries')} in ${printable(where)}${source === 'legacy' ? ' (legacy file, not migrated yet)' : ''}.`);
  if (problems.length > 0) {
    lines.push('', `${plural(problems.length, 'file')} could not be shown (run hardfs sessions verify):`);
    lines.push(formatTable([{ header: 'FILE', truncate: true }, { header: 'PROBLEM', wrap: true }], problems.map((problem) => [problem.file, problem.detail])));
  }
  return lines.join('\n');
}
