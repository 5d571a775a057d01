// Waiting that an AbortSignal can cut short, without leaking timers or listeners.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortableSleep } from '../../src/locks/abortable-sleep.js';
import { caught } from '../support/tmp.js';
import { isPending } from './support.js';

describe('abortableSleep', () => {
  it('resolves after the delay', async () => {
    await expect(abortableSleep(1)).resolves.toBeUndefined();
  });

  it('rejects with the reason of an already aborted or later aborted signal, and detaches its listener', async () => {
    const reason = new Error('stop');
    await expect(abortableSleep(10, AbortSignal.abort(reason))).rejects.toBe(reason);
    const controller = new AbortController();
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);

    const shared = new AbortController();
    let added = 0;
    let removed = 0;
    const add = shared.signal.addEventListener.bind(shared.signal);
    const remove = shared.signal.removeEventListener.bind(shared.signal);
    shared.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added += 1;
      add(...args);
    }) as typeof add;
    shared.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed += 1;
      remove(...args);
    }) as typeof remove;
    for (let i = 0; i < 5; i += 1) await abortableSleep(0, shared.signal);
    expect(added).toBe(5);
    expect(removed).toBe(5);
  });
});

describe('abortableSleep: timer and listener hygiene', () => {
  it('waits for a positive delay rather than resolving at once', async () => {
    const controller = new AbortController();
    const slept = abortableSleep(10_000, controller.signal);
    expect(await isPending(slept)).toBe(true);
    controller.abort(new Error('done'));
    await expect(slept).rejects.toThrow('done');
  });

  it('removes its abort listener once the delay has passed', async () => {
    const signal = new AbortController().signal;
    await abortableSleep(1, signal);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('leaves no abort listener behind after an abort', async () => {
    const controller = new AbortController();
    const slept = abortableSleep(10_000, controller.signal);
    const reason = new Error('stop');
    controller.abort(reason);
    expect(await caught(slept)).toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
