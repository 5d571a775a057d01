// Go's os.Root path table (src/os/root_test.go rootTestCases, plus the contract's own path
// rules and link budget) run against every operation of a root, in both resolution modes and
// under both symlink policies. Each operation checks what Go's test for it checks.
import { describe, it } from 'vitest';
import { GO_PATH_CASES, knownGap } from './cases.js';
import { CONFIGS, globMatch, makeTree, openRootAt, useBases } from './harness.js';
import { PATH_OPS } from './path-ops.js';

const rootUser = process.getuid?.() === 0;

describe.each(CONFIGS)('Go os.Root path table — $mode resolution, symlinks: $policy', ({ mode, policy }) => {
  const newBase = useBases();
  for (const [op, run] of Object.entries(PATH_OPS)) {
    describe(op, () => {
      for (const c of GO_PATH_CASES) {
        const id = `go|${c.name}|${op}|${mode}|${policy}`;
        const gap = knownGap(id, globMatch);
        const needsRoot = (op === 'chown' || op === 'lchown') && !rootUser;
        if (gap !== undefined) {
          it.skip(`${c.name} — KNOWN GAP: ${gap}`, () => {});
          continue;
        }
        it.skipIf(needsRoot)(c.name, async () => {
          const base = newBase();
          const root = makeTree(base, c.fs);
          const dir = await openRootAt(root, { mode, policy });
          try {
            await run({ base, root, dir, c, policy, open: c.open.replaceAll('$ABS', root), label: id });
          } finally {
            await dir.close();
          }
        });
      }
    });
  }
});
