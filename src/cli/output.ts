import { isHardfsError } from '../index.js';
import { EXIT_USAGE } from './exit-codes.js';

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
}

/** An aligned plain-text table: two spaces between columns, cells made printable. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => columns.map((_, index) => printable(row[index] ?? '')));
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((row) => (row[index] ?? '').length)),
  );
  const render = (row: readonly string[]): string =>
    row
      .map((cell, index) => {
        const width = widths[index] ?? 0;
        return columns[index]?.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [render(columns.map((column) => column.header)), ...cells.map(render)].join('\n');
}

export function writeOut(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function writeErr(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * The single JSON document a command prints with --json. The characters printable() escapes
 * can only occur inside JSON strings, where \uXXXX means the same: the document parses to the
 * same value and is safe on a terminal.
 */
export function writeJson(document: unknown): void {
  const text = JSON.stringify(document, null, 2);
  // Pretty-printing's own newlines are the only raw control characters outside strings.
  process.stdout.write(`${text.split('\n').map(printable).join('\n')}\n`);
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
  if (info.code !== null && !line.startsWith(`${info.code}:`)) line = `${info.code}: ${line}`;
  if (info.path !== null && !line.includes(info.path)) line = `${line}: ${info.path}`;
  return printable(line.split('\n')[0] ?? '');
}

/**
 * A command that cannot do its work at all: one line on stderr and, with --json, a JSON
 * document on stdout so that a consumer always gets one. Returns the exit status (2).
 */
export function reportFatal(command: string, what: string, error: unknown, json: boolean): number {
  writeErr(`hardfs ${command}: ${printable(what)}: ${errorLine(error)}`);
  if (json) writeJson({ command, ok: false, error: describeError(error) });
  return EXIT_USAGE;
}
