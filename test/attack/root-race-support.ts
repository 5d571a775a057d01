// Shared pieces of the root race tests: attackers written inline (small CommonJS programs run
// with `node -e`), an outside tree to hash, and descriptor counting. Not a test file itself.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

export interface InlineAttacker {
  /** Writes the stop file, waits for the child to exit, and returns its last JSON line. */
  stop(): Promise<Record<string, number>>;
}

/** Runs `source` (CommonJS; its arguments are `process.argv.slice(1)`) until `stopFile` appears. */
export async function startInline(source: string, args: string[], stopFile: string): Promise<InlineAttacker> {
  const child = spawn(process.execPath, ['-e', source, ...args]);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    void closed.then((code) => reject(new Error(`attacker exited (${code}) before starting: ${err}`)));
  });
  return {
    async stop() {
      writeFileSync(stopFile, '');
      const code = await closed;
      if (code !== 0) throw new Error(`attacker failed (${code}): ${err}`);
      return JSON.parse(out.trim().split('\n').pop() as string) as Record<string, number>;
    },
  };
}

/**
 * Swaps every intermediate component of `levels` (paths under the root, outermost first) for a
 * symlink to the same path under `outside` — absolute on even rounds, relative on odd ones —
 * and back, in a tight loop. argv: root, outside, stop file, levels...
 */
export const COMPONENT_SWAPPER = `
const fs = require('node:fs');
const path = require('node:path');
const [root, outside, stopFile, ...levels] = process.argv.slice(1);
let swaps = 0, errors = 0;
const deadline = Date.now() + 60000;
process.stdout.write('ready\\n');
for (let i = 0; !fs.existsSync(stopFile) && Date.now() < deadline; i += 1) {
  const level = levels[i % levels.length];
  const real = path.join(root, level);
  const away = real + '.away';
  const depth = level.split('/').length;
  const target = i % 2 === 0 ? path.join(outside, level) : '../'.repeat(depth) + 'outside/' + level;
  try {
    fs.renameSync(real, away);
    try {
      fs.symlinkSync(target, real);
      swaps += 1;
      fs.unlinkSync(real);
    } finally {
      fs.renameSync(away, real);
    }
  } catch { errors += 1; }
}
console.log(JSON.stringify({ swaps, errors }));
`;

/** Renames `from` to `to` and back in a tight loop (Go's TestRootRaceRenameDir). argv: from, to, stop. */
export const RENAMER = `
const fs = require('node:fs');
const [from, to, stopFile] = process.argv.slice(1);
let renames = 0, errors = 0;
const deadline = Date.now() + 60000;
process.stdout.write('ready\\n');
while (!fs.existsSync(stopFile) && Date.now() < deadline) {
  try { fs.renameSync(from, to); renames += 1; fs.renameSync(to, from); } catch { errors += 1; }
}
try { fs.renameSync(to, from); } catch {}
console.log(JSON.stringify({ renames, errors }));
`;

/** A hash of everything under `dir` (names, types, modes, owners, times, contents, link targets). */
export function treeHash(dir: string): string {
  const hash = createHash('sha256');
  const visit = (relative: string): void => {
    const path = join(dir, relative);
    const stats = lstatSync(path);
    hash.update(`${relative}\0${stats.mode}\0${stats.uid}:${stats.gid}\0${stats.mtimeMs}\0${stats.nlink}\0`);
    if (stats.isSymbolicLink()) hash.update(readlinkSync(path));
    else if (stats.isFile()) hash.update(readFileSync(path));
    else if (stats.isDirectory()) for (const name of readdirSync(path).sort()) visit(join(relative, name));
  };
  visit('.');
  return hash.digest('hex');
}

/** Descriptors of this process that point at or below `dir` (a leak audit after the race). */
export function descriptorsUnder(dir: string): string[] {
  const found: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`).replace(/ \(deleted\)$/, '');
      if (target === dir || target.startsWith(`${dir}/`)) found.push(target);
    } catch {
      // the descriptor readdir itself used, already closed
    }
  }
  return found;
}

export function openDescriptorCount(): number {
  return readdirSync('/proc/self/fd').length;
}
