#!/usr/bin/env bash
# Mutation testing one layer of src/ at a time (npm run mutate runs them all in one go).
# Each layer keeps its own incremental file and JSON report under reports/, so a layer can be
# re-run alone and its survivors read while the next layer runs:
#   scripts/mutate-layers.sh                  every layer
#   scripts/mutate-layers.sh dir locks        a subset
#   STRYKER_CONCURRENCY=2 scripts/mutate-layers.sh session-store
# Then: node scripts/mutation-summary.mjs prints each layer's score and the overall one.
set -euo pipefail
cd "$(dirname "$0")/.."
layers=("$@")
if [ ${#layers[@]} -eq 0 ]; then layers=(objects keys io dir locks session-store); fi
mkdir -p reports/mutation
npm run build --silent >/dev/null
status=0
for layer in "${layers[@]}"; do
  echo "=== mutating src/${layer}"
  # A layer under the break threshold exits 1: note it, keep its report, go on with the next.
  npx -y node@22 node_modules/@stryker-mutator/core/bin/stryker.js run \
    --mutate "src/${layer}/**/*.ts,!src/${layer}/index.ts" \
    --incrementalFile "reports/stryker-incremental-${layer}.json" \
    --concurrency "${STRYKER_CONCURRENCY:-1}" \
    --reporters json,clear-text,progress \
    ${STRYKER_FORCE:+--force} || status=1
  cp reports/mutation/mutation.json "reports/mutation/${layer}.json"
done
exit "$status"
