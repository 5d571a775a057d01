/**
 * Holding libuv's thread pool at a known instant, for tests that must act between two steps of an
 * operation (one made inline on the event loop, the next one queued on the pool) without sleeps
 * or fs mocks. Linux (mkfifo) and io_uring off (Node's default) are assumed.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** The number of libuv thread-pool threads of this process (UV_THREADPOOL_SIZE, default 4). */
export function threadPoolSize(): number {
  const configured = Number.parseInt(process.env['UV_THREADPOOL_SIZE'] ?? '', 10);
  return Number.isInteger(configured) && configured > 0 ? Math.min(configured, 1024) : 4;
}

/** Resolves at the event loop's next check phase. */
export function nextTurn(): Promise<void> {
  return new Promise((done) => setImmediate(done));
}

/**
 * Gates on libuv's thread pool: each gate is a FIFO whose open for reading blocks one pool
 * thread until the gate is released (a writer appears). Work queued after the gates cannot
 * start while they hold every thread, since the pool takes its work in submission order;
 * syscalls made inline on the event loop are not affected.
 */
export class PoolGates {
  readonly #base: string;
  readonly #held: { fifo: string; reader: Promise<FileHandle>; writer: number | undefined }[] = [];
  #released: Promise<void> | undefined;

  constructor(base: string) {
    this.#base = base;
  }

  /** Queues `count` more gates; returns their indexes. */
  add(count: number): number[] {
    const indexes: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const fifo = join(this.#base, `gate-${this.#held.length}`);
      execFileSync('mkfifo', [fifo]);
      indexes.push(this.#held.length);
      this.#held.push({ fifo, reader: open(fifo, 'r'), writer: undefined });
    }
    return indexes;
  }

  /** Lets gate `index` through (O_RDWR on a FIFO never blocks and counts as a writer). */
  release(index: number): void {
    const gate = this.#held[index];
    if (gate !== undefined && gate.writer === undefined) gate.writer = openSync(gate.fifo, constants.O_RDWR);
  }

  /** Releases every gate and closes every descriptor the gates used (once; later calls share it). */
  releaseAll(): Promise<void> {
    this.#released ??= (async () => {
      this.#held.forEach((_, index) => this.release(index));
      for (const gate of this.#held) await (await gate.reader).close();
      for (const gate of this.#held) if (gate.writer !== undefined) closeSync(gate.writer);
    })();
    return this.#released;
  }
}
