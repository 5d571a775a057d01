import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { errnoCode } from '../errors.js';
import { isPlatformPid } from './pid-range.js';

/**
 * Who holds a lock, in terms another process on the same machine can check: pid, host name and
 * — where the platform tells — the process start time. A pid alone is not an identity: pids are
 * recycled, and a lock left by a dead process whose pid now belongs to an unrelated one would
 * otherwise look alive forever (until its heartbeat ages out). The start time tells them apart.
 */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** Opaque start-time stamp (Linux: clock ticks since boot, field 22 of /proc/<pid>/stat). */
  start?: string;
}

/**
 * 'unknown': the pid cannot be asked about on this platform (above its pid range) or the kernel
 * gave no usable answer. The caller then judges the record by its age, as for another host.
 */
export type Liveness = 'alive' | 'dead' | 'recycled' | 'unknown';

interface ProcStat {
  state: string;
  start: string;
}

/**
 * Parses /proc/<pid>/stat. Field 2 (comm) is the executable name in parentheses and may itself
 * contain spaces and parentheses, so fields are counted from the last ')'; the text after it
 * starts with field 3 (state), which makes field 22 (starttime) index 19.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const state = fields[0];
  const start = fields[19];
  if (state === undefined || start === undefined || !/^\d+$/.test(start)) return undefined;
  return { state, start };
}

/** Reads /proc/<pid>/stat; undefined where there is no procfs or it is not readable. 'gone' if the pid has no entry. */
async function readProcStat(pid: number): Promise<ProcStat | 'gone' | undefined> {
  /* v8 ignore next -- not Linux: no procfs */
  if (process.platform !== 'linux') return undefined;
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    // ENOENT/ESRCH: no such process. Anything else (hidepid mounts, no procfs in a sandbox)
    // just means the platform does not tell, and the caller falls back to kill(pid, 0).
    const code = errnoCode(error);
    return code === 'ENOENT' || code === 'ESRCH' ? 'gone' : undefined;
  }
  return parseProcStat(text);
}

let ownIdentity: Promise<ProcessIdentity> | undefined;

/** This process's identity, computed once (the host name is read once too: it names the record, not the moment). */
export function currentProcessIdentity(): Promise<ProcessIdentity> {
  ownIdentity ??= (async () => {
    const stat = await readProcStat(process.pid);
    const identity: ProcessIdentity = { pid: process.pid, host: hostname() };
    if (stat !== undefined && stat !== 'gone') identity.start = stat.start;
    return identity;
  })();
  return ownIdentity;
}

/** A pid worth asking the kernel about: kill(0 or negative, …) would address process groups. */
export function isValidPid(pid: unknown): pid is number {
  return typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0;
}

/**
 * Whether the process recorded as `pid` (with start stamp `start`, if recorded) still runs on
 * this host. Only meaningful for a record written on this host; the caller checks that.
 *
 * kill(pid, 0) sends nothing: ESRCH means no such process, EPERM means it exists but belongs to
 * another user (so it is alive). A zombie (state Z, killed but not yet reaped by its parent)
 * still answers kill(pid, 0), yet it will never release anything: it counts as dead.
 *
 * Never throws: a pid outside the platform's range (pid-range.ts) is not handed to the kernel at
 * all — process.kill throws a TypeError for numbers beyond a 32-bit pid_t — and any answer
 * other than ESRCH or EPERM is 'unknown', never an exception that would make the lock
 * unjudgeable (and so untakeable) forever.
 */
export async function processLiveness(pid: number, start: string | undefined): Promise<Liveness> {
  if (!isPlatformPid(pid)) return 'unknown';
  try {
    process.kill(pid, 0);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ESRCH') return 'dead';
    if (code !== 'EPERM') return 'unknown';
  }
  const stat = await readProcStat(pid);
  if (stat === 'gone') return 'dead';
  if (stat === undefined) return 'alive';
  if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return 'dead';
  if (start !== undefined && stat.start !== start) return 'recycled';
  return 'alive';
}
