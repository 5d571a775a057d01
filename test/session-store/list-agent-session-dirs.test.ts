import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listAgentSessionDirs } from '../../src/session-store/discovery.js';
import { type StoreEntry as SessionEntry } from '../../src/store/entry-record.js';
import { type SessionStoreLogger } from '../../src/session-store/options.js';
import { caught, useTempDirs } from '../support/tmp.js';
import { refusal, openDescriptors } from '../store/record-helpers.js';
const tempDir = useTempDirs();

describe('listAgentSessionDirs: the template', () => {
  async function refusedTemplate(template: string): Promise<ReturnType<typeof refusal>> {
    const state = await tempDir();
    return refusal(await caught(listAgentSessionDirs(state, { storePathTemplate: template })));
  }

  // Code, name and path exactly; of the message, the fragment that says what is wrong.
  const badName = (why: string, path: string): ReturnType<typeof refusal> => ({
    name: 'HardfsError',
    code: 'EBADNAME',
    message: expect.stringContaining(why) as string,
    path,
  });

  it('must hold {agentId} exactly once', async () => {
    for (const template of ['/state/agents/x/sessions.json', '/state/{agentId}/{agentId}/sessions.json', '/{agentId}/a/{agentId}']) {
      expect(await refusedTemplate(template), template).toEqual(badName('{agentId} exactly once', template));
    }
  });

  it('{agentId} must be a whole path component', async () => {
    for (const template of ['/state/agents/x{agentId}/sessions.json', '/state/agents/{agentId}x/sessions.json']) {
      expect(await refusedTemplate(template), template).toEqual(badName('whole path component', template));
    }
  });

  it('must name a store file below the agent directory, without . or .. components', async () => {
    for (const template of ['/state/agents/{agentId}/', '/state/agents/{agentId}//', '/state/agents/{agentId}/./sessions.json', '/state/agents/{agentId}/../sessions.json']) {
      expect(await refusedTemplate(template), template).toEqual(badName('below the agent directory', template));
    }
  });

  it('every directory between the agent and the store file must exist, not only the first', async () => {
    const state = await tempDir();
    mkdirSync(join(state, 'agents', 'one', 'a', 'b'), { recursive: true });
    mkdirSync(join(state, 'agents', 'two', 'a'), { recursive: true });
    const found = await listAgentSessionDirs(state, { storePathTemplate: join(state, 'agents', '{agentId}', 'a', 'b', 'store.json') });
    expect(found).toEqual([
      { agentId: 'one', sessionsDir: join(state, 'agents', 'one', 'a', 'b'), storePath: join(state, 'agents', 'one', 'a', 'b', 'store.json') },
    ]);
  });

  it('a store file directly in the agent directory needs no inner directory', async () => {
    const state = await tempDir();
    mkdirSync(join(state, 'agents', 'one'), { recursive: true });
    const found = await listAgentSessionDirs(state, { storePathTemplate: join(state, 'agents', '{agentId}', 'store.json') });
    expect(found).toEqual([{ agentId: 'one', sessionsDir: join(state, 'agents', 'one'), storePath: join(state, 'agents', 'one', 'store.json') }]);
  });
});

describe('listAgentSessionDirs: agents', () => {
  it('are returned sorted by agent id, whatever order the directory lists them in', async () => {
    const state = await tempDir();
    const ids = ['mike', 'charlie', 'xray', 'alpha', 'quebec', 'foxtrot', 'zulu', 'bravo', 'kilo', 'delta', 'yankee', 'echo', 'golf', 'papa'];
    for (const id of ids) mkdirSync(join(state, 'agents', id, 'sessions'), { recursive: true });
    const found = await listAgentSessionDirs(state);
    expect(found.map((agent) => agent.agentId)).toEqual([...ids].sort());
  });

  it('a skipped agent is reported to the logger alone when there is no onSkipped callback', async () => {
    const state = await tempDir();
    const outside = await tempDir();
    mkdirSync(join(outside, 'sessions'));
    mkdirSync(join(state, 'agents', 'good', 'sessions'), { recursive: true });
    symlinkSync(outside, join(state, 'agents', 'linked'));
    const warnings: string[] = [];
    const logger: SessionStoreLogger = { warn: (message) => warnings.push(message) };
    const found = await listAgentSessionDirs(state, { logger });
    expect(found.map((agent) => agent.agentId)).toEqual(['good']);
    expect(warnings).toEqual([`hardfs session store: skipped ${join(state, 'agents', 'linked')}: agent directory is a symlink`]);
  });

  it('an agents path that is not a directory is an error, not an empty list', async () => {
    const state = await tempDir();
    writeFileSync(join(state, 'agents'), 'not a directory');
    expect((await caught(listAgentSessionDirs(state))).code).toBe('ENOTDIR');
    expect(await listAgentSessionDirs(join(state, 'missing'))).toEqual([]);
  });

  it('an operating-system error other than ENOENT while walking an agent is thrown, not reported as a skip', async () => {
    const state = await tempDir();
    mkdirSync(join(state, 'agents', 'one'), { recursive: true });
    const skipped: string[] = [];
    const error = await caught(
      listAgentSessionDirs(state, {
        storePathTemplate: join(state, 'agents', '{agentId}', 'x'.repeat(300), 'store.json'),
        onSkipped: (path, reason) => skipped.push(`${path}: ${reason}`),
      }),
    );
    expect(error.code).toBe('ENAMETOOLONG');
    expect(skipped).toEqual([]);
  });

  it('closes every directory it opened', async () => {
    const state = await tempDir();
    for (const id of ['a', 'b', 'c', 'd', 'e']) mkdirSync(join(state, 'agents', id, 'sessions'), { recursive: true });
    await listAgentSessionDirs(state); // warm up: lazily opened descriptors are not leaks
    const before = openDescriptors();
    for (let round = 0; round < 4; round += 1) expect(await listAgentSessionDirs(state)).toHaveLength(5);
    expect(openDescriptors() - before).toBeLessThan(4);
  });
});
