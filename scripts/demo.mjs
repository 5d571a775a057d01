// npm run demo: a short tour of hardfs on a throwaway temp directory. It writes a file
// atomically, then plays the attacker — swapping the state directory for a symlink to an
// "outside" directory — and shows that nothing lands outside and that the refusals are typed;
// then two processes share a store (a commit in one is seen by the other's next read), and
// the `hardfs` command finds the symlink the attacker planted.
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDir, readFileNoFollow, writeFileAtomic, HardfsError } from '../dist/index.js';
import { openSessionStore } from '../dist/session-store/index.js';

const sessionStoreModule = new URL('../dist/session-store/index.js', import.meta.url).href;
const cli = fileURLToPath(new URL('../dist/cli/main.cjs', import.meta.url));
const indent = (text) => text.trimEnd().replace(/^/gm, '   ');

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
  say(`\n   outside directory now holds only what the attacker put there: ${JSON.stringify(await readdir(outside))}\n`);

  say('5. Two processes share a store; a commit in one is visible to the very next read in the other:');
  const storePath = join(base, 'store', 'sessions.json');
  await mkdir(join(base, 'store'), { mode: 0o700 });
  const store = await openSessionStore(storePath);
  await store.update('agent:demo:first', () => ({ updatedAt: Date.now(), from: `process ${process.pid}` }));
  say(`   process ${process.pid} committed agent:demo:first; its loadAll() holds ${JSON.stringify(Object.keys(await store.loadAll()))}`);
  const other = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { openSessionStore } from ${JSON.stringify(sessionStoreModule)};
const store = await openSessionStore(process.argv[1]);
await store.update('agent:demo:second', () => ({ updatedAt: Date.now(), from: 'process ' + process.pid }));
await store.close();
console.log(process.pid);`,
      storePath,
    ],
    { encoding: 'utf8' },
  );
  if (other.status !== 0) throw new Error(`the second process failed: ${other.stderr}`);
  say(`   process ${other.stdout.trim()} opened the same store and committed agent:demo:second`);
  const seen = await store.loadAll();
  say(`   process ${process.pid}'s next loadAll() holds ${JSON.stringify(Object.keys(seen))}: ${JSON.stringify(seen['agent:demo:second'])}`);
  if (!seen['agent:demo:second']) {
    say('   !! the other process\'s commit is not visible (this must not happen)');
    process.exitCode = 1;
  }
  await store.close();

  say('\n6. The hardfs command audits the moved state directory and finds what the attacker planted:');
  say(`   $ hardfs audit ${join(base, 'state.moved')}`);
  const audit = spawnSync(process.execPath, [cli, 'audit', join(base, 'state.moved')], { encoding: 'utf8' });
  say(indent(audit.stdout + audit.stderr));
  say(`   (exit status ${audit.status}: findings)`);
  if (audit.status !== 1 || !audit.stdout.includes('planted.json')) {
    say('   !! the audit did not report the planted symlink (this must not happen)');
    process.exitCode = 1;
  }
} finally {
  await rm(base, { recursive: true, force: true });
}
