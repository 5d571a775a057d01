import { describe, expect, it } from 'vitest';
import { storeIn, editBehindTheStoresBack } from '../store/support.js';

describe('getUpdatedAt', () => {
  it('is undefined when the stored updatedAt is not a number', async () => {
    const { dir, store } = await storeIn();
    editBehindTheStoresBack(dir, 'k', { updatedAt: 'yesterday' }, 1);
    const entry = await store.get('k');
    if (entry !== undefined) {
      // Only a stored entry can tell: a loader that refuses such files leaves nothing to ask.
      expect(await store.getUpdatedAt('k')).toBeUndefined();
    }
    await store.update('n', () => ({ updatedAt: 7 }));
    expect(await store.getUpdatedAt('n')).toBe(7);
  });
});
