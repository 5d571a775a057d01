import type { Dirent } from '../sys/syscalls.js';

/**
 * What `readdir(path, { withFileTypes: true })` returns: node's Dirent shape, with the
 * caller's directory path (node's own Dirent would carry `/proc/self/fd/N`). Types are as
 * readdir reports them: a symlink is a symlink, never followed.
 */
export class SafeDirent {
  /** The entry's name (one path component). */
  readonly name: string;
  /** The caller's path of the directory that holds the entry. */
  readonly parentPath: string;
  readonly #kind: number;

  /** @internal */
  constructor(name: string, parentPath: string, kind: number) {
    this.name = name;
    this.parentPath = parentPath;
    this.#kind = kind;
  }

  /** Same as parentPath (node's deprecated alias). */
  get path(): string {
    return this.parentPath;
  }

  /** True for a regular file. */
  isFile(): boolean {
    return this.#kind === FILE;
  }
  /** True for a directory (a symlink to one is a symlink). */
  isDirectory(): boolean {
    return this.#kind === DIRECTORY;
  }
  /** True for a symlink (never followed). */
  isSymbolicLink(): boolean {
    return this.#kind === SYMLINK;
  }
  /** True for a FIFO (named pipe). */
  isFIFO(): boolean {
    return this.#kind === FIFO;
  }
  /** True for a Unix socket. */
  isSocket(): boolean {
    return this.#kind === SOCKET;
  }
  /** True for a block device. */
  isBlockDevice(): boolean {
    return this.#kind === BLOCK;
  }
  /** True for a character device. */
  isCharacterDevice(): boolean {

    return this.#kind === CHAR;
  }
}

const FILE = 1;
const DIRECTORY = 2;
const SYMLINK = 3;
const FIFO = 4;
const SOCKET = 5;
const BLOCK = 6;
const CHAR = 7;
const UNKNOWN = 0;

export function direntKind(dirent: Dirent): number {
  if (dirent.isFile()) return FILE;
  if (dirent.isDirectory()) return DIRECTORY;
  if (dirent.isSymbolicLink()) return SYMLINK;
  if (dirent.isFIFO()) return FIFO;
  if (dirent.isSocket()) return SOCKET;
  if (dirent.isBlockDevice()) return BLOCK;
  if (dirent.isCharacterDevice()) return CHAR;
  /* v8 ignore next -- node lstat()s a DT_UNKNOWN entry before it makes the Dirent: a type none of the above answers to does not reach here */
  return UNKNOWN;
}
