// Model-based property test of the change log: random interleavings of appends (random valid
// records, unicode included), reads by several independent readers and rotations, on a real
// temp directory with small rotateBytes / maxReadBytes. Everything runs in one process and
// every operation is awaited, so the log's content is fully determined and the model predicts
// it exactly: which generation is current, which records it holds, what every read returns.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openChangeLog, openDir, type ChangeLog, type ChangeLogCursor, type ChangeLogRead } from '../../src/index.js';
import { fcParams, fcRuns } from '../support/fc.js';
import { useTempDirs } from '../support/tmp.js';
import { HEADER_BYTES, HEADER_PATTERN } from './harness.js';

const tempDir = useTempDirs();


type Op =
  | { kind: 'append'; by: number; text: string }
  | { kind: 'rotate'; by: number }
  | { kind: 'read'; reader: number };

/** A record: any non-empty text without a newline (code points of every plane, graphemes, controls). */
const recordText = fc
  .oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
    fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 30 }),
    fc.constantFrom('é', '😀', 'a😀é', '\r', '\t', '\u0000', ' '),
  )
  .map((text) => text.replaceAll('\n', '␤'));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), by: fc.integer({ min: 0, max: 1 }), text: recordText }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rotate' as const), by: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), reader: fc.integer({ min: 0, max: 2 }) }) },
);

interface Generation {
  id: string;
  records: string[];
  bytes: number; // of the records, newlines included, header excluded
}

interface ReaderModel {
  cursor: ChangeLogCursor | undefined;
  /** Index in the current generation's records of the next record this reader should get. */
  next: number;
  /** What it received since its last reset, and where in that generation the reset was. */
  sinceReset: string[];
  resetAt: number;
  resetGeneration: string | undefined;
  everything: Set<string>;
  resets: number;
}

function onDisk(path: string): { id: string; records: string[] } {
  const text = readFileSync(path, 'utf8');
  const match = HEADER_PATTERN.exec(text);
  if (match === null) throw new Error(`no valid header: ${JSON.stringify(text.slice(0, 80))}`);
  const lines = text.slice(HEADER_BYTES).split('\n');
  expect(lines.pop()).toBe(''); // never a partial line: every append here is awaited
  return { id: match[1]!, records: lines };
}

describe('change log model', () => {
  it('every reader gets exactly the records of the current generation since its reset, never twice, never torn', async () => {
    // What the runs went through, to check that the interesting cases were really exercised.
    const seen = { start: 0, rotated: 0, backlog: 0, foreignRotation: 0, staleAppend: 0, records: 0 };
    await fc.assert(
      fc.asyncProperty(
        // rotateBytes: from "every append rotates" to a few dozen records per generation.
        fc.integer({ min: HEADER_BYTES, max: 1000 }),
        // maxReadBytes: often small enough that a reader left behind gets a backlog reset.
        fc.oneof(fc.integer({ min: HEADER_BYTES, max: 150 }), fc.integer({ min: HEADER_BYTES, max: 2000 })),
        fc.integer({ min: 2, max: 3 }),
        fc.array(opArb, { minLength: 1, maxLength: 80, size: 'medium' }),
        async (rotateBytes, maxReadBytes, readerCount, ops) => {
          const base = await tempDir();
          const path = join(base, 'log');
          const dir = await openDir(base);
          // Instances 0 and 1 append, rotate and read; instance 2 only reads. Reader r reads
          // through instance r, so readers see rotations done by their own instance and by others.
          const logs: ChangeLog[] = [];
          try {
            for (let i = 0; i < 3; i += 1) logs.push(await openChangeLog(dir, 'log', { rotateBytes, maxReadBytes }));
            let generation: Generation = { id: onDisk(path).id, records: [], bytes: 0 };
            // The generation each instance last had open, as far as the model can tell.
            const held: Array<string | undefined> = logs.map(() => generation.id);
            const generationsSeen = new Set([generation.id]);
            const rotated = (): void => {
              const { id, records } = onDisk(path);
              expect(generationsSeen.has(id), 'a rotation makes a new generation').toBe(false);
              expect(records).toEqual([]);
              generationsSeen.add(id);
              generation = { id, records: [], bytes: 0 };
            };
            const readers: ReaderModel[] = Array.from({ length: readerCount }, () => ({
              cursor: undefined,
              next: 0,
              sinceReset: [],
              resetAt: 0,
              resetGeneration: undefined,
              everything: new Set<string>(),
              resets: 0,
            }));
            let serial = 0;

            for (const op of ops) {
              if (op.kind === 'append') {
                const record = `${op.text}#${serial}`;
                serial += 1;
                if (held[op.by] !== undefined && held[op.by] !== generation.id) seen.staleAppend += 1; // must re-append
                await logs[op.by]!.append(record);
                held[op.by] = generation.id;
                generation.records.push(record);
                generation.bytes += Buffer.byteLength(record) + 1;
                if (HEADER_BYTES + generation.bytes > rotateBytes) {
                  rotated();
                  held[op.by] = undefined; // it rotated, dropping its descriptor
                } else {
                  expect(onDisk(path)).toEqual({ id: generation.id, records: generation.records });
                }
              } else if (op.kind === 'rotate') {
                await logs[op.by]!.rotate();
                rotated();
                held[op.by] = undefined;
              } else {
                const which = op.reader % readerCount;
                const reader = readers[which]!;
                const result: ChangeLogRead = await logs[which]!.read(reader.cursor);
                const heldBefore = held[which];
                if (heldBefore !== undefined && heldBefore !== generation.id) seen.foreignRotation += 1;
                held[which] = generation.id;
                const end: ChangeLogCursor = { generation: generation.id, offset: HEADER_BYTES + generation.bytes, partial: false };
                const unread = reader.cursor === undefined ? 0 : HEADER_BYTES + generation.bytes - reader.cursor.offset;
                if (reader.cursor === undefined || reader.cursor.generation !== generation.id || unread > maxReadBytes) {
                  expect(result.reset, JSON.stringify(result)).toBe(true);
                  if (!result.reset) throw new Error('unreachable');
                  if (reader.cursor === undefined) expect(result.reason).toBe('start');
                  else if (reader.cursor.generation === generation.id) expect(result.reason).toBe('backlog');
                  // After a rotation, whoever did it and whatever the reader's instance held open.
                  else expect(result.reason).toBe('rotated');
                  expect(result.cursor).toEqual(end);
                  reader.sinceReset = [];
                  reader.resetAt = generation.records.length;
                  reader.resetGeneration = generation.id;
                  reader.resets += 1;
                  if (result.reason !== 'corrupt') seen[result.reason] += 1;
                } else {
                  expect(result.reset, JSON.stringify(result)).toBe(false);
                  if (result.reset) throw new Error('unreachable');
                  expect(result.records).toEqual(generation.records.slice(reader.next));
                  expect(result.cursor).toEqual(end);
                  for (const record of result.records) {
                    expect(reader.everything.has(record), `${record} returned twice`).toBe(false);
                    reader.everything.add(record);
                  }
                  reader.sinceReset.push(...result.records);
                  seen.records += result.records.length;
                }
                reader.cursor = result.cursor;
                reader.next = generation.records.length;
                // The invariant, stated directly: since its reset, this reader got exactly the
                // records appended to this generation after the reset's cursor.
                expect(reader.resetGeneration).toBe(generation.id);
                expect(reader.sinceReset).toEqual(generation.records.slice(reader.resetAt, reader.next));
              }
            }
          } finally {
            for (const log of logs) await log.close();
            await dir.close();
          }
        },
      ),
      fcParams(100),
    );
    if (fcRuns(100) >= 50) {
      for (const [what, count] of Object.entries(seen)) expect(count, `${what} never happened: ${JSON.stringify(seen)}`).toBeGreaterThan(0);
    }
  });
});
