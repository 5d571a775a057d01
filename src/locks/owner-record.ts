import { randomBytes } from 'node:crypto';
import { parseJsonSafe } from '../objects/parse-json-safe.js';
import { isValidPid, type ProcessIdentity } from './process-identity.js';

/**
 * The content of a lock file: who created it. The token is the lock's identity — pids and hosts
 * only help judge whether the holder is gone, but ownership (release, takeover verification) is
 * always decided by comparing tokens, which no other holder can produce by accident.
 */
export interface OwnerRecord {
  v: 1;
  token: string;
  pid: number;
  host: string;
  /** Process start stamp, where the platform gives one (see process-identity.ts). */
  start?: string;
  /** Creation time, ms since the epoch. For humans and messages; staleness uses the file's mtime (the heartbeat). */
  time: number;
}

/** A record is a few hundred bytes; anything larger is not one of ours and is not read further. */
export const MAX_RECORD_BYTES = 4096;

/**
 * Tokens are cut from a buffer of random bytes filled 64 tokens at a time: every acquisition
 * needs one, and a call into the CSPRNG per token is a visible part of an uncontended lock's
 * CPU time. The bytes are the same CSPRNG output, each used once.
 */
const TOKEN_BYTES = 16;
const POOL_TOKENS = 64;
let pool = Buffer.alloc(0);
let poolOffset = 0;

export function newToken(): string {
  if (poolOffset >= pool.length) {
    pool = randomBytes(TOKEN_BYTES * POOL_TOKENS);
    poolOffset = 0;
  }
  const token = pool.toString('hex', poolOffset, poolOffset + TOKEN_BYTES);
  poolOffset += TOKEN_BYTES;
  return token;
}

export function createOwnerRecord(token: string, identity: ProcessIdentity, time: number = Date.now()): OwnerRecord {
  const record: OwnerRecord = { v: 1, token, pid: identity.pid, host: identity.host, time };
  if (identity.start !== undefined) record.start = identity.start;
  return record;
}

export function serializeOwnerRecord(record: OwnerRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * The record in `bytes`, or undefined if they are not a complete, well-formed record. Undefined
 * is not an error: a holder that died between creating the file and writing it leaves an empty
 * file, and a crash without fsync can leave garbage; the caller treats such a file as stale once
 * it is older than a grace period. Only known fields are read, each type-checked, so nothing in a
 * crafted file reaches a prototype or a kill(2) with a process-group pid.
 */
export function parseOwnerRecord(bytes: Uint8Array | string): OwnerRecord | undefined {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
  // Stryker disable next-line LogicalOperator: parseJsonSafe refuses '' and over 4096 bytes all the same, so no check at all returns undefined for the same texts
  if (text.length === 0 || text.length > MAX_RECORD_BYTES) return undefined;
  let value: unknown;
  try {
    // The safe parser: a crafted record cannot reach a prototype or nest without bound.
    // Blocked keys are dropped like any other unknown field: only the known fields are read.
    value = parseJsonSafe(text, { maxBytes: MAX_RECORD_BYTES, maxDepth: 4, onBlockedKey: 'drop' });
    // Stryker disable next-line BlockStatement: an empty catch leaves value undefined, which the object check below refuses as well
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const { v, token, pid, host, start, time } = raw;
  if (v !== 1) return undefined;
  if (typeof token !== 'string' || !/^[0-9a-f]{16,128}$/.test(token)) return undefined;
  if (!isValidPid(pid)) return undefined;
  if (typeof host !== 'string' || host.length === 0 || host.length > 255) return undefined;
  if (start !== undefined && (typeof start !== 'string' || !/^\d{1,20}$/.test(start))) return undefined;
  if (typeof time !== 'number' || !Number.isFinite(time)) return undefined;
  const record: OwnerRecord = { v: 1, token, pid, host, time };
  if (start !== undefined) record.start = start;
  return record;
}

/**
 * "pid 123 on this host since 2024-…": how a holder is named in errors. The host name is file
 * content (anyone who can write the lock directory can put any string there), so it is never
 * quoted: the record's host is only compared with `localHost`. The pid is a validated positive
 * integer and the time a date made from a finite number.
 */
export function describeOwner(record: OwnerRecord | undefined, localHost: string): string {
  if (record === undefined) return 'an unreadable or incomplete lock record (a holder may be writing it, or died doing so)';
  const since = new Date(record.time);
  const when = Number.isNaN(since.getTime()) ? '' : ` since ${since.toISOString()}`;
  return `pid ${record.pid} on ${record.host === localHost ? 'this host' : 'another host'}${when}`;
}
