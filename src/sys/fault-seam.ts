/**
 * A test-only seam: the atomic write calls `faultPoint(step)` before each syscall so a test
 * can make exactly that step fail against the real filesystem, and the rename retry asks
 * `renameRetrySeam` for its platform switch, clock and randomness. Not exported from the
 * package root; with no hook installed each point is a single undefined check.
 */
export type AtomicWriteStep = 'open' | 'chmod' | 'write' | 'fsync' | 'close' | 'rename' | 'fsyncDir';

export const ATOMIC_WRITE_STEPS: readonly AtomicWriteStep[] = [
  'open',
  'chmod',
  'write',
  'fsync',
  'close',
  'rename',
  'fsyncDir',
];

type FaultHook = (step: AtomicWriteStep) => void;

let hook: FaultHook | undefined;

export function setFaultHook(next: FaultHook | undefined): void {
  hook = next;
}

export function faultPoint(step: AtomicWriteStep): void {
  if (hook !== undefined) hook(step);
}

/** What the Windows rename retry depends on, replaceable by a test on any platform. */
export interface RenameRetrySeam {
  /** Retry at all (default: only on Windows). */
  enabled: boolean;
  /** Waits `ms` milliseconds (default: a timer; the sync flavour blocks with Atomics.wait). */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  sleepSync?: ((ms: number) => void) | undefined;
  /** A number in [0, 1) for the jitter (default Math.random). */
  random?: (() => number) | undefined;
}

export const renameRetrySeam: RenameRetrySeam = { enabled: process.platform === 'win32' };

export function setRenameRetrySeam(next: Partial<RenameRetrySeam> | undefined): void {
  renameRetrySeam.enabled = next?.enabled ?? process.platform === 'win32';
  renameRetrySeam.sleep = next?.sleep;
  renameRetrySeam.sleepSync = next?.sleepSync;
  renameRetrySeam.random = next?.random;
}
