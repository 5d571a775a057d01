// The platform's pid range: which pids the kernel can be asked about at all.
import { describe, expect, it } from 'vitest';
import { MAX_PID, isPlatformPid } from '../../src/locks/pid-range.js';
import { processLiveness } from '../../src/locks/process-identity.js';

describe('the platform pid range', () => {
  it('holds the pids the kernel can give, and not what kill() would refuse or misread', () => {
    expect(isPlatformPid(process.pid)).toBe(true);
    expect(isPlatformPid(1)).toBe(true);
    expect(isPlatformPid(MAX_PID)).toBe(true);
    for (const pid of [0, -1, 1.5, Number.NaN, MAX_PID + 1, 2 ** 31, 2 ** 53]) expect(isPlatformPid(pid)).toBe(false);
    expect(MAX_PID).toBeLessThanOrEqual(2 ** 31 - 1);
    if (process.platform === 'linux') expect(MAX_PID).toBe(4 * 1024 * 1024);
  });

  it('processLiveness answers "unknown" for a pid outside it, instead of throwing from process.kill', async () => {
    // process.kill(2147483648, 0) throws TypeError [ERR_INVALID_ARG_TYPE]: not an answer.
    expect(() => process.kill(2 ** 31, 0)).toThrow(TypeError);
    for (const pid of [2 ** 31, 2 ** 53 - 1, MAX_PID + 1, 0, -1, 1.5]) {
      expect(await processLiveness(pid, undefined)).toBe('unknown');
    }
  });
});
