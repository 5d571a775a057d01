import type { DirPolicy } from '../index.js';

/**
 * audit and verify must open an insecure directory in order to REPORT it: every ownership and
 * permission check is relaxed (symlinks and non-directories are still refused by openDir and
 * openSubdir). Nothing opened this way is written to, except --fix's fchmod.
 */
export const REPORTING_POLICY: DirPolicy = {
  allowOtherOwner: true,
  allowGroupWritable: true,
  allowWorldWritable: true,
};
