import { resolve } from 'node:path';

/** What the CLI writes to: process.stdout / process.stderr in the bin, a capture in tests. */
export interface CliStream {
  /** Only a terminal gets a progress bar (src/cli/progress.ts). */
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

/**
 * What a command takes from its process, passed down instead of read from `process`: where its
 * output goes and what a relative path is relative to. The bin passes the process's own
 * (src/cli/main.ts); tests run the same commands in-process with a capture and a directory of
 * their own (process.chdir is refused in worker threads, and would leak between tests).
 */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  /** An absolute directory: relative path arguments are resolved against it. */
  cwd: string;
}

/**
 * A path argument resolved against the command's working directory. '' is passed on as it is,
 * so that openDir refuses it (EBADNAME) rather than opening the working directory.
 */
export function fromCwd(io: CliIo, path: string): string {
  return path === '' ? path : resolve(io.cwd, path);
}
