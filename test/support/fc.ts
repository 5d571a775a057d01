/**
 * fast-check run counts for every property suite. HARDFS_FC_RUNS sets the run count that a
 * suite with the default budget (100) gets; suites that ask for another budget are scaled in
 * proportion, so `HARDFS_FC_RUNS=10000` runs everything at 100x. fast-check prints the seed
 * and the shrunk counterexample on failure; replay with `fc.assert(..., { seed, path })`.
 */
import fc from 'fast-check';

const DEFAULT_RUNS = 100;

function envRuns(): number | undefined {
  const raw = process.env['HARDFS_FC_RUNS'];
  if (raw === undefined || raw === '') return undefined;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new Error(`HARDFS_FC_RUNS must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return parsed;
}

/** The number of runs for a property whose default budget is `defaultRuns`. */
export function fcRuns(defaultRuns: number = DEFAULT_RUNS): number {
  const override = envRuns();
  if (override === undefined) return defaultRuns;
  return Math.max(1, Math.round((defaultRuns * override) / DEFAULT_RUNS));
}

/** Parameters for fc.assert: the run count, plus verbose counterexample reporting. */
export function fcParams(defaultRuns: number = DEFAULT_RUNS): fc.Parameters<unknown> {
  return { numRuns: fcRuns(defaultRuns), verbose: 1 };
}
