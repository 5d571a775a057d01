/**
 * A test-only seam: the atomic write calls `faultPoint(step)` before each syscall so a test
 * can make exactly that step fail against the real filesystem. Not exported from the package
 * root; with no hook installed it is a single undefined check.
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
