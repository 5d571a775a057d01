// The case tables ported from the peers' own suites, expressed once and run against every
// operation of a root, in both resolution modes and under both symlink policies. The trees use
// Go's makefs notation (see harness.ts). Expectations follow DESIGN.md "Roots — contract":
// relative `/` paths, `.`/empty components skipped, `..` pops within the walk and is EESCAPE
// above the root, absolute paths EESCAPE, NUL EBADNAME; under 'refuse' any symlink the walk
// meets is ESYMLINK; under 'follow-within' relative targets are followed while inside, absolute
// or escaping targets are EESCAPE, more than 40 links ELOOP; operations on a name itself never
// follow its last component.
import type { Policy } from './harness.js';

/** One path case of Go's rootTestCases (src/os/root_test.go), annotated for both policies. */
export interface PathCase {
  name: string;
  fs: readonly string[];
  open: string;
  /** Where an operation that follows every link lands (relative to the root), when it succeeds. */
  target?: string;
  /** The last component is itself a symlink: its path. Name operations act on it. */
  ltarget?: string;
  /** 'follow-within': the failure code of an operation that follows the last component. */
  follow?: string;
  /** 'refuse': the same. */
  refuse?: string;
  /** 'refuse' refusals: the component whose symlink the walk met (the message names it). */
  refuseAt?: string;
  /** Go's "empty path": no component at all. Go and node:fs both fail; so must the root. */
  empty?: boolean;
  /** For escaping cases: what a naive resolution would reach; made so a leak would show. */
  decoy?: string;
}

export const GO_PATH_CASES: readonly PathCase[] = [
  { name: 'plain path', fs: [], open: 'target', target: 'target' },
  { name: 'path in directory', fs: ['a/b/c/'], open: 'a/b/c/target', target: 'a/b/c/target' },
  { name: 'symlink', fs: ['link => target'], open: 'link', target: 'target', ltarget: 'link', refuse: 'ESYMLINK', refuseAt: 'link' },
  { name: 'symlink dotdot slash', fs: ['link => ../'], open: 'link', ltarget: 'link', follow: 'EESCAPE', refuse: 'ESYMLINK', refuseAt: 'link' },
  { name: 'symlink ending in slash', fs: ['dir/', 'link => dir/'], open: 'link/target', target: 'dir/target', refuse: 'ESYMLINK', refuseAt: 'link' },
  { name: 'slash after symlink to file', fs: ['link => ../ROOT/target'], open: 'link/', decoy: 'target', follow: 'EESCAPE', refuse: 'ESYMLINK', refuseAt: 'link' },
  { name: 'slash after symlink to dir', fs: ['link => ../ROOT/target', 'target/'], open: 'link/', follow: 'EESCAPE', refuse: 'ESYMLINK', refuseAt: 'link' },
  { name: 'symlink dotdot dotdot slash', fs: ['dir/link => ../../'], open: 'dir/link', ltarget: 'dir/link', follow: 'EESCAPE', refuse: 'ESYMLINK', refuseAt: 'link' },
  {
    name: 'symlink chain',
    fs: ['link => a/b/c/target', 'a/b => e', 'a/e => ../f', 'f => g/h/i', 'g/h/i => ..', 'g/c/'],
    open: 'link',
    target: 'g/c/target',
    ltarget: 'link',
    refuse: 'ESYMLINK',
    refuseAt: 'link',
  },
  { name: 'path with dot', fs: ['a/b/'], open: './a/./b/./target', target: 'a/b/target' },
  { name: 'path with dotdot', fs: ['a/b/'], open: 'a/../a/b/../../a/b/../b/target', target: 'a/b/target' },
  { name: 'path with dotdot slash', fs: [], open: '../', follow: 'EESCAPE', refuse: 'EESCAPE' },
  { name: 'path with dotdot dotdot slash', fs: ['a/'], open: 'a/../../', follow: 'EESCAPE', refuse: 'EESCAPE' },
  { name: 'dotdot no symlink', fs: ['a/'], open: 'a/../target', target: 'target' },
  // `..` pops the directory the walk is in (after the link), as on POSIX, not the lexical parent.
  { name: 'dotdot after symlink', fs: ['a => b/c', 'b/c/'], open: 'a/../target', target: 'b/target', refuse: 'ESYMLINK', refuseAt: 'a' },
  { name: 'dotdot before symlink', fs: ['a => b/c', 'b/c/'], open: 'b/../a/target', target: 'b/c/target', refuse: 'ESYMLINK', refuseAt: 'a' },
  { name: 'symlink ends in dot', fs: ['a => b/.', 'b/'], open: 'a/target', target: 'b/target', refuse: 'ESYMLINK', refuseAt: 'a' },
  { name: 'directory does not exist', fs: [], open: 'a/file', follow: 'ENOENT', refuse: 'ENOENT' },
  { name: 'empty path', fs: [], open: '', empty: true },
  { name: 'symlink cycle', fs: ['a => a'], open: 'a', ltarget: 'a', follow: 'ELOOP', refuse: 'ESYMLINK', refuseAt: 'a' },
  { name: 'path escapes', fs: [], open: '../ROOT/target', decoy: 'target', follow: 'EESCAPE', refuse: 'EESCAPE' },
  { name: 'long path escapes', fs: ['a/'], open: 'a/../../ROOT/target', decoy: 'target', follow: 'EESCAPE', refuse: 'EESCAPE' },
  { name: 'absolute symlink', fs: ['link => $ABS/target'], open: 'link', decoy: 'target', ltarget: 'link', follow: 'EESCAPE', refuse: 'ESYMLINK', refuseAt: 'link' },
  { name: 'relative symlink', fs: ['link => ../ROOT/target'], open: 'link', decoy: 'target', ltarget: 'link', follow: 'EESCAPE', refuse: 'ESYMLINK', refuseAt: 'link' },
  {
    name: 'symlink chain escapes',
    fs: ['link => a/b/c/target', 'a/b => e', 'a/e => ../../ROOT', 'c/'],
    open: 'link',
    decoy: 'c/target',
    ltarget: 'link',
    follow: 'EESCAPE',
    refuse: 'ESYMLINK',
    refuseAt: 'link',
  },
  // Added beside Go's table: the contract's own path rules and the link budget.
  { name: 'absolute path', fs: [], open: '$ABS/target', decoy: 'target', follow: 'EESCAPE', refuse: 'EESCAPE' },
  { name: 'nul byte in a component', fs: ['a/'], open: 'a/t\u0000x', follow: 'EBADNAME', refuse: 'EBADNAME' },
  { name: 'double slashes and trailing dot', fs: ['a/b/'], open: 'a//b/.//target', target: 'a/b/target' },
  {
    name: 'forty links are followed',
    fs: [...Array.from({ length: 39 }, (_, i) => `l${i} => l${i + 1}`), 'l39 => target'],
    open: 'l0',
    target: 'target',
    ltarget: 'l0',
    refuse: 'ESYMLINK',
    refuseAt: 'l0',
  },
  {
    name: 'forty-one links are ELOOP',
    fs: [...Array.from({ length: 40 }, (_, i) => `l${i} => l${i + 1}`), 'l40 => target'],
    open: 'l0',
    ltarget: 'l0',
    follow: 'ELOOP',
    refuse: 'ESYMLINK',
    refuseAt: 'l0',
  },
];

/** The failure code an operation gets for `c` under `policy`; undefined when it succeeds. */
export function expectedCode(c: PathCase, policy: Policy, kind: 'follow' | 'name'): string | undefined {
  if (kind === 'name' && c.ltarget !== undefined) return undefined;
  return policy === 'refuse' ? c.refuse : c.follow;
}

/** Go's rootConsistencyTestCases: a root and plain node:fs on a copy must agree. */
export interface ConsistencyCase {
  name: string;
  fs: readonly string[];
  open: string;
  /** Replace part of the tree with something makeTree cannot express. */
  special?: 'unreadable-dir' | 'socket-target' | 'socket-in-path';
}

export const GO_CONSISTENCY_CASES: readonly ConsistencyCase[] = [
  { name: 'file', fs: ['target'], open: 'target' },
  { name: 'dir slash dot', fs: ['target/file'], open: 'target/.' },
  { name: 'dot', fs: ['file'], open: '.' },
  { name: 'file slash dot', fs: ['target'], open: 'target/.' },
  { name: 'dir slash', fs: ['target/file'], open: 'target/' },
  { name: 'dot slash', fs: ['file'], open: './' },
  { name: 'file slash', fs: ['target'], open: 'target/' },
  { name: 'file in path', fs: ['file'], open: 'file/target' },
  { name: 'directory in path missing', fs: [], open: 'dir/target' },
  { name: 'target does not exist', fs: [], open: 'target' },
  { name: 'symlink slash', fs: ['target/file', 'link => target'], open: 'link/' },
  { name: 'symlink slash dot', fs: ['target/file', 'link => target'], open: 'link/.' },
  { name: 'unresolved symlink', fs: ['link => target'], open: 'link' },
  { name: 'resolved symlink', fs: ['link => target', 'target'], open: 'link' },
  { name: 'dotdot in path after symlink', fs: ['a => b/c', 'b/c/', 'b/target'], open: 'a/../target' },
  { name: 'symlink to dir ends in slash', fs: ['dir/', 'link => dir/'], open: 'link' },
  { name: 'symlink to file ends in slash', fs: ['file', 'link => file/'], open: 'link' },
  { name: 'long file name', fs: [], open: 'a'.repeat(500) },
  { name: 'unreadable directory', fs: ['dir/target'], open: 'dir/target', special: 'unreadable-dir' },
  { name: 'unix domain socket target', fs: [], open: 'a', special: 'socket-target' },
  { name: 'unix domain socket in path', fs: [], open: 'a/b', special: 'socket-in-path' },
  { name: 'question mark', fs: [], open: '?' },
  { name: 'nul byte', fs: [], open: '\u0000' },
];

/**
 * Go skips a few consistency checks on Linux for known kernel inconsistencies; so do we, for
 * the same reasons. Keys are `<op>/<case name>`.
 */
export const GO_CONSISTENCY_SKIPS: ReadonlyMap<string, string> = new Map([
  ['rename-from/symlink slash', 'Linux does not resolve "symlink" in rename("symlink/", x) (Go skips it too)'],
  ['rm-rf/symlink slash', 'Go: RemoveAll of "link/" is not consistent with plain RemoveAll either'],
  ['rm-rf/dot', "the root itself is never removed (Go skips '.')"],
  ['rm-rf/dot slash', "the root itself is never removed (Go skips './')"],
  ['rm/dot', "the root itself is never removed (Go skips '.')"],
  ['rm/dot slash', "the root itself is never removed (Go skips './')"],
  ['unlink/dot', "the root itself is never removed (Go skips '.')"],
  ['unlink/dot slash', "the root itself is never removed (Go skips './')"],
  ['rmdir/dot', "the root itself is never removed (Go skips '.')"],
  ['rmdir/dot slash', "the root itself is never removed (Go skips './')"],
]);

// --- fs-safe's adversarial boundary payloads (test/adversarial-boundary-payloads.test.ts) ---

const DOT_SEGMENTS = ['..', '...', '. .', '.. ', ' ..', '%2e%2e', '%252e%252e'];
const SEPARATORS = ['/', '//', '\\', '\\\\', '%2f', '%5c'];
const TARGETS = ['secret.txt', 'etc/passwd', 'Windows/win.ini', 'CON', 'NUL', 'aux.txt'];
const CONTROL_PAYLOADS = ['..\u0000/secret.txt', '..\u0001/secret.txt', '..\u001f/secret.txt', 'safe\u0000name.txt', 'safe\u202ename.txt', 'safe\ufeffname.txt'];

/** fs-safe's generated traversal corpus, whole (fs-safe runs the first 96). */
export function fsSafePayloads(): string[] {
  const payloads = new Set<string>();
  for (const dot of DOT_SEGMENTS) {
    for (const sep of SEPARATORS) {
      for (const target of TARGETS) {
        payloads.add(`${dot}${sep}${target}`);
        payloads.add(`nested${sep}${dot}${sep}${dot}${sep}${target}`);
      }
    }
  }
  for (const extra of ['/etc/passwd', '//server/share/secret.txt', 'C:/Windows/win.ini', 'C:\\Windows\\win.ini']) payloads.add(extra);
  for (const payload of CONTROL_PAYLOADS) payloads.add(payload);
  return [...payloads];
}

/**
 * How the contract classifies a payload on a tree without symlinks: NUL is EBADNAME, a leading
 * `/` or a `..` above the root is EESCAPE, anything else names something inside (on POSIX a
 * backslash, `%2f` or a drive letter is an ordinary character of a name).
 */
export function lexicalClass(payload: string): 'EBADNAME' | 'EESCAPE' | 'inside' {
  if (payload.includes('\u0000')) return 'EBADNAME';
  if (payload.startsWith('/')) return 'EESCAPE';
  let depth = 0;
  for (const component of payload.split('/')) {
    if (component === '' || component === '.') continue;
    if (component === '..') {
      depth -= 1;
      if (depth < 0) return 'EESCAPE';
    } else depth += 1;
  }
  return 'inside';
}

// --- Known gaps -----------------------------------------------------------------------------

/**
 * Cases that still fail because of a builder defect, each printed with its reason when skipped.
 * Keys are test ids (`<source>|<case>|<op>|<mode>|<policy>`; `*` matches anything); the value
 * is the reason printed when the case is skipped (CF-n names the gap).
 * Empty means every ported case passes.
 */
export const KNOWN_GAPS: ReadonlyMap<string, string> = new Map<string, string>([
  ['attack|walk readlink race', 'CF-12 the walk reports EINVAL when a swapped entry stops being a link between lstat and readlink'],
  ['property|mkdir-slash-link|*', 'CF-13 under follow-within, mkdir("l/") for a symlink l follows it and creates its in-root target where mkdir(2) answers EEXIST'],
]);

/** HARDFS_CONFORMANCE_GAPS=off runs the known gaps too (to see which are fixed). */
export function knownGap(id: string, match: (pattern: string, id: string) => boolean): string | undefined {
  if (process.env['HARDFS_CONFORMANCE_GAPS'] === 'off') return undefined;
  for (const [pattern, reason] of KNOWN_GAPS) if (match(pattern, id)) return reason;
  return undefined;
}
