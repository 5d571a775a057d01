// How long this process has seen a lock file unchanged: the age that no clock skew can fake.
import { describe, expect, it } from 'vitest';
import { observeUnchanged, observedCount } from '../../src/locks/observed-age.js';

describe('observeUnchanged: the observation table', () => {
  const print = (ino: bigint, mtimeNs = 5n) => ({ dev: 1n, ino, size: 10n, mtimeNs, ctimeNs: 7n, content: 'x' });

  it('counts from the first look, and starts again when anything changes', () => {
    expect(observeUnchanged(print(900_001n), 1_000)).toBe(0);
    expect(observeUnchanged(print(900_001n), 1_250)).toBe(250);
    expect(observeUnchanged(print(900_001n, 6n), 1_300)).toBe(0);
    expect(observeUnchanged(print(900_001n, 6n), 1_400)).toBe(100);
    expect(observeUnchanged({ ...print(900_001n, 6n), content: 'y' }, 1_500)).toBe(0);
    expect(observeUnchanged({ ...print(900_001n, 6n), content: 'y', ctimeNs: 8n }, 1_600)).toBe(0);
    expect(observeUnchanged({ ...print(900_001n, 6n), content: 'y', ctimeNs: 8n, size: 11n }, 1_700)).toBe(0);
  });

  it('is bounded: tracking many files forgets the oldest, so that file starts again from 0', () => {
    expect(observeUnchanged(print(800_000n), 0)).toBe(0);
    for (let i = 1n; i <= 1100n; i += 1n) observeUnchanged(print(800_000n + i), 10);
    expect(observedCount()).toBeLessThanOrEqual(1024);
    expect(observeUnchanged(print(800_000n), 50)).toBe(0);
    expect(observeUnchanged(print(801_100n), 60)).toBe(50);
  });
});
