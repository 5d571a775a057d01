/**
 * Wraps an idempotent flush (an fsync of a directory) so that concurrent callers share runs
 * instead of queueing one each. Runs never overlap. A call joins the run that is queued (not yet
 * started) if there is one; otherwise it queues a new run, which starts once the run in flight,
 * if any, settles. So every caller's promise settles with the outcome of a run that *started
 * after the call was made* — it covers whatever the caller did before calling — and at most one
 * run waits behind the one in flight.
 *
 * Why: ten writers committing to one directory each owe it one fsync after their rename. Run one
 * by one they occupy the thread pool and the disk ten times; coalesced, one fsync covers every
 * rename that came before it (group commit, as databases do for their logs).
 */
export function coalesce<T>(task: () => Promise<T>): () => Promise<T> {
  // Settles when the latest run settles, whatever its outcome; the next run chains on it.
  let tail: Promise<unknown> = Promise.resolve();
  let queued: Promise<T> | undefined;
  return () => {
    if (queued !== undefined) return queued;
    const run = tail.then(() => {
      // From here on the run has started: later callers must queue a run of their own.
      queued = undefined;
      return task();
    });
    queued = run;
    tail = run.catch(() => undefined);
    return run;
  };
}
