// The consistency property (issue 11, "Tests"): for random small trees — files, directories,
// in-root and escaping symlinks — and random relative paths, a root and plain node:fs on an
// identical copy agree on every operation that stays inside (same result, or the documented
// refusal), and nothing outside the root changes. Which paths "stay inside" is decided by a
// reference walk over the copy (POSIX resolution: `..` pops the real directory, links spliced
// in), so the property checks the root against the kernel, not against a model of itself.
import { lstatSync, mkdirSync, readlinkSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fcParams } from '../../support/fc.js';
import { knownGap } from './cases.js';
import { CONFIGS, describeOutcome, digest, globMatch, isTypedRefusal, openRootAt, outcomeOf, useBases, type Outcome, type Policy, type Root } from './harness.js';

const NAMES = ['a', 'b', 'c', 'l', 'm'] as const;
const LINK_TARGETS = ['a', 'b', 'b/c', 'l', 'm', '.', '..', '../a', 'a/..', 'a/../b', '../..', '../../outside', '../../outside/secret.txt', '$OUT', '$OUT/secret.txt', '$ROOT/a', 'l/../a'] as const;

interface Entry {
  path: string;
  kind: 'file' | 'dir' | 'link';
  target: string;
}

const entryArb: fc.Arbitrary<Entry> = fc.record({
  path: fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
  kind: fc.constantFrom('file' as const, 'dir' as const, 'link' as const),
  target: fc.constantFrom(...LINK_TARGETS),
});

const pathArb: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.constantFrom(...NAMES, 'x', '..', '.', ''), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([parts, slash]) => parts.join('/') + (slash ? '/' : ''))
  .filter((path) => path !== '');

type OpName = 'readFile' | 'stat' | 'lstat' | 'readdir' | 'readlink' | 'writeFile' | 'mkdir' | 'rm-rf' | 'unlink' | 'rmdir' | 'chmod' | 'symlink' | 'exists' | 'rename';
const OP_NAMES: readonly OpName[] = ['readFile', 'stat', 'lstat', 'readdir', 'readlink', 'writeFile', 'mkdir', 'rm-rf', 'unlink', 'rmdir', 'chmod', 'symlink', 'exists', 'rename'];
/** Whether the operation follows its last component (node:fs semantics). */
const FOLLOWS_LAST: Record<OpName, boolean> = {
  readFile: true, stat: true, lstat: false, readdir: true, readlink: false, writeFile: true, mkdir: false,
  'rm-rf': false, unlink: false, rmdir: false, chmod: true, symlink: false, exists: true, rename: false,
};
const DESTRUCTIVE = new Set<OpName>(['rm-rf', 'unlink', 'rmdir', 'rename']);

/** Paths whose last component is followed by "/" or "/." (a directory is required there). */
const SLASH_TERMINATED = /(\/|\/\.)$/;
/** Paths ending in "." with or without slashes after it ("a/.", "a/./"): refused as names (EINVAL). */
const DOT_SLASH_TERMINATED = /(^|\/)\.\/*$/;
/** Paths whose last component is ".." (a directory itself, not an entry in one). */
const DOTDOT_TERMINATED = /(^|\/)\.\.\/*$/;

function stepArb(paths: fc.Arbitrary<string>, ops: readonly OpName[]) {
  return fc.record({ op: fc.constantFrom(...ops), path: paths, other: paths });
}

function build(base: string, entries: readonly Entry[]): string {
  const root = join(base, 'ROOT');
  const outside = join(base, 'outside');
  mkdirSync(root, { mode: 0o755 });
  mkdirSync(join(outside, 'sub'), { recursive: true, mode: 0o755 });
  writeFileSync(join(outside, 'secret.txt'), 'outside secret');
  for (const entry of [...entries].sort((x, y) => x.path.split('/').length - y.path.split('/').length)) {
    const parts = entry.path.split('/');
    let ok = true;
    for (let i = 1; i < parts.length && ok; i += 1) {
      const parent = join(root, ...parts.slice(0, i));
      try {
        if (!lstatSync(parent).isDirectory()) ok = false;
      } catch {
        mkdirSync(parent, { mode: 0o755 });
      }
    }
    const path = join(root, entry.path);
    if (!ok || existsOrLink(path)) continue;
    if (entry.kind === 'dir') mkdirSync(path, { mode: 0o755 });
    else if (entry.kind === 'file') writeFileSync(path, entry.path, { mode: 0o644 });
    else symlinkSync(entry.target.replace('$OUT', outside).replace('$ROOT', root), path);
  }
  return root;
}

function existsOrLink(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

type Class = 'inside' | 'EESCAPE' | 'ESYMLINK' | 'ELOOP';
interface Walked {
  follow: Class;
  refuse: Class;
  /** Under 'refuse', the first symlink met is the path's own last component. */
  refuseAtLast: boolean;
  /** The walk ended on the root itself (a destructive op there is the root's own refusal). */
  isRoot: boolean;
}

/**
 * Resolves `path` on the copy the way the kernel would, and reports what the contract says of
 * it: under 'follow-within' EESCAPE on an absolute link or a `..` above the root, ELOOP past
 * 40 links; under 'refuse' the first symlink or escape met.
 */
function walk(root: string, path: string, followLast: boolean): Walked {
  if (path.startsWith('/')) return { follow: 'EESCAPE', refuse: 'EESCAPE', refuseAtLast: false, isRoot: false };
  const forceLast = followLast || path.endsWith('/') || /(^|\/)\.$/.test(path);
  const queue = path.split('/').filter((part) => part !== '' && part !== '.');
  const stack: string[] = [];
  let firstEvent: Class | undefined;
  let firstAtLast = false;
  let links = 0;
  const done = (follow: Class): Walked => ({ follow, refuse: firstEvent ?? follow, refuseAtLast: firstAtLast, isRoot: follow === 'inside' && stack.length === 0 && queue.length === 0 });
  while (queue.length > 0) {
    const part = queue.shift() as string;
    if (part === '..') {
      if (stack.length === 0) {
        firstEvent ??= 'EESCAPE';
        return done('EESCAPE');
      }
      stack.pop();
      continue;
    }
    const here = join(root, ...stack, part);
    let stats;
    try {
      stats = lstatSync(here);
    } catch {
      queue.length = 0;
      return { ...done('inside'), isRoot: false };
    }
    const last = queue.length === 0;
    if (stats.isSymbolicLink() && (!last || forceLast)) {
      if (firstEvent === undefined) firstAtLast = last && links === 0;
      firstEvent ??= 'ESYMLINK';
      links += 1;
      if (links > 40) return done('ELOOP');
      const target = readlinkSync(here);
      if (isAbsolute(target)) return done('EESCAPE');
      queue.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    if (!last && !stats.isDirectory()) {
      queue.length = 0;
      return { ...done('inside'), isRoot: false };
    }
    stack.push(part);
  }
  return done('inside');
}

/** A tree's digest with its own base path spelled out of it (absolute link targets differ per copy). */
function treeOf(base: string): Record<string, string> {
  return JSON.parse(JSON.stringify(digest(join(base, 'ROOT'), { times: false })).replaceAll(base, '<base>')) as Record<string, string>;
}

function statLine(stats: { size: number; mode: number; isDirectory(): boolean; isSymbolicLink(): boolean }): string {
  return `size:${stats.size} mode:${stats.mode.toString(8)} dir:${stats.isDirectory()} link:${stats.isSymbolicLink()}`;
}

async function viaRoot(dir: Root, op: OpName, path: string, other: string): Promise<string> {
  switch (op) {
    case 'readFile': return Buffer.from(await dir.readFile(path)).toString('latin1');
    case 'stat': return statLine(await dir.stat(path));
    case 'lstat': return statLine(await dir.lstat(path));
    case 'readdir': return JSON.stringify(((await dir.readdir(path)) as string[]).sort());
    case 'readlink': return dir.readlink(path);
    case 'writeFile': return String(await dir.writeFile(path, 'written', { mode: 0o644 }));
    case 'mkdir': return String(await dir.mkdir(path, { mode: 0o755 }));
    case 'rm-rf': return String(await dir.rm(path, { recursive: true, force: true }));
    case 'unlink': return String(await dir.unlink(path));
    case 'rmdir': return String(await dir.rmdir(path));
    case 'chmod': return String(await dir.chmod(path, 0o700));
    case 'symlink': return String(await dir.symlink('a', path));
    case 'exists': return String(await dir.exists(path));
    case 'rename': return String(await dir.rename(path, other));
  }
}

async function viaNode(root: string, op: OpName, relative: string, otherRelative: string): Promise<string> {
  const path = `${root}/${relative}`;
  const other = `${root}/${otherRelative}`;
  switch (op) {
    case 'readFile': return (await fsp.readFile(path)).toString('latin1');
    case 'stat': return statLine(await fsp.stat(path));
    case 'lstat': return statLine(await fsp.lstat(path));
    case 'readdir': return JSON.stringify((await fsp.readdir(path)).sort());
    case 'readlink': return fsp.readlink(path);
    case 'writeFile': return String(await fsp.writeFile(path, 'written', { mode: 0o644 }));
    case 'mkdir': return String(await fsp.mkdir(path, { mode: 0o755 }));
    case 'rm-rf': return String(await fsp.rm(path, { recursive: true, force: true }));
    case 'unlink': return String(await fsp.unlink(path));
    case 'rmdir': return String(await fsp.rmdir(path));
    case 'chmod': return String(await fsp.chmod(path, 0o700));
    case 'symlink': return String(await fsp.symlink('a', path));
    case 'exists': return String(existsSync(path));
    case 'rename': return String(await fsp.rename(path, other));
  }
}

/**
 * The contract's verdict for one step: the refusal codes it may end with (undefined when the
 * root must agree with node:fs), and whether an atomic replace of a final link is allowed.
 */
function refusalFor(policy: Policy, root: string, op: OpName, path: string, other: string): { codes: string[]; replacesLink: boolean } | undefined {
  const key = policy === 'refuse' ? 'refuse' : 'follow';
  const first = walk(root, path, FOLLOWS_LAST[op]);
  const classes = [first[key]];
  if (op === 'rename') classes.push(walk(root, other, false)[key]);
  const refusals = classes.filter((c) => c !== 'inside');
  if (refusals.length === 0) return undefined;
  // rename checks its two paths in either order: the other one's lookup error may come first
  const codes = op === 'rename' && first[key] === 'inside' ? [...refusals, 'ENOENT', 'ENOTDIR'] : refusals;
  // an atomic write under 'refuse' replaces a final symlink by the new file (documented)
  const replacesLink = op === 'writeFile' && policy === 'refuse' && first.refuse === 'ESYMLINK' && first.refuseAtLast && !SLASH_TERMINATED.test(path);
  return { codes, replacesLink };
}

describe.each(CONFIGS)('a root agrees with node:fs on a copy — $mode resolution, symlinks: $policy', ({ mode, policy }) => {
  const newBase = useBases();

  // While a known gap is open for slash-terminated names, they are left out of the generated
  // paths (and that is printed); the table tests still run them.
  const slashGap = knownGap(`property|dot-slash-terminated|${mode}|${policy}`, globMatch);
  if (slashGap !== undefined) console.warn(`consistency property (${mode}, ${policy}): paths ending in "." ("a/.", "a/./") left out — KNOWN GAP: ${slashGap}`);
  const paths = slashGap === undefined ? pathArb : pathArb.filter((path) => !DOT_SLASH_TERMINATED.test(path));
  const statGap = knownGap(`property|stat|${mode}|${policy}`, globMatch);
  if (statGap !== undefined) console.warn(`consistency property (${mode}, ${policy}): stat left out — KNOWN GAP: ${statGap}`);
  const ops = statGap === undefined ? OP_NAMES : OP_NAMES.filter((op) => op !== 'stat');

  it('for random trees and paths: same result or the documented refusal; nothing outside changes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entryArb, { maxLength: 10 }), fc.array(stepArb(paths, ops), { minLength: 1, maxLength: 3 }), async (entries, steps) => {
        const base1 = newBase();
        const base2 = newBase();
        const root1 = build(base1, entries);
        const root2 = build(base2, entries);
        const outside1 = digest(join(base1, 'outside'));
        const dir = await openRootAt(root1, { mode, policy });
        try {
          for (const { op, path, other } of steps) {
            const onRoot = walk(root2, path, FOLLOWS_LAST[op]).isRoot || (op === 'rename' && walk(root2, other, false).isRoot);
            // the root itself is never removed or renamed: a precondition, not a comparison
            if (DESTRUCTIVE.has(op) && onRoot) continue;
            const refusal = refusalFor(policy, root2, op, path, other);
            const before1 = treeOf(base1);
            const mine: Outcome = await outcomeOf(() => viaRoot(dir, op, path, other));
            const report = `${op}(${JSON.stringify(path)}${op === 'rename' ? `, ${JSON.stringify(other)}` : ''}) under ${policy}: root ${describeOutcome(mine)}`;
            if (refusal !== undefined) {
              // exists() answers false where the others refuse
              if (op === 'exists' && mine.ok) expect(mine.value, report).toBe('false');
              else if (refusal.replacesLink && mine.ok) {
                // no link before the last component, so the lexical name is the physical one
                const replaced = treeOf(base1)[posix.normalize(path)] ?? '';
                expect(replaced, `${report}: the link was not replaced by the written file`).toMatch(/^file .*"written"$/);
              } else {
                expect(refusal.codes, `${report}; want ${refusal.codes.join('|')}`).toContain(mine.ok ? 'ok' : mine.error.code);
                expect(treeOf(base1), `${report}: a refused step changed the tree`).toEqual(before1);
              }
              // node:fs may well follow the link out; its copy is not compared again
              return;
            }
            // a name ending in "/." (or "/./") is refused as no name at all (EINVAL, on purpose:
            // CF-3b's fix), also where node's rm -f finds nothing to do; it changes nothing
            if (!mine.ok && mine.error.code === 'EINVAL' && [path, ...(op === 'rename' ? [other] : [])].some((p) => DOT_SLASH_TERMINATED.test(p))) {
              expect(treeOf(base1), `${report}: a refused step changed the tree`).toEqual(before1);
              await viaNode(root2, op, path, other).catch(() => undefined);
              continue;
            }
            // a name ending in ".." names a directory itself, never an entry: operations that
            // need an entry refuse it (EBADNAME, walk.ts requireName) where node's rm -r would
            // remove the parent; nothing changes, and node's copy is not compared again
            if (!mine.ok && mine.error.code === 'EBADNAME' && [path, ...(op === 'rename' ? [other] : [])].some((p) => DOTDOT_TERMINATED.test(p))) {
              expect(treeOf(base1), `${report}: a refused step changed the tree`).toEqual(before1);
              return;
            }
            const theirs: Outcome = await outcomeOf(() => viaNode(root2, op, path, other));
            // CF-13 (KNOWN_GAPS): mkdir through a final symlink named with a trailing slash
            if (op === 'mkdir' && mine.ok && !theirs.ok && theirs.error.code === 'EEXIST' && SLASH_TERMINATED.test(path)) {
              const gap = knownGap(`property|mkdir-slash-link|${mode}|${policy}`, globMatch);
              if (gap !== undefined) {
                console.warn(`consistency property: ${report} where node:fs says EEXIST — KNOWN GAP: ${gap}`);
                return;
              }
            }
            const full = `${report}; node:fs ${describeOutcome(theirs)}`;
            // where both fail: a typed refusal, or (CF-9, WONTFIX for now) the walk's own errno
            // for a name ending in "/" or "/.", stands in for node's
            const slashTerminated = SLASH_TERMINATED.test(path) || (op === 'rename' && SLASH_TERMINATED.test(other));
            const typed = !mine.ok && !theirs.ok && (isTypedRefusal(mine.error) || (slashTerminated && ['EISDIR', 'ENOTDIR', 'EINSECURE', 'EINVAL', 'EEXIST', 'ENOENT'].includes(String(mine.error.code))));
            if (!typed) {
              expect(mine.ok, full).toBe(theirs.ok);
              // an absolute link target (readlink) names each copy's own base
              if (mine.ok && theirs.ok) expect(typeof mine.value === 'string' ? mine.value.replaceAll(base1, base2) : mine.value, full).toBe(theirs.value);
              if (!mine.ok && !theirs.ok) expect(mine.error.code, full).toBe(theirs.error.code);
            }
            expect(treeOf(base1), `${full}: trees differ`).toEqual(treeOf(base2));
          }
        } finally {
          await dir.close();
        }
        expect(digest(join(base1, 'outside')), 'something outside the root changed').toEqual(outside1);
      }),
      fcParams(40),
    );
  });
});
