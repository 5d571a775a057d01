// The gateway's normalization on write and field migration on load, passed to
// configureSessionStoreCompat once (the gateway's own functions stand in as small normalizers
// here). Ported from the gateway's sessions.test.ts ("normalizes last route fields on write")
// and sessions/sessions.test.ts ("normalizes orphan modelProvider fields at store write boundary").
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadSessionStore,
  saveSessionStore,
  updateSessionStore,
  updateSessionStoreEntry,
  type SessionEntry,
} from '../../../src/session-store/compat/index.js';
import { configure, useCompatFixtures } from './support.js';

const { caseDir, storeFixture } = useCompatFixtures();

/** Stands in for the gateway's normalizeSessionDeliveryFields. */
function normalizeDelivery(entry: SessionEntry): SessionEntry {
  const next: SessionEntry = { ...entry };
  const trim = (value: unknown): string | undefined => (typeof value === 'string' ? value.trim() : undefined);
  const channel = trim(next['lastChannel'])?.toLowerCase();
  const to = trim(next['lastTo']);
  const accountId = trim(next['lastAccountId']);
  if (channel !== undefined) next['lastChannel'] = channel;
  if (to !== undefined) next['lastTo'] = to;
  if (accountId !== undefined) next['lastAccountId'] = accountId;
  const context = Object.fromEntries(Object.entries({ channel, to, accountId }).filter(([, value]) => value !== undefined));
  if (channel !== undefined || to !== undefined) next['deliveryContext'] = context;
  return next;
}

/** Stands in for the gateway's normalizeSessionRuntimeModelFields (an orphan provider is dropped). */
function normalizeRuntimeModel(entry: SessionEntry): SessionEntry {
  if (entry['modelProvider'] === undefined || entry['model'] !== undefined) return entry;
  const next = { ...entry };
  delete next['modelProvider'];
  return next;
}

describe('normalize on write', () => {
  it('normalizes last route fields on write', async () => {
    configure({ normalizeEntry: normalizeDelivery });
    const { storePath } = await storeFixture({});
    await updateSessionStore(storePath, (store) => {
      store['agent:main:main'] = {
        sessionId: 'sess-normalized',
        updatedAt: Date.now(),
        lastChannel: ' WhatsApp ',
        lastTo: ' +1555 ',
        lastAccountId: ' acct-1 ',
      };
    });
    const entry = loadSessionStore(storePath)['agent:main:main'];
    expect(entry?.['lastChannel']).toBe('whatsapp');
    expect(entry?.['lastTo']).toBe('+1555');
    expect(entry?.['lastAccountId']).toBe('acct-1');
    expect(entry?.['deliveryContext']).toEqual({ channel: 'whatsapp', to: '+1555', accountId: 'acct-1' });
  });

  it('normalizes orphan modelProvider fields at store write boundary', async () => {
    configure({ normalizeEntry: normalizeRuntimeModel });
    const key = 'agent:main:orphan-provider';
    const { storePath } = await storeFixture({ [key]: { sessionId: 'sess-orphan', updatedAt: 100, modelProvider: 'anthropic' } });
    await updateSessionStore(storePath, async (store) => {
      const entry = store[key];
      if (entry !== undefined) entry.updatedAt = Date.now(); // mutated in place, never reassigned
    });
    const stored = loadSessionStore(storePath)[key];
    expect(stored?.['modelProvider']).toBeUndefined();
    expect(stored?.['model']).toBeUndefined();
  });

  it('runs on saveSessionStore and on updateSessionStoreEntry too, and never on keys a mutator did not touch', async () => {
    const seen: string[] = [];
    configure({
      normalizeEntry: (entry, key) => {
        seen.push(key);
        return normalizeDelivery(entry);
      },
    });
    const storePath = join(await caseDir('hooks'), 'sessions.json');
    await saveSessionStore(storePath, { a: { updatedAt: 1, lastChannel: ' X ' }, b: { updatedAt: 1 } }, { skipMaintenance: true });
    expect(seen.sort()).toEqual(['a', 'b']);
    seen.length = 0;
    await updateSessionStoreEntry({ storePath, sessionKey: 'a', update: () => ({ lastTo: ' 7 ' }), skipMaintenance: true });
    expect(seen).toEqual(['a']);
    seen.length = 0;
    await updateSessionStore(storePath, (store) => {
      store['c'] = { updatedAt: 1 };
    }, { skipMaintenance: true });
    expect(seen).toEqual(['c']);
    expect(loadSessionStore(storePath)['a']).toMatchObject({ lastChannel: 'x', lastTo: '7' });
  });
});

describe('transform on load', () => {
  const renameProvider = (entry: SessionEntry): SessionEntry => {
    if (typeof entry['provider'] !== 'string') return entry;
    const next: SessionEntry = { ...entry, channel: entry['provider'] };
    delete next['provider'];
    return next;
  };

  it('a mutator and an update() callback get entries in the current shape, and writing them stores that shape', async () => {
    configure({ transformOnLoad: renameProvider });
    const { storePath } = await storeFixture({
      one: { sessionId: '1', updatedAt: 1, provider: 'slack' },
      two: { sessionId: '2', updatedAt: 1, provider: 'irc' },
    });
    let handed: SessionEntry | undefined;
    await updateSessionStoreEntry({
      storePath,
      sessionKey: 'one',
      update: (entry) => {
        handed = entry;
        return { label: 'x' };
      },
    });
    expect(handed).toMatchObject({ channel: 'slack' });
    expect(handed?.['provider']).toBeUndefined();
    let seenInMutator: unknown;
    await updateSessionStore(storePath, (store) => {
      seenInMutator = store['two']?.['channel'];
    });
    expect(seenInMutator).toBe('irc');
    configure({}); // read back without the hook: the rewritten shape is what is stored
    const stored = loadSessionStore(storePath);
    expect(stored['one']).toMatchObject({ channel: 'slack', label: 'x' });
    expect(stored['two']).toMatchObject({ channel: 'irc' });
    expect(stored['two']?.['provider']).toBeUndefined();
  });
});

describe('the record a mutator gets', () => {
  it('answers in, Object.keys, Object.entries, defineProperty and delete by the canonical key', async () => {
    const storePath = join(await caseDir('record'), 'sessions.json');
    await saveSessionStore(storePath, { 'agent:main:a': { updatedAt: 1 }, 'agent:main:b': { updatedAt: 2 } }, { skipMaintenance: true });
    const seen = await updateSessionStore(
      storePath,
      (store) => {
        const found = { mixedIn: 'Agent:Main:A' in store, absentIn: 'agent:main:zz' in store };
        const keys = Object.keys(store).sort();
        const entries = Object.entries(store).map(([key, entry]) => [key, entry.updatedAt]);
        Object.defineProperty(store, 'Agent:Main:C', { value: { updatedAt: 3 }, enumerable: true, configurable: true, writable: true });
        delete store['AGENT:MAIN:B'];
        return { found, keys, entries };
      },
      { skipMaintenance: true },
    );
    expect(seen.found).toEqual({ mixedIn: true, absentIn: false });
    expect(seen.keys).toEqual(['agent:main:a', 'agent:main:b']);
    expect(seen.entries.sort()).toEqual([
      ['agent:main:a', 1],
      ['agent:main:b', 2],
    ]);
    expect(loadSessionStore(storePath)).toEqual({ 'agent:main:a': { updatedAt: 1 }, 'agent:main:c': { updatedAt: 3 } });
  });
});
