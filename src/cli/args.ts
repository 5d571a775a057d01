import { parseArgs } from 'node:util';
import { printable } from './output.js';

/** Bad usage: the dispatcher prints it with a hint and exits 2. */
export class UsageError extends Error {
  /** The command whose --help the hint points to (empty for the top level). */
  readonly command: string;

  constructor(command: string, message: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

export interface CommandSpec<F extends string> {
  /** Command name as typed, e.g. "sessions verify" (for messages). */
  command: string;
  /** Boolean flags the command takes, besides --help. */
  flags: readonly F[];
  /** Names of the positional arguments, required first, for messages. */
  positionals: readonly string[];
  /** How many of them are required. */
  required: number;
  /** Options that take a value (`--name value` or `--name=value`); `multiple` ones may repeat. */
  values?: readonly ValueOption[];
}

export interface ValueOption {
  name: string;
  multiple?: boolean;
}

export interface ParsedCommand<F extends string> {
  help: boolean;
  flags: Record<F, boolean>;
  positionals: string[];
  /** Values of the value options given, each as a list (one element unless `multiple`). */
  values: Record<string, string[]>;
}

/**
 * node:util parseArgs, strict, booleans only, with messages an operator can act on. --help
 * wins over missing arguments, so `hardfs audit --help` works without a directory.
 */
export function parseCommandArgs<F extends string>(spec: CommandSpec<F>, argv: readonly string[]): ParsedCommand<F> {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const flag of spec.flags) options[flag] = { type: 'boolean' };
  for (const value of spec.values ?? []) options[value.name] = { type: 'string', multiple: value.multiple === true };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(spec.command, describeParseError(error, ['help', ...spec.flags, ...(spec.values ?? []).map((value) => value.name)]));
  }
  const values: Record<string, string[]> = {};
  for (const option of spec.values ?? []) {
    const given = parsed.values[option.name];
    if (typeof given === 'string') values[option.name] = [given];
    else if (Array.isArray(given)) values[option.name] = given.filter((item): item is string => typeof item === 'string');
  }
  const flags = {} as Record<F, boolean>;
  for (const flag of spec.flags) flags[flag] = parsed.values[flag] === true;
  const help = parsed.values['help'] === true;
  const positionals = parsed.positionals;
  if (!help) {
    if (positionals.length < spec.required) {
      throw new UsageError(spec.command, `missing ${spec.positionals.slice(positionals.length, spec.required).map((name) => `<${name}>`).join(' ')}`);
    }
    if (positionals.length > spec.positionals.length) {
      throw new UsageError(spec.command, `unexpected argument '${printable(positionals[spec.positionals.length] ?? '')}'`);
    }
  }
  return { help, flags, positionals, values };
}

function describeParseError(error: unknown, known: readonly string[]): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'([^']*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option !== undefined) {
    const suggestion = closest(option.replace(/^-+/, ''), known);
    return `unknown option '${printable(option)}'${suggestion === undefined ? '' : ` (did you mean --${suggestion}?)`}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== undefined) {
    const name = option.split(' ')[0] ?? option;
    return message.includes('argument missing')
      ? `option '${printable(name)}' needs a value`
      : `option '${printable(name)}' does not take a value`;
  }
  return printable(message.split('\n')[0] ?? message);
}

/** A non-negative integer option value, or a UsageError naming the option. */
export function integerOption(command: string, name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(command, `--${name} takes an integer of at least ${min}, got '${printable(value)}'`);
  }
  return Number(value);
}

/** The known word closest to `word` (edit distance at most 2), for "did you mean" hints. */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
