/**
 * The largest process id the platform can ever hand out. A lock record naming a pid above it was
 * not written by a process of this host (or was written by something that is not hardfs), so
 * its pid says nothing about the holder: such a record is judged by its age alone.
 *
 * - Linux: PID_MAX_LIMIT, 4 × 1024 × 1024 on 64-bit kernels (include/linux/threads.h); the
 *   `kernel.pid_max` sysctl can be raised up to it at any time, so the sysctl's current value is
 *   not a bound on pids that may be alive. kill(2) answers ESRCH above any live pid.
 * - macOS: PID_MAX, 99 999 (bsd/sys/proc_internal.h).
 * - Windows and anything else: the positive range of a 32-bit pid_t, which is also all that
 *   Node's process.kill accepts (a larger number is a TypeError there, not an errno).
 */
const PLATFORM_MAX_PID: Partial<Record<NodeJS.Platform, number>> = {
  linux: 4 * 1024 * 1024,
  android: 4 * 1024 * 1024,
  darwin: 99_999,
};

const INT32_MAX = 2 ** 31 - 1;

export const MAX_PID: number = PLATFORM_MAX_PID[process.platform] ?? INT32_MAX;

/**
 * Whether `pid` can name a process on this platform, so that asking the kernel about it means
 * something. Zero and negative numbers are excluded too: kill(0 or negative, …) addresses
 * process groups, not one process.
 */
export function isPlatformPid(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 0 && pid <= MAX_PID;
}
