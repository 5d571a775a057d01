import { isHardfsError } from '../index.js';
import { EXIT_USAGE } from './exit-codes.js';
import type { CliIo } from './io.js';

// Names on disk are attacker-controlled: control characters (a newline forging a table row, an
// escape sequence rewriting the terminal) and bidi overrides are shown escaped, never raw.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** A path: cut in the middle (with …) when the table is too wide. */
  truncate?: boolean;
  /** Free text: wrapped onto continuation lines when the table is too wide (last column only). */
  wrap?: boolean;
}

/** Terminal width tables are fitted to. */
export const TABLE_WIDTH = 80;
const MIN_PATH_WIDTH = 24;
/** Text columns keep at least this much room before paths are cut further. */
const MIN_WRAP_WIDTH = 30;

/** `text` cut to `width` characters by replacing its middle with an ellipsis. */
export function truncateMiddle(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return `${chars.slice(0, head).join('')}…${tail > 0 ? chars.slice(-tail).join('') : ''}`;
}

/** Lines of at most `width` characters, broken at spaces where possible. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (Array.from(rest).length > width) {
    const chars = Array.from(rest);
    const window = chars.slice(0, width + 1).join('');
    const space = window.lastIndexOf(' ');
    const cut = space > 0 ? space : chars.slice(0, width).join('').length;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines;
}

const widthOf = (text: string): number => Array.from(text).length;

/**
 * An aligned plain-text table: two spaces between columns, cells made printable, fitted to
 * `width` columns (default 80): path columns (`truncate`) are cut in the middle, then text
 * columns (`wrap`) are wrapped onto continuation lines. Machine-readable output is --json,
 * never this.
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], width = TABLE_WIDTH): string {
  const cells = rows.map((row) => columns.map((_, index) => printable(row[index] ?? '')));
  const widths = columns.map((column, index) => Math.max(column.header.length, ...cells.map((row) => widthOf(row[index] ?? ''))));
  const gaps = 2 * (columns.length - 1);
  const total = (): number => widths.reduce((sum, w) => sum + w, 0) + gaps;
  const floorOf = (index: number, min: number): number => Math.max(columns[index]?.header.length ?? 0, Math.min(min, widths[index] ?? 0));
  const wrapSlack = (): number =>
    columns.reduce((sum, column, index) => sum + (column.wrap === true ? (widths[index] ?? 0) - floorOf(index, MIN_WRAP_WIDTH) : 0), 0);
  // Paths first, down to a readable minimum, widest first, as far as the text columns cannot absorb.
  for (;;) {
    const excess = total() - width - wrapSlack();
    if (excess <= 0) break;
    let widest = -1;
    for (const [index, column] of columns.entries()) {
      if (column.truncate !== true || (widths[index] ?? 0) <= floorOf(index, MIN_PATH_WIDTH)) continue;
      if (widest < 0 || (widths[index] ?? 0) > (widths[widest] ?? 0)) widest = index;
    }
    if (widest < 0) break;
    widths[widest] = Math.max(floorOf(widest, MIN_PATH_WIDTH), (widths[widest] ?? 0) - excess);
  }
  // Then the text columns, in proportion to what each can give.
  let excess = total() - width;
  const slack = wrapSlack();
  if (excess > 0 && slack > 0) {
    for (const [index, column] of columns.entries()) {
      if (column.wrap !== true || excess <= 0) continue;
      const own = (widths[index] ?? 0) - floorOf(index, MIN_WRAP_WIDTH);
      const give = Math.min(excess, own, Math.ceil((own * (total() - width)) / slack));
      widths[index] = (widths[index] ?? 0) - give;
      excess -= give;
    }
  }
  // Still too wide (a long path column that cannot be cut): the text columns give more.
  for (let guard = 0; total() > width && guard < 1000; guard += 1) {
    let widest = -1;
    for (const [index, column] of columns.entries()) {
      if (column.wrap === true && (widths[index] ?? 0) > 12 && (widest < 0 || (widths[index] ?? 0) > (widths[widest] ?? 0))) widest = index;
    }
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  const render = (row: readonly string[]): string[] => {
    const parts = row.map((cell, index) => {
      const column = columns[index];
      const w = widths[index] ?? 0;
      if (column?.truncate === true) return [truncateMiddle(cell, w)];
      if (column?.wrap === true) return wrapText(cell, w);
      return [cell];
    });
    const height = Math.max(...parts.map((part) => part.length));
    const lines: string[] = [];
    for (let line = 0; line < height; line += 1) {
      const text = parts
        .map((part, index) => {
          const cell = part[line] ?? '';
          const fill = ' '.repeat(Math.max(0, (widths[index] ?? 0) - widthOf(cell)));
          return columns[index]?.align === 'right' ? fill + cell : cell + fill;
        })
        .join('  ')
        .trimEnd();
      lines.push(text);
    }
    return lines;
  };
  return [render(columns.map((column) => column.header)), ...cells.map(render)].flat().join('\n');
}

/** `text` on the command's stdout, as one line or more ending in a newline. */
export function writeOut(io: CliIo, text: string): void {
  io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** `text` on the command's stderr, as one line or more ending in a newline. */
export function writeErr(io: CliIo, text: string): void {
  io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * The single JSON document a command prints with --json. The characters printable() escapes
 * can only occur inside JSON strings, where \uXXXX means the same: the document parses to the
 * same value and is safe on a terminal.
 */
export function writeJson(io: CliIo, document: unknown): void {
  const text = JSON.stringify(document, null, 2);
  // Pretty-printing's own newlines are the only raw control characters outside strings.
  io.stdout.write(`${text.split('\n').map(printable).join('\n')}\n`);
}

export interface ErrorInfo {
  code: string | null;
  message: string;
  path: string | null;
}

/** Code, message and path of any error: HardfsError, a native fs error, or anything else. */
export function describeError(error: unknown): ErrorInfo {
  if (isHardfsError(error)) return { code: error.code, message: error.message, path: error.path ?? null };
  if (error instanceof Error) {
    const { code, path } = error as Error & { code?: unknown; path?: unknown };
    return {
      code: typeof code === 'string' ? code : null,
      message: error.message,
      path: typeof path === 'string' ? path : null,
    };
  }
  return { code: null, message: String(error), path: null };
}

/**
 * One line naming the code and the path. HardfsError messages already read
 * "CODE: what: path" and native fs messages "CODE: what, syscall 'path'"; anything else gets
 * its code and path added.
 */
export function errorLine(error: unknown): string {
  const info = describeError(error);
  let line = info.message;
  if (info.code !== null) {
    // Exactly one code prefix, however many layers added theirs.
    const prefix = `${info.code}: `;
    while (line.startsWith(prefix + prefix)) line = line.slice(prefix.length);
    if (!line.startsWith(`${info.code}:`)) line = `${prefix}${line}`;
  }
  if (info.path !== null && !line.includes(info.path)) line = `${line}: ${info.path}`;
  return printable(line.split('\n')[0] ?? '');
}

/**
 * What resolves a refusal, by its code (and, for EINSECURE, what was insecure): every refusal
 * line a command prints ends with one.
 */
export function hintFor(error: unknown): string {
  const info = describeError(error);
  const path = info.path ?? '<path>';
  switch (info.code) {
    case 'ENOENT':
      return 'check the path: it does not exist';
    case 'ENOTDIR':
      return 'give a directory, or a store by its .json path';
    case 'ESYMLINK':
      return 'give the real path: hardfs never follows a symlink there';
    case 'EINSECURE':
      if (/not owned by the store's owner/.test(info.message)) return 'another user made this file: find out who and why, then remove it as root or as its owner';
      if (/owned by uid/.test(info.message)) return `run as the owner of ${path}, or chown it to the user who runs the store`;
      if (/writable/.test(info.message)) return `remove group/other write access (chmod go-w ${path}); 'hardfs audit --fix' does it for files and directories you own`;
      return `move away what is at ${path}: a regular file (or directory) is expected there`;
    case 'EACCES':
    case 'EPERM':
      return `run as the owner of ${path}`;
    case 'ECORRUPT':
      return 'the file is left untouched: inspect it, repair or move it away, then run again';
    case 'ETOOBIG':
      return /legacy/.test(info.message) ? 'raise the bound with --max-legacy-bytes <bytes>' : 'the file is over the size bound: inspect it';
    case 'ELOCKED':
      return 'another process holds the lock: let it finish, then run again';
    case 'EBADNAME':
      return 'name the store by its .json path (e.g. …/sessions/sessions.json)';
    case 'ENAMETOOLONG':
      return 'use a shorter store file name';
    default:
      return 'run again with --json for the full error';
  }
}

/** One refusal line: the error (code, message, path) and what resolves it. */
export function refusalLine(error: unknown): string {
  return `${errorLine(error)} (hint: ${printable(hintFor(error))})`;
}

/**
 * A command that cannot do its work at all: one line on stderr and, with --json, a JSON
 * document on stdout so that a consumer always gets one. Returns the exit status (2).
 */
export function reportFatal(io: CliIo, command: string, what: string, error: unknown, json: boolean): number {
  writeErr(io, `hardfs ${command}: ${printable(what)}: ${refusalLine(error)}`);
  if (json) writeJson(io, { command, ok: false, error: describeError(error), hint: hintFor(error) });
  return EXIT_USAGE;
}
