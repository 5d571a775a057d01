// Every operation of a root, as a runner of one PathCase: sets up what Go's test for that
// operation sets up, calls the operation with the case's path, and checks the effect on disk
// (or, for a failure, the code, the caller's path, and that nothing at all changed).
import { chmodSync, lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { expectedCode, type PathCase } from './cases.js';
import { baseDigest, digest, drain, expectCallerPath, expectFailure, expectRefusal, expectSuccess, outcomeOf, writeAll, type Outcome, type Policy, type Root } from './harness.js';

export interface PathCtx {
  base: string;
  root: string;
  dir: Root;
  c: PathCase;
  policy: Policy;
  /** The case's path with $ABS replaced. */
  open: string;
  label: string;
}

/** What an empty path may fail with: node:fs says ENOENT; a root may call it a bad name. */
const EMPTY_CODES = ['ENOENT', 'EBADNAME', 'EINVAL'];
const GID = 4242;

function abs(ctx: PathCtx, relative: string): string {
  return join(ctx.root, relative);
}

/** Where the operation should act (or what a leak would reach), absolute; undefined if nothing. */
function targetOf(ctx: PathCtx): string | undefined {
  const relative = ctx.c.target ?? ctx.c.decoy;
  return relative === undefined ? undefined : abs(ctx, relative);
}

function makeFile(path: string | undefined, content: string, mode = 0o644): void {
  if (path === undefined) return;
  try {
    writeFileSync(path, content, { mode });
    chmodSync(path, mode);
  } catch {
    // the case's tree already has a directory there (Go's "slash after symlink to dir")
  }
}

function makeDir(path: string | undefined, child?: string): void {
  if (path === undefined) return;
  try {
    mkdirSync(path, { mode: 0o755 });
    if (child !== undefined) writeFileSync(join(path, child), child, { mode: 0o644 });
  } catch {
    // already there
  }
}

interface Spec {
  kind: 'follow' | 'name';
  setup?: () => void;
  act: () => unknown;
  verify: (value: unknown) => void;
  /** Replaces the computed expectation: a code, a set of codes, or 'ok'. */
  expect?: string | readonly string[] | 'ok';
  /** The case path of a failure; defaults to the case's own path. */
  errorPath?: string | readonly string[];
  /** Accept success too (then `verify` runs), for cases the contract leaves open. */
  orSuccess?: boolean;
}

async function judge(ctx: PathCtx, spec: Spec): Promise<Outcome> {
  spec.setup?.();
  const before = baseDigest(ctx.base);
  const outsideBefore = digest(join(ctx.base, 'outside'));
  let wanted: string | readonly string[] | undefined;
  if (spec.expect !== undefined) wanted = spec.expect === 'ok' ? undefined : spec.expect;
  else if (ctx.c.empty) wanted = EMPTY_CODES;
  else wanted = expectedCode(ctx.c, ctx.policy, spec.kind);
  const outcome = await outcomeOf(spec.act);
  if (wanted !== undefined && !(spec.orSuccess && outcome.ok)) {
    expectRefusal(outcome, wanted, ctx.label);
    // An operation reported as failed has not taken effect, inside or outside.
    expect(baseDigest(ctx.base), `${ctx.label}: a failed operation changed the tree`).toEqual(before);
    if (!outcome.ok && outcome.error.code === 'ESYMLINK' && ctx.c.refuseAt !== undefined) {
      expect(outcome.error.message, `${ctx.label}: the refusal names the symlink component`).toContain(ctx.c.refuseAt);
    }
    expectCallerPath(outcome, { root: ctx.root, relative: spec.errorPath ?? ctx.open, label: ctx.label });
  } else {
    spec.verify(expectSuccess(outcome, ctx.label));
  }
  expect(digest(join(ctx.base, 'outside')), `${ctx.label}: something outside the root changed`).toEqual(outsideBefore);
  return outcome;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  throw new Error(`expected file content, got ${typeof value}`);
}

function linkIntact(ctx: PathCtx): void {
  // A write through a followed link lands on its target; the link itself stays a link.
  if (ctx.c.ltarget !== undefined) expect(lstatSync(abs(ctx, ctx.c.ltarget)).isSymbolicLink(), `${ctx.label}: the link was replaced`).toBe(true);
}

function gone(path: string, label: string): void {
  expect(() => lstatSync(path), `${label}: ${path} still exists`).toThrow(/ENOENT/);
}

type Runner = (ctx: PathCtx) => Promise<unknown>;

const readsContent = (read: (ctx: PathCtx) => unknown): Runner => (ctx) =>
  judge(ctx, {
    kind: 'follow',
    setup: () => makeFile(targetOf(ctx), 'target'),
    act: () => read(ctx),
    verify: (value) => expect(text(value)).toBe('target'),
  });

/**
 * Writes 'target' at the case's path. Atomic writes (temp file + rename) under 'refuse' replace
 * a final symlink with the new file instead of refusing: the name is what is replaced, the
 * link's target is never written (hardfs's long-standing rule for planted links, test/dir/
 * safe-dir.test.ts). Writes that open the file in place refuse the link.
 */
const writesContent = (write: (ctx: PathCtx) => unknown, options: { mkdirs?: boolean; atomic?: boolean; prepare?: (ctx: PathCtx) => void } = {}): Runner => (ctx) => {
  const missingParent = options.mkdirs === true && ctx.c.name === 'directory does not exist';
  const replacesLink = options.atomic === true && ctx.policy === 'refuse' && ctx.c.ltarget !== undefined && ctx.c.refuseAt === ctx.c.ltarget.split('/').pop();
  return judge(ctx, {
    kind: 'follow',
    setup: () => {
      options.prepare?.(ctx);
      // the decoy of an escaping case must survive the attempt untouched
      if (ctx.c.target === undefined) makeFile(targetOf(ctx), 'decoy');
    },
    act: () => write(ctx),
    ...(missingParent || replacesLink ? { expect: 'ok' as const } : {}),
    verify: () => {
      if (replacesLink) {
        const replaced = abs(ctx, ctx.c.ltarget as string);
        expect(lstatSync(replaced).isFile(), `${ctx.label}: the link was not replaced by a file`).toBe(true);
        expect(readFileSync(replaced, 'utf8')).toBe('target');
        if (ctx.c.target !== undefined) expect(() => lstatSync(abs(ctx, ctx.c.target as string)), `${ctx.label}: wrote through the link`).toThrow(/ENOENT/);
        return;
      }
      const where = missingParent ? abs(ctx, 'a/file') : (targetOf(ctx) as string);
      expect(readFileSync(where, 'utf8')).toBe('target');
      linkIntact(ctx);
    },
  });
};

const statsOf = (stat: (ctx: PathCtx) => unknown, kind: 'follow' | 'name'): Runner => (ctx) =>
  judge(ctx, {
    kind,
    setup: () => {
      if (kind === 'follow' || ctx.c.ltarget === undefined) makeFile(targetOf(ctx), 'content');
    },
    act: () => stat(ctx),
    verify: (value) => {
      const stats = value as { size: number; isSymbolicLink(): boolean; isFile(): boolean };
      if (kind === 'name' && ctx.c.ltarget !== undefined) expect(stats.isSymbolicLink()).toBe(true);
      else {
        expect(stats.isFile()).toBe(true);
        expect(stats.size).toBe('content'.length);
      }
    },
  });

const existence = (exists: (ctx: PathCtx) => unknown): Runner => async (ctx) => {
  makeFile(targetOf(ctx), 'content');
  const before = baseDigest(ctx.base);
  const code = ctx.c.empty ? 'EBADNAME' : expectedCode(ctx.c, ctx.policy, 'follow');
  const outcome = await outcomeOf(() => exists(ctx));
  if (code === undefined) expect(expectSuccess(outcome, ctx.label)).toBe(true);
  else if (code === 'ENOENT') expect(expectSuccess(outcome, ctx.label), `${ctx.label}: a missing path`).toBe(false);
  else if (outcome.ok) {
    // exists() never reports true for a path the root refuses to resolve
    expect(outcome.value, `${ctx.label}: exists() said true for a refused path`).toBe(false);
  } else expectFailure(outcome, code, { root: ctx.root, relative: ctx.open, label: ctx.label });
  expect(baseDigest(ctx.base)).toEqual(before);
  return outcome;
};

export const PATH_OPS: Readonly<Record<string, Runner>> = {
  readFile: readsContent((ctx) => ctx.dir.readFile(ctx.open)),
  readFileSync: readsContent((ctx) => ctx.dir.readFileSync(ctx.open)),
  open: readsContent(async (ctx) => {
    const handle = await ctx.dir.open(ctx.open, 'r');
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }),
  createReadStream: readsContent(async (ctx) => drain(await ctx.dir.createReadStream(ctx.open))),
  readdir: (ctx) =>
    judge(ctx, {
      kind: 'follow',
      setup: () => makeDir(targetOf(ctx), 'found'),
      act: () => ctx.dir.readdir(ctx.open),
      verify: (value) => expect(value).toEqual(['found']),
    }),
  stat: statsOf((ctx) => ctx.dir.stat(ctx.open), 'follow'),
  statSync: statsOf((ctx) => ctx.dir.statSync(ctx.open), 'follow'),
  lstat: statsOf((ctx) => ctx.dir.lstat(ctx.open), 'name'),
  lstatSync: statsOf((ctx) => ctx.dir.lstatSync(ctx.open), 'name'),
  access: (ctx) =>
    judge(ctx, { kind: 'follow', setup: () => makeFile(targetOf(ctx), 'content'), act: () => ctx.dir.access(ctx.open), verify: (value) => expect(value).toBeUndefined() }),
  exists: existence((ctx) => ctx.dir.exists(ctx.open)),
  existsSync: existence((ctx) => ctx.dir.existsSync(ctx.open)),
  openRoot: (ctx) =>
    judge(ctx, {
      kind: 'follow',
      setup: () => makeDir(targetOf(ctx), 'f'),
      act: async () => {
        const sub = await ctx.dir.openRoot(ctx.open);
        try {
          return await sub.readFile('f');
        } finally {
          await sub.close();
        }
      },
      verify: (value) => expect(text(value)).toBe('f'),
    }),
  chmod: (ctx) =>
    judge(ctx, {
      kind: 'follow',
      // no permissions at all: chmod must work on a file it could not open for reading or writing
      setup: () => makeFile(targetOf(ctx), '', 0o000),
      act: () => ctx.dir.chmod(ctx.open, 0o640),
      verify: () => expect(lstatSync(targetOf(ctx) as string).mode & 0o7777).toBe(0o640),
    }),
  chown: (ctx) =>
    judge(ctx, {
      kind: 'follow',
      setup: () => makeFile(targetOf(ctx), ''),
      act: () => ctx.dir.chown(ctx.open, process.getuid?.() ?? 0, GID),
      verify: () => expect(lstatSync(targetOf(ctx) as string).gid).toBe(GID),
    }),
  lchown: (ctx) =>
    judge(ctx, {
      kind: 'name',
      setup: () => {
        if (ctx.c.ltarget === undefined) makeFile(targetOf(ctx), '');
      },
      act: () => ctx.dir.lchown(ctx.open, process.getuid?.() ?? 0, GID),
      verify: () => expect(lstatSync(abs(ctx, ctx.c.ltarget ?? (ctx.c.target as string))).gid).toBe(GID),
    }),
  utimes: (ctx) =>
    judge(ctx, {
      kind: 'follow',
      setup: () => makeFile(targetOf(ctx), ''),
      act: () => ctx.dir.utimes(ctx.open, new Date(1_000_000_000_000), new Date(1_000_000_005_000)),
      verify: () => expect(lstatSync(targetOf(ctx) as string).mtimeMs).toBe(1_000_000_005_000),
    }),
  'copyFile-from': (ctx) =>
    judge(ctx, {
      kind: 'follow',
      setup: () => makeFile(targetOf(ctx), 'target'),
      act: () => ctx.dir.copyFile(ctx.open, 'copy-dst'),
      verify: () => expect(readFileSync(abs(ctx, 'copy-dst'), 'utf8')).toBe('target'),
    }),
  'copyFile-to': writesContent((ctx) => ctx.dir.copyFile('copy-src', ctx.open), { atomic: true, prepare: (ctx) => writeFileSync(abs(ctx, 'copy-src'), 'target') }),
  writeFile: writesContent((ctx) => ctx.dir.writeFile(ctx.open, 'target'), { atomic: true }),
  'writeFile-mkdirs': writesContent((ctx) => ctx.dir.writeFile(ctx.open, 'target', { mkdirs: true }), { mkdirs: true, atomic: true }),
  writeFileSync: writesContent((ctx) => ctx.dir.writeFileSync(ctx.open, 'target'), { atomic: true }),
  appendFile: writesContent((ctx) => ctx.dir.appendFile(ctx.open, 'target')),
  'open-w': writesContent(async (ctx) => {
    const handle = await ctx.dir.open(ctx.open, 'w');
    try {
      await handle.writeFile('target');
    } finally {
      await handle.close();
    }
  }),
  createWriteStream: writesContent(async (ctx) => writeAll(await ctx.dir.createWriteStream(ctx.open), 'target'), { atomic: true }),
  readlink: (ctx) =>
    judge(ctx, {
      kind: 'name',
      act: () => ctx.dir.readlink(ctx.open),
      // not a symlink (or absent): readlink fails; an absent final name is ENOENT
      ...(ctx.c.ltarget === undefined && !ctx.c.empty ? { expect: expectedCode(ctx.c, ctx.policy, 'name') ?? 'ENOENT' } : {}),
      verify: (value) => expect(value).toBe(readlinkSync(abs(ctx, ctx.c.ltarget as string))),
    }),
  unlink: (ctx) => removes(ctx, () => ctx.dir.unlink(ctx.open)),
  rm: (ctx) => removes(ctx, () => ctx.dir.rm(ctx.open)),
  'rm-rf': (ctx) => {
    const slashLink = ctx.c.name === 'slash after symlink to file' || ctx.c.name === 'slash after symlink to dir';
    const code = expectedCode(ctx.c, ctx.policy, 'name');
    const removesLink = ctx.c.ltarget !== undefined;
    return judge(ctx, {
      kind: 'name',
      setup: () => {
        if (!removesLink) makeDir(targetOf(ctx), 'file');
        if (ctx.c.empty) makeFile(abs(ctx, 'keep'), 'keep');
      },
      act: () => ctx.dir.rm(ctx.open, { recursive: true, force: true }),
      // force: nothing to remove is success; Go's RemoveAll("link/") removes the link itself,
      // a root may instead refuse the trailing slash through a link (either way nothing leaks)
      ...(code === 'ENOENT' ? { expect: 'ok' as const } : {}),
      ...(slashLink ? { expect: [code as string, 'ENOTDIR'], orSuccess: true } : {}),
      ...(ctx.c.empty ? { orSuccess: true } : {}),
      verify: () => {
        // an empty path never names the root for removal, let alone its contents
        if (ctx.c.empty) expect(readFileSync(abs(ctx, 'keep'), 'utf8')).toBe('keep');
        else if (slashLink || removesLink) gone(abs(ctx, ctx.c.ltarget ?? 'link'), ctx.label);
        else if (code !== 'ENOENT') gone(targetOf(ctx) as string, ctx.label);
        if (slashLink) expect(lstatSync(abs(ctx, 'target')).isSymbolicLink()).toBe(false);
      },
    });
  },
  rmdir: (ctx) =>
    judge(ctx, {
      kind: 'name',
      setup: () => {
        if (ctx.c.ltarget === undefined) makeDir(targetOf(ctx));
      },
      act: () => ctx.dir.rmdir(ctx.open),
      // rmdir never removes a symlink, whatever it points to
      ...(ctx.c.ltarget !== undefined ? { expect: 'ENOTDIR' } : trailingLink(ctx, ['ENOTDIR'])),
      verify: () => gone(targetOf(ctx) as string, ctx.label),
    }),
  mkdir: (ctx) =>
    judge(ctx, {
      kind: 'name',
      act: () => ctx.dir.mkdir(ctx.open),
      ...(ctx.c.ltarget !== undefined ? { expect: 'EEXIST' } : trailingLink(ctx, ['EEXIST'])),
      verify: () => expect(lstatSync(targetOf(ctx) as string).isDirectory()).toBe(true),
    }),
  'mkdir-recursive': (ctx) => {
    const missingParent = ctx.c.name === 'directory does not exist';
    return judge(ctx, {
      kind: 'name',
      act: () => ctx.dir.mkdir(ctx.open, { recursive: true }),
      // a final symlink: node says EEXIST; 'follow-within' may instead create the directory the
      // link names inside the root. Either way the link stays and nothing escapes.
      ...(ctx.c.ltarget !== undefined ? { expect: ['EEXIST', 'EESCAPE', 'ESYMLINK', 'ELOOP'], orSuccess: ctx.policy === 'follow-within' } : {}),
      ...(missingParent ? { expect: 'ok' as const } : {}),
      verify: (value) => {
        if (ctx.c.ltarget !== undefined) {
          linkIntact(ctx);
          expect(lstatSync(targetOf(ctx) as string).isDirectory()).toBe(true);
          return;
        }
        if (missingParent) {
          expect(lstatSync(abs(ctx, 'a/file')).isDirectory()).toBe(true);
          expect(value).toBe(abs(ctx, 'a'));
        } else {
          expect(lstatSync(targetOf(ctx) as string).isDirectory()).toBe(true);
          // like node: the first directory created, named by the caller's path
          expect([abs(ctx, ctx.open), abs(ctx, ctx.c.target as string)]).toContain(value);
        }
      },
    });
  },
  symlink: (ctx) =>
    judge(ctx, {
      kind: 'name',
      act: () => ctx.dir.symlink('linktarget', ctx.open),
      ...(ctx.c.ltarget !== undefined ? { expect: 'EEXIST' } : trailingLink(ctx, ['EEXIST'])),
      verify: () => expect(readlinkSync(targetOf(ctx) as string)).toBe('linktarget'),
    }),
  'rename-from': (ctx) => moves(ctx, 'rename'),
  'link-from': (ctx) => moves(ctx, 'link'),
  'rename-to': (ctx) => movesTo(ctx, 'rename'),
  'link-to': (ctx) => movesTo(ctx, 'link'),
};

/**
 * "link/" (a trailing slash after a symlink) resolves the link, as on POSIX and in Go: the
 * operation is refused like any followed escape; creating or removing a name there may also get
 * the kernel's own answer for a slash-terminated name. Never does it act on the link itself.
 */
function trailingLink(ctx: PathCtx, alsoCodes: readonly string[]): { expect: readonly string[] } | Record<string, never> {
  const code = expectedCode(ctx.c, ctx.policy, 'name');
  return /\/$/.test(ctx.c.open) && ctx.c.refuseAt !== undefined && code !== undefined ? { expect: [code, ...alsoCodes] } : {};
}

function removes(ctx: PathCtx, act: () => unknown): Promise<Outcome> {
  return judge(ctx, {
    kind: 'name',
    ...trailingLink(ctx, ['ENOTDIR', 'EISDIR']),
    setup: () => {
      if (ctx.c.ltarget === undefined) makeFile(targetOf(ctx), 'target');
    },
    act,
    verify: () => {
      if (ctx.c.ltarget !== undefined) gone(abs(ctx, ctx.c.ltarget), ctx.label);
      else gone(targetOf(ctx) as string, ctx.label);
    },
  });
}

function moves(ctx: PathCtx, how: 'rename' | 'link'): Promise<Outcome> {
  const linkText = ctx.c.ltarget === undefined ? undefined : (): string => readlinkSync(abs(ctx, ctx.c.ltarget as string));
  let before: string | undefined;
  return judge(ctx, {
    kind: 'name',
    setup: () => {
      if (ctx.c.ltarget === undefined) makeFile(targetOf(ctx), 'target');
      before = linkText?.();
    },
    act: () => (how === 'rename' ? ctx.dir.rename(ctx.open, 'destination') : ctx.dir.link(ctx.open, 'destination')),
    ...trailingLink(ctx, ['ENOTDIR', 'EISDIR']),
    verify: () => {
      const destination = abs(ctx, 'destination');
      const original = ctx.c.ltarget === undefined ? (targetOf(ctx) as string) : abs(ctx, ctx.c.ltarget);
      if (how === 'rename') gone(original, ctx.label);
      else expect(lstatSync(original).nlink).toBe(2);
      if (before !== undefined) expect(readlinkSync(destination)).toBe(before);
      else {
        expect(lstatSync(destination).isSymbolicLink()).toBe(false);
        expect(readFileSync(destination, 'utf8')).toBe('target');
      }
    },
  });
}

function movesTo(ctx: PathCtx, how: 'rename' | 'link'): Promise<Outcome> {
  return judge(ctx, {
    kind: 'name',
    setup: () => {
      writeFileSync(abs(ctx, 'source'), 'source', { mode: 0o644 });
      if (ctx.c.target === undefined) makeFile(targetOf(ctx), 'decoy');
    },
    act: () => (how === 'rename' ? ctx.dir.rename('source', ctx.open) : ctx.dir.link('source', ctx.open)),
    // a native error of a two-path call names its first path, as node's does (err.dest the other)
    errorPath: [ctx.open, 'source'],
    // rename replaces a final symlink itself; link never replaces anything
    ...(how === 'link' && ctx.c.ltarget !== undefined ? { expect: 'EEXIST' } : trailingLink(ctx, ['EEXIST', 'ENOTDIR', 'EISDIR'])),
    verify: () => {
      const landed = ctx.c.ltarget !== undefined ? abs(ctx, ctx.c.ltarget) : (targetOf(ctx) as string);
      expect(lstatSync(landed).isFile()).toBe(true);
      expect(readFileSync(landed, 'utf8')).toBe('source');
      if (how === 'rename') gone(abs(ctx, 'source'), ctx.label);
      else expect(lstatSync(abs(ctx, 'source')).nlink).toBe(2);
    },
  });
}
