// npm run demo: a short tour of hardfs on a throwaway temp directory. It writes a file
// atomically, then plays the attacker — swapping the state directory for a symlink to an
// "outside" directory — and shows that nothing lands outside and that the refusals are typed.
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDir, readFileNoFollow, writeFileAtomic, HardfsError } from '../dist/index.js';

const say = (text) => console.log(text);
const base = await mkdtemp(join(tmpdir(), 'hardfs-demo-'));
const state = join(base, 'state');
const outside = join(base, 'outside');
try {
  await mkdir(state, { mode: 0o700 });
  await mkdir(outside, { mode: 0o700 });
  say(`temp tree: ${base}\n`);

  say('1. Pin the state directory and write a file atomically (O_EXCL temp, fsync, rename, dir fsync):');
  const dir = await openDir(state);
  await dir.writeFileAtomic('session.json', JSON.stringify({ hello: 'world' }));
  const mode = ((await lstat(join(state, 'session.json'))).mode & 0o777).toString(8);
  say(`   wrote state/session.json (mode 0${mode}) via ${dir.resolution} resolution: ${await readFile(join(state, 'session.json'), 'utf8')}\n`);

  say('2. The attacker swaps the state directory for a symlink to an outside directory:');
  await rename(state, join(base, 'state.moved'));
  await symlink(outside, state);
  say(`   ${state} -> ${outside}`);
  await dir.writeFileAtomic('session.json', JSON.stringify({ hello: 'again' }));
  say(`   the pinned handle kept writing into the directory it opened (now state.moved): ${await readFile(join(base, 'state.moved', 'session.json'), 'utf8')}`);
  say(`   files that appeared outside: ${JSON.stringify(await readdir(outside))}\n`);
  await dir.close();

  say('3. The path-level API refuses the symlinked directory outright:');
  try {
    await writeFileAtomic(join(state, 'session.json'), 'x');
    say('   !! the write went through (this must not happen)');
    process.exitCode = 1;
  } catch (error) {
    if (!(error instanceof HardfsError)) throw error;
    say(`   refused: ${error.name} code=${error.code} path=${error.path}\n`);
  }

  say('4. A symlink planted at a file name is never read through:');
  await writeFile(join(outside, 'secret'), 'outside secret');
  await symlink(join(outside, 'secret'), join(base, 'state.moved', 'planted.json'));
  try {
    await readFileNoFollow(join(base, 'state.moved', 'planted.json'));
    say('   !! the read followed the symlink (this must not happen)');
    process.exitCode = 1;
  } catch (error) {
    if (!(error instanceof HardfsError)) throw error;
    say(`   refused: code=${error.code} path=${error.path}`);
  }
  say(`\noutside directory now holds only what the attacker put there: ${JSON.stringify(await readdir(outside))}`);
} finally {
  await rm(base, { recursive: true, force: true });
}
