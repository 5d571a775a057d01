import { packageVersion } from './version.js';

export interface CommandHelp {
  name: string;
  usage: string;
  summary: string;
  example: string;
  details: string;
}

export const COMMANDS: readonly CommandHelp[] = [
  {
    name: 'audit',
    usage: 'hardfs audit <dir> [--fix [--dry-run]] [--exclude <glob>]... [--max-depth <n>] [--json]',
    summary: 'Report symlinks, loose modes, foreign owners, hard links, crash leftovers and mismatched session files in a tree',
    example: "hardfs audit ~/.openclaw --exclude workspace --fix --dry-run",
    details: `Walks <dir> without following symlinks (they are reported, never descended) and reports:
  symlink             a symlink anywhere in the tree
  insecure-dir        a directory writable by group/others without the sticky bit
  wide-mode           a file wider than 0600 or a directory wider than 0700
  not-owned           an entry not owned by the current user
  hardlink            a regular file with more than one link
  stale-temp          a hardfs temp file older than 60 s (crash leftover)
  stale-lock          a lock file in a .locks directory not refreshed for 60 s
  name-mismatch       a session file whose name is not the encoding of the key inside
  corrupt-entry       a session file that does not parse as a store record
  quarantined         a file the session store moved to .quarantine/
  migration-leftover  a staging directory, or a migration / legacy writer lock left beside a
                      store by an interrupted migration (the detail says what to do)
  special-file, unreadable, too-deep
Notes (temp-file, lock: a write or lock in progress) do not change the exit status.

--fix removes group/other mode bits with fchmod on descriptors opened with O_NOFOLLOW (never
by path, never through a symlink) and deletes stale temp files. It leaves alone: files owned
by other users, hard-linked files, sticky directories, symlinks and their targets.
--dry-run (with --fix) says what --fix would do and changes nothing. In --json, "fixable"
means "--fix would fix it", with or without --fix.
--exclude <glob> (repeatable) skips matching paths, not descending excluded directories: a
glob without '/' matches any name (node_modules, *.log), one with '/' the path below <dir>
(agents/*/workspace); '*' stays within a name, '**' crosses directories.
--max-depth <n> reports directories deeper than n levels (too-deep) instead of descending.

Exit status: 0 no problems (or all fixed), 1 problems remain, 2 usage error or <dir> cannot be
audited (missing, not a directory, a symlink).`,
  },
  {
    name: 'sessions migrate',
    usage: 'hardfs sessions migrate <store.json | stateDir> [--dry-run] [--keep-backups <n>] [--max-legacy-bytes <n>] [--json]',
    summary: 'Move legacy sessions.json stores into the one-file-per-session layout',
    example: 'hardfs sessions migrate ~/.openclaw --dry-run',
    details: `A path ending in .json (or .d) is one store; anything else is a state directory whose
agents/<agentId>/sessions/sessions.json stores are all migrated. Symlinked agent directories
are refused and reported, in both modes. The legacy file is kept, byte-identical, as
sessions.json.bak.<timestamp>; the newest --keep-backups of those (default 5) are kept.
The legacy writer's lock (sessions.json.lock) is held from the read to the backup.
A legacy file, lock or staging directory owned by another user is reported (NOT TRUSTED)
and left alone. --max-legacy-bytes raises the size bound (default 128 MiB).
--dry-run plans and reports without writing anything. Ctrl-C stops cleanly: it says what
state it left (the next run finishes it), removes its locks and exits 130.

Exit status: 0 every store migrated or had nothing to migrate, 1 a store failed, was left
untouched or not trusted, or an agent directory was refused, 2 usage error or the path
cannot be opened, 130 interrupted.`,
  },
  {
    name: 'sessions export',
    usage: 'hardfs sessions export <store.json> [--output <file>] [--json]',
    summary: 'Write a sessions.json equivalent of a store directory, for readers or as a rollback point',
    example: 'hardfs sessions export ~/.openclaw/agents/main/sessions/sessions.json --output /backup/main.json',
    details: `Reads sessions.d/ (never migrating it, changing no entry) and writes every entry, keyed as
stored, to <file> (default sessions.export.json beside the store) atomically: a temp file,
fsync, then a rename, so a reader sees the old file or the new one. The output is never the
legacy sessions.json itself: use rollback to restore the legacy layout.

Exit status: 0 written, 2 usage error or the store cannot be read.`,
  },
  {
    name: 'sessions rollback',
    usage: 'hardfs sessions rollback <store.json> [--json]',
    summary: 'Restore the legacy sessions.json layout from a store directory, losing nothing',
    example: 'hardfs sessions rollback ~/.openclaw/agents/main/sessions/sessions.json',
    details: `Writes sessions.json from sessions.d/, atomically, holding the migration lock and the
legacy writer's lock. Newest data wins: if a sessions.json is already there (a legacy writer
kept writing), each key keeps the entry with the newer updatedAt (ties go to the directory)
and keys only in that file are kept; that file is first copied, byte-identical, to
sessions.json.bak.<timestamp>. sessions.d/ is left where it is, as a backup, until you
remove it. Stop every hardfs user of the store first: opening it again with hardfs
migrates the restored file back.

Exit status: 0 restored, 2 usage error, the store cannot be read, or a file beside it is not
owned by you (left alone).`,
  },
  {
    name: 'sessions inspect',
    usage: 'hardfs sessions inspect <store.json> [key] [--json]',
    summary: 'List the keys of a store (updatedAt, size) or print one entry',
    example: 'hardfs sessions inspect ~/.openclaw/agents/main/sessions/sessions.json agent:main:chat-1',
    details: `Read-only: never migrates, creates, quarantines or deletes anything. Reads sessions.d/ when
it exists, the legacy sessions.json otherwise. The key is normalized as the store does
(trimmed, lower-cased).

Exit status: 0 shown, 1 no such key, 2 usage error or the store cannot be read.`,
  },
  {
    name: 'sessions verify',
    usage: 'hardfs sessions verify <store.json> [--json]',
    summary: 'Check every file of a store without changing anything',
    example: 'hardfs sessions verify ~/.openclaw/agents/main/sessions/sessions.json',
    details: `Checks that every entry parses and is named after its key, files are 0600 and directories
0700 and owned by the current user, there are no symlinks, stray temp files or unexpected
entries, the stamp is present and no migration is half done. Read-only: it moves, repairs
and deletes nothing (the store itself would quarantine bad files on load).

Exit status: 0 clean, 1 problems found, 2 usage error or the store cannot be read.`,
  },
];

export function commandHelp(name: string): string {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) return mainHelp();
  return `Usage: ${command.usage}\n\n${command.summary}.\n\n${command.details}\n\nExample:\n  ${command.example}\n`;
}

export function sessionsHelp(): string {
  const sessions = COMMANDS.filter((command) => command.name.startsWith('sessions '));
  return `Usage: hardfs sessions <migrate|inspect|verify|export|rollback> ...\n\n${sessions
    .map((command) => `  ${command.usage}\n      ${command.summary}\n      e.g. ${command.example}`)
    .join('\n')}\n`;
}

export function mainHelp(): string {
  return `hardfs ${packageVersion()}: audit and maintain state directories without being tricked by the filesystem

Usage: hardfs <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.usage}\n      ${command.summary}\n      e.g. ${command.example}`).join('\n')}

Options:
  --json         one JSON document on stdout instead of a table
  -h, --help     this help, or a command's: hardfs audit --help
  -V, --version  print the version

Exit status: 0 ok, 1 findings or problems, 2 usage error or a path that cannot be used.
`;
}
