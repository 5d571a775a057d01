/**
 * Waits `ms` milliseconds, or rejects with `signal.reason` as soon as the signal aborts. The
 * timer is not unref'd on purpose: a process waiting for a lock has work left to do and must
 * not exit underneath its caller. The abort listener is removed on every path so that a
 * long-lived signal shared by many waits does not accumulate listeners.
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      // The signal's reason is passed through as is, as node:timers/promises does.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
