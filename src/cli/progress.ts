import type { CliStream } from './io.js';
import { printable } from './output.js';

/** What a progress bar needs from a stream: the command's stderr (CliIo), or a fake in tests. */
export type ProgressStream = CliStream;

export interface ProgressOptions {
  label: string;
  /** Only stores with more entries than this get a bar. Default 200. */
  threshold?: number;
  /** Minimum time between redraws. Default 100 ms. */
  intervalMs?: number;
  now?: () => number;
}

/**
 * A one-line progress bar, redrawn in place with \r, only on a terminal and only for work large
 * enough to be worth watching: pipes and logs never see control characters.
 */
export class ProgressBar {
  readonly #stream: ProgressStream;
  readonly #label: string;
  readonly #threshold: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #active: boolean | undefined;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #drawn = false;

  constructor(stream: ProgressStream, options: ProgressOptions) {
    this.#stream = stream;
    this.#label = printable(options.label);
    this.#threshold = options.threshold ?? 200;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#now = options.now ?? Date.now;
  }

  /** Suits migrateSessionStoreToDirectory's onProgress(done, total). */
  update(done: number, total: number): void {
    this.#active ??= this.#stream.isTTY === true && total > this.#threshold;
    if (!this.#active) return;
    const now = this.#now();
    if (done < total && now - this.#lastDraw < this.#intervalMs) return;
    this.#lastDraw = now;
    this.#stream.write(`\r\x1b[K${this.#render(done, total)}`);
    this.#drawn = true;
  }

  /** Clears the line, so that what follows starts on a clean one. */
  finish(): void {
    if (this.#drawn) this.#stream.write('\r\x1b[K');
    this.#drawn = false;
  }

  #render(done: number, total: number): string {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const counts = `${done}/${total}`;
    // Some pseudo-terminals report 0 columns.
    const columns = this.#stream.columns !== undefined && this.#stream.columns > 0 ? this.#stream.columns : 80;
    const width = Math.max(10, Math.min(40, columns - counts.length - 16));
    const filled = Math.round(fraction * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${counts}`;
    const room = columns - bar.length - 2;
    const label = room <= 3 ? '' : this.#label.length > room ? `...${this.#label.slice(-(room - 3))}` : this.#label;
    return label.length > 0 ? `${label} ${bar}` : bar;
  }
}
