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
    usage: 'hardfs audit <dir> [--fix] [--json]',
    summary: 'Report symlinks, loose modes, foreign owners, hard links, crash leftovers and mismatched session files in a tree',
    example: 'hardfs audit ~/.openclaw --fix',
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
  special-file, migration-leftover, unreadable, too-deep
Notes (temp-file, lock: a write or lock in progress) do not change the exit status.

--fix removes group/other mode bits with fchmod on descriptors opened with O_NOFOLLOW (never
by path, never through a symlink) and deletes stale temp files. It leaves alone: files owned
by other users, hard-linked files, sticky directories, symlinks and their targets.

Exit status: 0 no problems (or all fixed), 1 problems remain, 2 usage error or <dir> cannot be
audited (missing, not a directory, a symlink).`,
  },
  {
    name: 'sessions migrate',
    usage: 'hardfs sessions migrate <store.json | stateDir> [--dry-run] [--json]',
    summary: 'Move legacy sessions.json stores into the one-file-per-session layout',
    example: 'hardfs sessions migrate ~/.openclaw --dry-run',
    details: `A path ending in .json (or .d) is one store; anything else is a state directory whose
agents/<agentId>/sessions/sessions.json stores are all migrated. Symlinked agent directories
are refused and reported. The legacy file is kept, byte-identical, as
sessions.json.bak.<timestamp>. --dry-run plans and reports without writing anything.

Exit status: 0 every store migrated or had nothing to migrate, 1 a store failed or was left
untouched, or an agent directory was refused, 2 usage error or the path cannot be opened.`,
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
  return `Usage: hardfs sessions <migrate|inspect|verify> ...\n\n${sessions
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
