// listAgentSessionDirs on real agent directories: what is found, what is refused (symlinks,
// directories another user made or can write), and that a refusal never follows a link.
import { chmodSync, chownSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listAgentSessionDirs } from '../../src/session-store/index.js';
import { runAsSecondUser, secondUser, secondUserSkipReason } from '../support/second-user.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

function agent(state: string, id: string, mode = 0o700): string {
  const sessions = join(state, 'agents', id, 'sessions');
  mkdirSync(sessions, { recursive: true, mode });
  return sessions;
}

async function discover(state: string): Promise<{ found: string[]; skipped: { path: string; reason: string }[] }> {
  const skipped: { path: string; reason: string }[] = [];
  const found = await listAgentSessionDirs(state, { onSkipped: (path, reason) => skipped.push({ path, reason }) });
  return { found: found.map((item) => item.agentId), skipped };
}

describe('listAgentSessionDirs', () => {
  it('finds every real agent directory with its sessions directory and store path; agents without one are not listed', async () => {
    const state = await tempDir();
    agent(state, 'main');
    agent(state, 'ops');
    mkdirSync(join(state, 'agents', 'bare'), { mode: 0o700 }); // no sessions/ yet
    writeFileSync(join(state, 'agents', 'notes.txt'), 'not an agent');
    const found = await listAgentSessionDirs(state);
    expect(found).toEqual([
      { agentId: 'main', sessionsDir: join(state, 'agents', 'main', 'sessions'), storePath: join(state, 'agents', 'main', 'sessions', 'sessions.json') },
      { agentId: 'ops', sessionsDir: join(state, 'agents', 'ops', 'sessions'), storePath: join(state, 'agents', 'ops', 'sessions', 'sessions.json') },
    ]);
  });

  it('refuses a symlinked agent directory and a symlinked sessions directory, never looking inside their targets', async () => {
    const state = await tempDir();
    const outside = await tempDir();
    agent(outside, 'evil');
    agent(state, 'main');
    symlinkSync(join(outside, 'agents', 'evil'), join(state, 'agents', 'linked-agent'));
    mkdirSync(join(state, 'agents', 'linked-sessions'), { mode: 0o700 });
    symlinkSync(join(outside, 'agents', 'evil', 'sessions'), join(state, 'agents', 'linked-sessions', 'sessions'));
    const before = readdirSync(join(outside, 'agents', 'evil', 'sessions'));
    const { found, skipped } = await discover(state);
    expect(found).toEqual(['main']);
    expect(skipped).toEqual([
      { path: join(state, 'agents', 'linked-agent'), reason: 'agent directory is a symlink' },
      { path: join(state, 'agents', 'linked-sessions', 'sessions'), reason: expect.stringMatching(/^ESYMLINK: /) as string },
    ]);
    // One code prefix, as the message already carries it.
    expect(skipped[1]?.reason).not.toMatch(/ESYMLINK: ESYMLINK/);
    expect(readdirSync(join(outside, 'agents', 'evil', 'sessions'))).toEqual(before);
  });

  it('refuses agent and sessions directories that others can write without the sticky bit', async () => {
    const state = await tempDir();
    agent(state, 'main');
    const loose = agent(state, 'loose');
    chmodSync(loose, 0o777);
    const { found, skipped } = await discover(state);
    expect(found).toEqual(['main']);
    expect(skipped).toEqual([{ path: loose, reason: expect.stringMatching(/^EINSECURE: directory is (group|world)-writable without the sticky bit/) as string }]);
  });

  it('refuses an agent directory owned by another user (chowned)', async () => {
    const state = await tempDir();
    agent(state, 'main');
    const foreign = agent(state, 'foreign');
    chownSync(join(state, 'agents', 'foreign'), 65534, 65534);
    const { found, skipped } = await discover(state);
    expect(found).toEqual(['main']);
    expect(skipped).toEqual([{ path: foreign, reason: expect.stringMatching(/^EINSECURE: directory is owned by uid 65534/) as string }]);
  });

  it.skipIf(secondUserSkipReason() !== undefined)('refuses an agent directory a real second user planted in a shared agents directory', async () => {
    const state = await tempDir();
    chmodSync(state, 0o755);
    agent(state, 'main');
    chmodSync(join(state, 'agents'), 0o1777);
    const planted = join(state, 'agents', 'planted', 'sessions');
    await runAsSecondUser(`import { mkdirSync, writeFileSync } from 'node:fs'; mkdirSync(process.argv[1], { recursive: true, mode: 0o700 }); writeFileSync(process.argv[1] + '/sessions.json', '{"x":{"updatedAt":1}}');`, [planted]);
    const { found, skipped } = await discover(state);
    expect(found).toEqual(['main']);
    expect(skipped).toEqual([{ path: planted, reason: expect.stringContaining(`owned by uid ${secondUser()?.uid}`) as string }]);
  });

  it('an agents directory that is itself a symlink is refused (ESYMLINK), not followed', async () => {
    const state = await tempDir();
    const outside = await tempDir();
    agent(outside, 'main');
    symlinkSync(join(outside, 'agents'), join(state, 'agents'));
    const error = await caught(listAgentSessionDirs(state));
    expect(error.code).toBe('ESYMLINK');
    expect(error.path).toBe(join(state, 'agents'));
  });
});
