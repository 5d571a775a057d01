import { expect } from 'vitest';
import { HardfsError, type HardfsErrorCode } from '../../src/errors.js';

/** Runs `fn`, which must throw a HardfsError with `code`; returns it for further checks. */
export function expectHardfsError(fn: () => unknown, code: HardfsErrorCode): HardfsError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code}`).toBeInstanceOf(HardfsError);
  expect((thrown as HardfsError).code).toBe(code);
  return thrown as HardfsError;
}
