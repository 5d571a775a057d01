// The names a store owns in its directory (layout.ts, DESIGN.md "Store — contract"): the fixed
// names other processes and older versions rely on, and the parsers that tell an entry file,
// a lock file, an intent and a staged file apart. Each table runs on the module as the store
// imports it and on a copy evaluated inside the test (importFresh): the names and the patterns
// are built when the module loads.
import { describe, expect, it } from 'vitest';
import * as imported from '../../src/store/layout.js';
import { importFresh } from '../support/platform.js';

type Layout = typeof imported;
const MODULE = new URL('../../src/store/layout.ts', import.meta.url);
const ID = '0123456789abcdef01234567';

async function bothCopies(): Promise<Array<[string, Layout]>> {
  return [
    ['imported', imported],
    ['fresh', await importFresh<Layout>(MODULE)],
  ];
}

describe('the fixed names of a store directory', () => {
  it('are the contract’s names', async () => {
    for (const [, layout] of await bothCopies()) {
      expect({
        ENTRY_SUFFIX: layout.ENTRY_SUFFIX,
        CHANGES_FILE: layout.CHANGES_FILE,
        LEGACY_CHANGES_FILE: layout.LEGACY_CHANGES_FILE,
        SNAPSHOT_FILE: layout.SNAPSHOT_FILE,
        LOCKS_DIR: layout.LOCKS_DIR,
        QUARANTINE_DIR: layout.QUARANTINE_DIR,
        LOCK_SUFFIX: layout.LOCK_SUFFIX,
        INTENT_SUFFIX: layout.INTENT_SUFFIX,
        WRITER_LOCK: layout.WRITER_LOCK,
        STAGED_PREFIX: layout.STAGED_PREFIX,
      }).toEqual({
        ENTRY_SUFFIX: '.json',
        CHANGES_FILE: '.changes',
        LEGACY_CHANGES_FILE: '.stamp',
        SNAPSHOT_FILE: '.snapshot',
        LOCKS_DIR: '.locks',
        QUARANTINE_DIR: '.quarantine',
        LOCK_SUFFIX: '.lock',
        INTENT_SUFFIX: '.txn',
        WRITER_LOCK: 'writer.lock',
        STAGED_PREFIX: '.staged-',
      });
    }
  });

  it('lock, intent and staged file names are built from them', async () => {
    for (const [, layout] of await bothCopies()) {
      expect(layout.lockFileName('a.json')).toBe('a.json.lock');
      expect(layout.intentFileName(ID)).toBe(`${ID}.txn`);
      expect(layout.stagedFileName(ID, 3)).toBe(`.staged-${ID}-3`);
    }
  });
});

describe('entry file names', () => {
  const stem200 = 'k'.repeat(200);
  const table: Array<[string, boolean, boolean]> = [
    // name, isEntryFileName, isSafeEntryFileName
    ['a.json', true, true],
    ['a.b.json', true, true],
    [`${stem200}.json`, true, true], // the longest name encodeKey gives
    [`${stem200}k.json`, true, false], // one byte longer: never an encodeKey name
    ['.json', false, false], // only the suffix: a dot file
    ['.hidden.json', false, false],
    ['a.jsonx', false, false],
    ['a.JSON', false, false],
    ['a', false, false],
    ['', false, false],
    ['a/b.json', true, false], // two components
    ['..json', false, false],
    ['a\0.json', true, false],
  ];

  it.each(table)('%j: entry %s, safe %s', async (name, entry, safe) => {
    for (const [, layout] of await bothCopies()) {
      expect(layout.isEntryFileName(name)).toBe(entry);
      expect(layout.isSafeEntryFileName(name)).toBe(safe);
    }
  });
});

describe('lock file names', () => {
  it('name their entry file when it is a safe entry file name', async () => {
    for (const [, layout] of await bothCopies()) {
      expect(layout.lockedEntryFile('a.json.lock')).toBe('a.json');
      expect(layout.lockedEntryFile(`${'k'.repeat(200)}.json.lock`)).toBe(`${'k'.repeat(200)}.json`);
      for (const name of ['a.json', 'a.lock', 'writer.lock', '.json.lock', '.hidden.json.lock', `${'k'.repeat(201)}.json.lock`, 'a.json.lockx', '']) {
        expect(layout.lockedEntryFile(name)).toBeUndefined();
      }
    }
  });
});

describe('intent ids and intent file names', () => {
  it('an id is exactly 24 lower-case hex digits', async () => {
    for (const [, layout] of await bothCopies()) {
      expect(layout.isIntentId(ID)).toBe(true);
      expect(layout.isIntentId('f'.repeat(24))).toBe(true);
      for (const id of ['', 'a', '0'.repeat(23), '0'.repeat(25), `x${ID}`, `${ID}x`, `${ID.slice(1)}g`, ID.toUpperCase().replace(/[0-9]/g, 'A'), 'z'.repeat(24), ` ${ID.slice(1)}`]) {
        expect(layout.isIntentId(id), id).toBe(false);
      }
    }
  });

  it('an intent file is <id>.txn; nothing else names a commit', async () => {
    for (const [, layout] of await bothCopies()) {
      expect(layout.intentIdOf(`${ID}.txn`)).toBe(ID);
      for (const name of [ID, `${ID}.tmp`, `${ID}xtxn`, `${ID}.txn.lock`, `${ID}0.txn`, '.txn', `${ID.toUpperCase()}.txn`, 'writer.lock']) {
        expect(layout.intentIdOf(name), name).toBeUndefined();
      }
    }
  });
});

describe('staged file names', () => {
  it('.staged-<id>-<n> names its commit; other shapes name none', async () => {
    for (const [, layout] of await bothCopies()) {
      expect(layout.stagedIdOf(`.staged-${ID}-0`)).toBe(ID);
      expect(layout.stagedIdOf(`.staged-${ID}-12`)).toBe(ID);
      for (const name of [
        `${ID}-0`, // no prefix
        `x.staged-${ID}-0`,
        `.Staged-${ID}-0`, // another prefix of the same length
        `.staged-${ID}`, // no index
        `.staged-${ID}-`, // empty index
        `.staged-${ID}-x`,
        `.staged-${ID}-1x`,
        `.staged-${ID}-x1`,
        `.staged-${ID}--1`,
        `.staged-${ID}-1-2`,
        `.staged--${ID}-0`, // empty id
        `.staged-${ID.slice(1)}-0`,
        `.staged-${ID}0-0`,
        `.staged-x${ID.slice(1)}-0`,
        `.staged-${'1'.repeat(25)}`, // no dash: 24 digits and a digit are no id and index
        '.staged-',
        '.staged--0',
        `.tmp-${ID}-0`,
      ]) {
        expect(layout.stagedIdOf(name), name).toBeUndefined();
      }
    }
  });
});
