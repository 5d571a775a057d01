import { closeSync } from '../sys/syscalls.js';

/**
 * A root holds a raw descriptor, not a FileHandle: a FileHandle collected unclosed makes Node
 * print DEP0137 (and closes it from a finalizer anyway). A root that is garbage-collected
 * without close() has its descriptor closed here instead: no warning, no leak. close()
 * unregisters first, so a descriptor number is never closed twice (after reuse by another open).
 */
const registry = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing to release.
  }
});

export function releaseOnCollect(owner: object, fd: number): void {
  registry.register(owner, fd, owner);
}

export function forgetOnClose(owner: object): void {
  registry.unregister(owner);
}
