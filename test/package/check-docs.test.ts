// scripts/check-docs.mjs, the documented-exports rule, run on small packages laid out by the
// entry-point convention: what it reports, what it lets pass, and its exit status per mode.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDocs } from '../../scripts/check-docs.mjs';
import { useTempDirs } from '../support/tmp.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/check-docs.mjs', import.meta.url));
const makeTemp = useTempDirs();

async function fixture(files: Record<string, string>): Promise<string> {
  const root = await makeTemp();
  const pkg = {
    name: 'fixture',
    exports: {
      '.': { import: { types: './dist/index.d.ts', default: './dist/index.js' } },
      './sub': { import: { types: './dist/sub/index.d.ts', default: './dist/sub/index.js' } },
      './package.json': './package.json',
    },
  };
  writeFileSync(join(root, 'package.json'), JSON.stringify(pkg));
  for (const [path, text] of Object.entries({ 'dist/sub/index.d.ts': 'export {};\n', ...files })) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

interface Result {
  status: number;
  out: string;
}

function check(root: string, mode: 'check' | 'report' | 'if-enabled' = 'check', enabled = false): Result {
  const { output, exitCode } = checkDocs({ root, mode, enabled });
  return { status: exitCode, out: output };
}

/** The command itself, in a child process: arguments, HARDFS_CHECK_DOCS, exit status. */
function command(root: string, args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SCRIPT, ...args],
      { encoding: 'utf8', env: { ...process.env, HARDFS_CHECK_DOCS: '', ...env, HARDFS_PACKAGE_ROOT: root } },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
        resolve({ status: code, out: stdout + stderr });
      },
    );
  });
}

const DOCUMENTED = `/**
 * Opens it.
 * @example openDir()
 */
export declare function openDir(): void;
/** A thing. */
export declare class Thing {
  private secret;
  /** Says ok. */
  ok(): void;
  /** Its size. */
  get size(): number;
}
/** Options. */
export interface Options {
  /** How many. */
  count?: number;
}
/** Codes. */
export declare const CODES: readonly ["EA", "EB"];
`;

const PROBLEMS = `${DOCUMENTED}
export declare function bare(): void;
/** Documented class, undocumented members. */
export declare class Store {
  private hidden;
  load(): void;
  get path(): string;
  static open(): Store;
}
/** Options. */
export interface MoreOptions {
  /** Documented. */
  a?: number;
  b?: string;
}
/** Shape. */
export type Shape = {
  x: number;
  /** y. */
  y: number;
};
/** Opens the other. */
export declare function openSessionStore(): void;
interface Hidden { x: number }
/** Uses Hidden. */
export declare function usesHidden(): Hidden;
/** Marked. @internal */
export declare const marked: number;
/** Leaks by name. */
export interface PinnedState {
  /** p. */
  p: number;
}
// As in a bundled declaration file: an export list, so that what it does not name is not
// exported (without one, every top-level declaration of a .d.ts module is).
export {};
`;

// Each run builds a TypeScript program: they run once, and the tests read them.
const runs: Record<string, Result> = {};
beforeAll(async () => {
  const clean = await fixture({ 'dist/index.d.ts': DOCUMENTED });
  const problems = await fixture({ 'dist/index.d.ts': PROBLEMS, 'dist/sub/index.d.ts': "export { bare } from '../index.js';\n" });
  const broken = await fixture({ 'dist/index.d.ts': `${DOCUMENTED}/** Broken. */\nexport declare function broken(): MissingType;\n` });
  const unbuilt = await fixture({});
  const commandRun = command(problems, ['--if-enabled'], { HARDFS_CHECK_DOCS: '1' });
  runs['clean'] = check(clean);
  runs['problems'] = check(problems);
  runs['report'] = check(problems, 'report');
  runs['gatedOff'] = check(problems, 'if-enabled', false);
  runs['broken'] = check(broken, 'if-enabled', false);
  runs['unbuilt'] = check(unbuilt);
  runs['gatedOn'] = await commandRun;
}, 180_000);

function run(name: string): Result {
  const result = runs[name];
  if (!result) throw new Error(`no run ${name}`);
  return result;
}

describe('check-docs', () => {
  it('passes a package whose every export and public member has TSDoc', () => {
    expect(run('clean').out).toContain('0 without TSDoc, 0 without a required @example, 0 internal-type leaks');
    expect(run('clean').status).toBe(0);
  });

  it('names each undocumented export and public member, once, with its kind', () => {
    const { out, status } = run('problems');
    expect(status).toBe(1);
    for (const line of [
      'bare (function) has no TSDoc',
      'Store.load (method) has no TSDoc',
      'Store.path (accessor) has no TSDoc',
      'Store.open (method) has no TSDoc',
      'MoreOptions.b (property) has no TSDoc',
      'Shape.x (property) has no TSDoc',
    ]) {
      expect(out).toContain(line);
    }
    expect(out.split('bare (function) has no TSDoc').length - 1).toBe(1);
    expect(out).not.toContain('Store.hidden');
    expect(out).not.toContain('MoreOptions.a ');
    expect(out).not.toContain('Shape.y ');
    expect(out).toContain('6 without TSDoc');
  });

  it('requires @example where NEEDS_EXAMPLE asks for it', () => {
    expect(run('problems').out).toContain('openSessionStore (function) has no @example');
    expect(run('clean').out).not.toContain('openDir (function) has no @example');
  });

  it('fails on internal types: @internal text, a deny-listed name, a used but unexported declaration', () => {
    const { out } = run('problems');
    expect(out).toContain('Hidden is in the public types but no entry point exports it');
    expect(out).toContain('`@internal` in the declarations');
    expect(out).toContain('internal name PinnedState');
    expect(run('clean').out).toContain('0 internal-type leaks');
  });

  it('--report lists the problems grouped by file and exits 0', () => {
    expect(run('report').out).toMatch(/dist\/index\.d\.ts \(\d+\)/);
    expect(run('report').out).toContain('bare (function) has no TSDoc');
    expect(run('report').status).toBe(0);
  });

  it('--if-enabled only counts unless HARDFS_CHECK_DOCS=1 (the command, in a child process)', () => {
    expect(run('gatedOff').out).toContain('6 without TSDoc');
    expect(run('gatedOff').out).toContain('not enforced');
    expect(run('gatedOff').status).toBe(0);
    expect(run('gatedOn').out).toContain('bare (function) has no TSDoc');
    expect(run('gatedOn').status).toBe(1);
  });

  it('fails in every mode when the built declarations do not type-check', () => {
    expect(run('broken').out).toContain("Cannot find name 'MissingType'");
    expect(run('broken').out).toContain('do not type-check');
    expect(run('broken').status).toBe(1);
  });

  it('asks for a build when an entry point has no declarations', () => {
    expect(run('unbuilt').out).toContain('./dist/index.d.ts missing: run npm run build first');
    expect(run('unbuilt').status).toBe(1);
  });
});
