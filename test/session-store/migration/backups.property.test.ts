// backupName / backupTime: every name a migration gives a backup is recognised with its time,
// and nothing else in the directory is taken for a backup.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backupTime } from '../../../src/session-store/backups.js';
import { backupName } from '../../../src/session-store/layout.js';
import { fcParams } from '../../support/fc.js';

describe('backup names', () => {
  it('backupTime(backupName(t)[.N]) is t, for every time and suffix the migration uses', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), fc.integer({ min: 0, max: 100 }), (date, attempt) => {
        const name = backupName('sessions.json', date) + (attempt === 0 ? '' : `.${attempt}`);
        expect(backupTime('sessions.json', name)).toBe(date.getTime());
        expect(backupTime('other.json', name)).toBeUndefined();
      }),
      fcParams(),
    );
  });

  it('a name with anything after the stamp or suffix is not a backup', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-01-01') }), fc.string({ minLength: 1, maxLength: 6 }), (date, tail) => {
        fc.pre(!/^\.\d{1,3}$/.test(tail));
        expect(backupTime('sessions.json', `${backupName('sessions.json', date)}${tail}`)).toBeUndefined();
      }),
      fcParams(),
    );
  });
});
