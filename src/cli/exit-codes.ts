/** Exit statuses, the same for every command (documented in --help). */
export const EXIT_OK = 0;
/** Findings or problems remain (audit, verify), a store failed (migrate), a key is missing (inspect). */
export const EXIT_FINDINGS = 1;
/** Bad usage, or a path the command cannot work on at all. */
export const EXIT_USAGE = 2;
