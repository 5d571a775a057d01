#!/usr/bin/env bash
# Mutation testing, one layer of src/ at a time, and its survivor report:
#   scripts/mutate-layers.sh                  every layer (every folder under src/, bottom up)
#   scripts/mutate-layers.sh objects keys     a subset
#   STRYKER_CONCURRENCY=2 scripts/mutate-layers.sh session-store
#   STRYKER_OWN_TESTS=1 ...                   run only test/<layer>/** against the layer's mutants
#                                             (faster; a layer's own tests must kill them)
#   HARDFS_STRYKER_POOL=threads ...           worker threads instead of forks (cheaper per
#                                             mutant; only where the tests never call
#                                             process.umask: objects, keys and cli with
#                                             STRYKER_OWN_TESTS)
#   HARDFS_FC_RUNS=10 ...                     smaller property budgets (see test/support/fc.ts)
#   STRYKER_FORCE=1 ...                       ignore the incremental file (re-run every mutant;
#                                             static mutants have no per-test coverage, so
#                                             incremental mode keeps their old result when only
#                                             tests changed)
# Each layer keeps its own incremental file and JSON report under reports/, and its survivors
# are written to reports/mutation/<layer>.survivors.md (scripts/mutation-summary.mjs). Stryker
# runs under Node 22 (npx node@22); configuration is stryker.config.json, the test selection
# vitest.stryker.config.ts. A mutant that loops costs the timeout (1.5 x the covering tests'
# time + timeoutMS), so timeoutMS stays small; one worker by default, as the machine is shared.
# The CLI's tests run it in-process there (HARDFS_CLI_IN_PROCESS=1, set by that config), so its
# mutants are seen; only src/cli/main.ts, the bin's process glue, is left out: only the bin
# runs it, which test/cli checks in `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
all_layers=(objects keys sys io change-log dir locks store session-store cli)
# A new folder under src/ is a new layer: it goes into the list, or it would never be measured.
for dir in src/*/; do
  name=$(basename "$dir")
  if [[ " ${all_layers[*]} " != *" ${name} "* ]]; then
    echo "src/${name} is not in scripts/mutate-layers.sh's layer list: add it" >&2
    exit 2
  fi
done
layers=("$@")
if [ ${#layers[@]} -eq 0 ]; then layers=("${all_layers[@]}"); fi
mkdir -p reports/mutation
npm run build --silent >/dev/null
# Node 22 from npx's cache, hard-linked (or copied) into a directory everyone can traverse:
# tests that run a script as a second local user spawn process.execPath, and npx's cache is
# under a home directory that user cannot enter (scripts/node-matrix.mjs does the same).
node_bin_dir=$(mktemp -d)
trap 'rm -rf "$node_bin_dir"' EXIT
chmod 755 "$node_bin_dir"
node22=$(realpath "$(npx -y node@22 -p process.execPath | tail -n 1)")
ln "$node22" "$node_bin_dir/node" 2>/dev/null || { cp "$node22" "$node_bin_dir/node" && chmod 755 "$node_bin_dir/node"; }
status=0
for layer in "${layers[@]}"; do
  echo "=== mutating src/${layer}"
  rm -f reports/mutation/mutation.json
  # A layer under the break threshold exits 1: note it, keep its report, go on with the next.
  "$node_bin_dir/node" node_modules/@stryker-mutator/core/bin/stryker.js run \
    --mutate "src/${layer}/**/*.ts,!src/${layer}/index.ts,!src/cli/main.ts" \
    --incrementalFile "reports/stryker-incremental-${layer}.json" \
    --concurrency "${STRYKER_CONCURRENCY:-1}" \
    --reporters json,clear-text,progress \
    ${STRYKER_OWN_TESTS:+--testFiles "test/${layer}/**/*.test.ts"} \
    ${STRYKER_FORCE:+--force} || status=1
  if [ -f reports/mutation/mutation.json ]; then
    cp reports/mutation/mutation.json "reports/mutation/${layer}.json"
    node scripts/mutation-summary.mjs --write "${layer}"
  else
    echo "no report for src/${layer}: Stryker did not finish" >&2
    rm -f "reports/mutation/${layer}.json"
    status=1
  fi
done
node scripts/mutation-summary.mjs || true
exit "$status"
