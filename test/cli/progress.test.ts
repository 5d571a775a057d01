import { describe, expect, it } from 'vitest';
import { ProgressBar, type ProgressStream } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean): ProgressStream & { chunks: string[] } {
  const chunks: string[] = [];
  return { isTTY, columns: 60, chunks, write: (chunk: string) => chunks.push(chunk) > 0 };
}

describe('ProgressBar', () => {
  it('draws in place on a terminal for a large store, throttled, and clears the line at the end', () => {
    const stream = fakeStream(true);
    let now = 0;
    const bar = new ProgressBar(stream, { label: 'main', now: () => now });
    for (let done = 1; done <= 1000; done += 1) {
      now += 1; // 1 ms per entry: one redraw per 100 entries, plus the last
      bar.update(done, 1000);
    }
    bar.finish();
    expect(stream.chunks.length).toBeGreaterThan(5);
    expect(stream.chunks.length).toBeLessThan(15);
    expect(stream.chunks.every((chunk) => chunk.startsWith('\r\u001b[K'))).toBe(true);
    expect(stream.chunks.at(-2)).toContain('100% 1000/1000');
    expect(stream.chunks.at(-2)).toMatch(/^\r\u001b\[Kmain \[#+\]/);
    expect(stream.chunks.at(-1)).toBe('\r\u001b[K');
    expect(Math.max(...stream.chunks.map((chunk) => chunk.length - 4))).toBeLessThanOrEqual(60);
  });

  it('stays silent off a terminal, and for stores of 200 entries or fewer', () => {
    for (const [isTTY, total] of [[false, 5000], [true, 200]] as const) {
      const stream = fakeStream(isTTY);
      const bar = new ProgressBar(stream, { label: 'x' });
      for (let done = 1; done <= total; done += 1) bar.update(done, total);
      bar.finish();
      expect(stream.chunks).toEqual([]);
    }
  });

  it('never writes a control character from the label', () => {
    const stream = fakeStream(true);
    const bar = new ProgressBar(stream, { label: 'evil\u001b]0;title\u0007' });
    bar.update(300, 300);
    expect(stream.chunks[0]?.slice(4)).not.toMatch(/[\u0000-\u001f]/);
  });
});
