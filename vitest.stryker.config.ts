// Vitest config for mutation testing only (stryker.config.json points here; `npm test` keeps
// using vitest.config.ts).
//
// Excluded: suites whose assertions run in child processes that import the BUILT package
// (dist/), or that only race real processes. A mutant lives in the sandbox's src/, so those
// children never execute it: they cannot kill a src mutant, they only cost minutes per run.
//   test/crash/**            crash children run dist/ and are SIGKILLed mid-write
//   test/cli/run.test.ts     compares the in-process CLI with the built bin: any mutant that
//                            changes output differs from the bin, which pins no behaviour
//   test/attack/**           attacker processes racing the code; nondeterministic by design,
//                            and the parts that run in-process are covered by test/dir + test/io
//   **/*.processes.test.ts   lock contention between worker processes that import dist/
//   test/io/concurrency.test.ts, test/io/fifo.test.ts, test/session-store/concurrency.test.ts
//                            the code under test runs in children importing dist/
//
// The rest of test/cli/ runs, in-process: HARDFS_CLI_IN_PROCESS=1 (test.env below) makes
// test/cli/cli-support.ts call src/cli/run.ts with a captured output instead of spawning
// dist/cli/main.cjs, and skips the tests that need a process of their own (PROCESS_ONLY there:
// the bin file's shebang and mode, a real SIGINT).
//
// Stryker's vitest runner forces `pool: 'threads'`; several suites call process.umask(mask),
// which worker threads refuse (ERR_WORKER_UNSUPPORTED_OPERATION), so the plugin below puts the
// project back on forks (still one worker: Stryker sets maxWorkers: 1). `isolate: false` runs
// all the test files a mutant needs in that one fork instead of one fork per file: the
// narrowed suite drops from ~30 s to ~18 s, and most of a mutant's cost was fork start-up and
// imports. The cost: a module is evaluated once per worker, so a *static* mutant (in code that
// runs at module load: constants, tables, regexes, platform switches) is never seen by a
// test that imports the module normally. Tests of load-time code load a fresh copy inside
// the test (test/support/platform.ts, importFresh — optionally as another platform), and
// import the module normally as well, since the runner only runs tests that import it.
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    plugins: [
      {
        name: 'hardfs:stryker-forks',
        configureVitest({ project }) {
          // HARDFS_STRYKER_POOL=threads keeps Stryker's threads, whose start-up is cheaper per
          // mutant: for layers whose own tests never call process.umask (objects, keys).
          project.config.pool = process.env['HARDFS_STRYKER_POOL'] === 'threads' ? 'threads' : 'forks';
        },
      },
    ],
    test: {
      isolate: false,
      env: { HARDFS_CLI_IN_PROCESS: '1' },
      exclude: [
        '**/node_modules/**',
        'test/crash/**',
        'test/cli/run.test.ts',
        'test/attack/**',
        '**/*.processes.test.ts',
        'test/io/concurrency.test.ts',
        'test/io/fifo.test.ts',
        'test/session-store/concurrency.test.ts',
      ],
    },
  }),
);
