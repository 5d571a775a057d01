// HardfsError: one meaning per code, the operation that refused (`op`), and recognition across
// copies of the package loaded in one process, and one class for `import` and `require`.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HARDFS_ERROR_CODES, HardfsError, isHardfsError, openDir } from '../src/index.js';
import { useTempDirs } from './support/tmp.js';

const ROOT = new URL('..', import.meta.url).pathname;

describe('HardfsError', () => {
  const tempDir = useTempDirs();

  it('carries code, path, op and cause; the message is "<code>: <what>: <path>"', () => {
    const cause = new Error('inner');
    const error = new HardfsError('EESCAPE', 'out', { path: '/x', cause, op: 'readFile' });
    // A whole message on purpose: the words are the test's own; the layout is the contract.
    expect(error.message).toBe('EESCAPE: out: /x');
    expect(error.op).toBe('readFile');
    expect(error.cause).toBe(cause);
    expect(new HardfsError('ELOOP', 'links').op).toBeUndefined();
    expect(HARDFS_ERROR_CODES).toEqual(expect.arrayContaining(['EUNSUPPORTED', 'ELOOP']));
  });

  it('an operation on a root names itself in op', async () => {
    const dir = await openDir(await tempDir());
    const error = await dir.readFile('../x').catch((failure: unknown) => failure);
    expect(isHardfsError(error, 'EESCAPE')).toBe(true);
    expect((error as HardfsError).op).toBe('readFile');
    await dir.close();
  });

  it('is recognised by brand: a plain object with the registered symbol passes, a look-alike without it does not', () => {
    const lookalike = Object.assign(new Error('EESCAPE: x'), { code: 'EESCAPE', name: 'HardfsError' });
    expect(isHardfsError(lookalike)).toBe(false);
    expect(lookalike instanceof HardfsError).toBe(false);
    const branded = { [Symbol.for('hardfs.HardfsError')]: true, code: 'ETOOBIG' };
    expect(isHardfsError(branded, 'ETOOBIG')).toBe(true);
    expect(branded instanceof HardfsError).toBe(true);
    expect(isHardfsError(branded, 'ELOOP')).toBe(false);
  });

  it('import and require of the built package give one HardfsError class: an error made through either is of that class', () => {
    const script = `
      const { createRequire } = await import('node:module');
      const esm = await import(${JSON.stringify(`${ROOT}dist/index.js`)});
      const cjs = createRequire(import.meta.url)(${JSON.stringify(`${ROOT}dist/index.cjs`)});
      const fromEsm = new esm.HardfsError('EESCAPE', 'x');
      const fromCjs = new cjs.HardfsError('EESCAPE', 'x');
      console.log(JSON.stringify({
        sameClass: esm.HardfsError === cjs.HardfsError,
        esmSeesCjs: fromCjs.constructor === esm.HardfsError && esm.isHardfsError(fromCjs, 'EESCAPE'),
        cjsSeesEsm: fromEsm.constructor === cjs.HardfsError && cjs.isHardfsError(fromEsm, 'EESCAPE'),
      }));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ sameClass: true, esmSeesCjs: true, cjsSeesEsm: true });
  });
});
