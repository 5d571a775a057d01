import type { SafeDir } from '../dir/safe-dir.js';
import { removeIfOwnedSync } from './owned-removal.js';

/** A lock file this process holds right now. */
export interface HeldEntry {
  readonly dir: SafeDir;
  readonly name: string;
  readonly token: string;
}

const held = new Set<HeldEntry>();
let exitHandlerInstalled = false;

/**
 * A process that ends normally (its event loop drains, or process.exit is called) while still
 * holding locks removes them on the way out, so that other processes do not have to wait for the
 * pid check or the heartbeat to age out. Only the 'exit' event is hooked: it runs synchronously,
 * hence the sync SafeDir methods. Signals are left alone — installing a SIGINT/SIGTERM handler
 * would change how the host program dies; a process killed by a signal is recovered by the pid
 * check instead. The handler is installed once, lazily, on the first lock taken.
 */
export function trackHeld(entry: HeldEntry): void {
  held.add(entry);
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    process.on('exit', releaseAllHeldSync);
  }
}

export function untrackHeld(entry: HeldEntry): void {
  held.delete(entry);
}

/** Number of locks this process holds (for tests). */
export function heldLockCount(): number {
  return held.size;
}

/* v8 ignore start -- runs in a process 'exit' handler; file-lock.processes.test.ts exercises it in child processes */
function releaseAllHeldSync(): void {
  for (const entry of held) {
    try {
      removeIfOwnedSync(entry.dir, entry.name, entry.token);
    } catch {
      // Nothing can be reported from an exit handler, and one failure (a closed SafeDir, a file
      // already gone) must not stop the others from being released.
    }
  }
  held.clear();
}
/* v8 ignore stop */
