// Property test of coalesce(): fast-check's scheduler interleaves calls with the completion of
// the runs they trigger, in every order, and some runs fail. The contract checked exactly:
// a call settles with the outcome of the run numbered by how many runs had started when the
// call was made — the first run to start after the call, so it covers everything the caller
// did before calling, and no later one, so waiting callers share it — and runs never overlap.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coalesce } from '../../src/sys/coalesce.js';
import { fcParams } from '../support/fc.js';

class RunFailed extends Error {
  constructor(readonly run: number) {
    super(`run ${run} failed`);
  }
}

type Outcome = { startedAtCall: number; run: number; ok: boolean; runHadSettled: boolean };

describe('coalesce', () => {
  it('settles each call with the first run that started after it; runs never overlap', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 25 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        async (s, callCount, failurePattern) => {
          let started = 0;
          let inFlight = 0;
          let maxInFlight = 0;
          const settledRuns = new Set<number>();
          const fails = (run: number): boolean => failurePattern[run % failurePattern.length] === true;

          const flush = coalesce(async () => {
            const run = started++;
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            try {
              await s.schedule(Promise.resolve(), `run ${run} completes`);
              if (fails(run)) throw new RunFailed(run);
              return run;
            } finally {
              inFlight--;
              settledRuns.add(run);
            }
          });

          const outcomes: Outcome[] = [];
          const calls = Array.from({ length: callCount }, (_, i) =>
            s.schedule(Promise.resolve(), `call ${i}`).then(async () => {
              const startedAtCall = started;
              const outcome = await flush().then(
                (run) => ({ run, ok: true }),
                (error: unknown) => {
                  if (!(error instanceof RunFailed)) throw error;
                  return { run: error.run, ok: false };
                },
              );
              outcomes.push({ startedAtCall, ...outcome, runHadSettled: settledRuns.has(outcome.run) });
            }),
          );
          await s.waitFor(Promise.all(calls));

          expect(outcomes).toHaveLength(callCount);
          for (const outcome of outcomes) {
            expect(outcome.run).toBe(outcome.startedAtCall);
            expect(outcome.runHadSettled).toBe(true);
            expect(outcome.ok).toBe(!fails(outcome.run));
          }
          expect(maxInFlight).toBe(1);
          expect(started).toBeLessThanOrEqual(callCount);
        },
      ),
      fcParams(200),
    );
  });

  it('shares one run among calls made while another is in flight', async () => {
    let runs = 0;
    let release!: () => void;
    const flush = coalesce(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = flush();
    await Promise.resolve(); // let the first run start
    await Promise.resolve();
    const waiting = [flush(), flush(), flush()];
    expect(runs).toBe(1);
    release();
    await Promise.all([first, ...waiting]);
    expect(runs).toBe(2);
  });
});
