// Shared helpers for the benchmarks: robust summaries (medians of rounds, pooled percentiles)
// and an aligned plain-text table. Benchmarks report; they never assert.
import { performance } from 'node:perf_hooks';

export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/**
 * Runs `concurrency` loops that each call `op(worker, i)` `perWorker` times, and returns the
 * wall time, the throughput and every operation's latency in milliseconds.
 */
export async function measure(op, { concurrency = 1, perWorker }) {
  const latencies = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; i < perWorker; i += 1) {
        const t0 = performance.now();
        await op(worker, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  return { elapsedMs, opsPerSec: (latencies.length * 1000) / elapsedMs, latencies };
}

export function formatNumber(value, digits = 2) {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

export function printTable(title, columns, rows) {
  const cells = [columns, ...rows.map((row) => columns.map((column) => String(row[column] ?? '')))];
  const widths = columns.map((_, c) => Math.max(...cells.map((line) => line[c].length)));
  const render = (line) => line.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(`\n${title}`);
  console.log(render(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of cells.slice(1)) console.log(render(line));
}

export function roundsFromEnv(fallback) {
  const raw = process.env.HARDFS_BENCH_ROUNDS;
  const parsed = raw ? Number(raw) : fallback;
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

/**
 * Like measure(), but each of `concurrency` loops runs until `durationMs` has passed (at least
 * `minOps` operations each, at most `maxOps`), so slow contenders (the legacy store at 5,000
 * entries of 64 KiB) and fast ones both get a bounded, meaningful sample.
 */
export async function measureFor(op, { concurrency = 1, durationMs = 1000, minOps = 3, maxOps = 100_000 }) {
  const latencies = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; i < maxOps && (i < minOps || performance.now() - start < durationMs); i += 1) {
        const t0 = performance.now();
        await op(worker, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  return { elapsedMs, opsPerSec: (latencies.length * 1000) / elapsedMs, latencies };
}

/** Median wall time in ms of `runs` sequential calls of `op`. */
export async function medianTime(op, runs = 5) {
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    await op(i);
    times.push(performance.now() - t0);
  }
  return median(times);
}
