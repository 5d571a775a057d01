/**
 * A native error raised by a syscall on `/proc/self/fd/<fd>/…` names that path, which means
 * nothing to the caller. This rewrites `message`, `path` and `dest` to the caller's paths (the
 * root's path joined with the relative path), keeping `code`, `errno`, `syscall` and the stack.
 * `nameOf(fd)` gives the display path of a descriptor the operation resolved through.
 */
export function renameDescriptorPaths(error: unknown, nameOf: (fd: number) => string | undefined): void {
  if (typeof error !== 'object' || error === null) return;
  const native = error as NodeJS.ErrnoException & { dest?: string };
  const rewrite = (value: string): string =>
    value.replace(DESCRIPTOR_PATH, (whole, fd: string) => nameOf(Number(fd)) ?? whole);
  if (typeof native.path === 'string' && native.path.startsWith(PREFIX)) native.path = rewrite(native.path);
  if (typeof native.dest === 'string' && native.dest.startsWith(PREFIX)) native.dest = rewrite(native.dest);
  // The message quotes path and dest; a message naming no descriptor path comes back unchanged.
  if (typeof native.message === 'string') native.message = rewrite(native.message);
}

const PREFIX = '/proc/self/fd/';
const DESCRIPTOR_PATH = /\/proc\/self\/fd\/(\d+)/g;
