/**
 * Delays between attempts to take a busy lock: exponential, so that a long wait costs few
 * wake-ups, capped, so that a lock freed during a wait is noticed soon, and jittered, so that
 * processes that collided once do not wake in lock step and collide again.
 */
export interface BackoffOptions {
  /** First delay's upper bound in milliseconds. Default 5. */
  initialMs?: number;
  /** Cap on any delay in milliseconds. Default 100. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Source of uniform numbers in [0, 1). Default Math.random (jitter needs no cryptographic quality). */
  random?: () => number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #random: () => number;
  #ceiling: number;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 5;
    this.#maxMs = options.maxMs ?? 100;
    this.#factor = options.factor ?? 2;
    this.#random = options.random ?? Math.random;
    if (!(Number.isFinite(this.#initialMs) && this.#initialMs > 0)) {
      throw new TypeError(`initialMs must be a positive finite number, got ${String(options.initialMs)}`);
    }
    if (!(Number.isFinite(this.#maxMs) && this.#maxMs >= this.#initialMs)) {
      throw new TypeError(`maxMs must be a finite number >= initialMs, got ${String(options.maxMs)}`);
    }
    if (!(Number.isFinite(this.#factor) && this.#factor >= 1)) {
      throw new TypeError(`factor must be a finite number >= 1, got ${String(options.factor)}`);
    }
    this.#ceiling = this.#initialMs;
  }

  /**
   * The next delay: uniform in [ceiling/2, ceiling] ("equal jitter"), then the ceiling grows.
   * Keeping half of the ceiling guarantees progress towards the cap instead of a run of
   * near-zero sleeps that would spin on the filesystem.
   */
  next(): number {
    const ceiling = this.#ceiling;
    this.#ceiling = Math.min(this.#maxMs, ceiling * this.#factor);
    const unit = Math.min(Math.max(this.#random(), 0), 1);
    return ceiling / 2 + (unit * ceiling) / 2;
  }

  reset(): void {
    this.#ceiling = this.#initialMs;
  }
}
