import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@app/common';
import { dataDirError, listenError } from './startup-errors';

const errno = (code: string, message = `${code}: failed`) => Object.assign(new Error(message), { code });

describe('listenError: the main listener refused, told as the setting to change', () => {
  it.each([
    [
      'EADDRINUSE',
      'PORT',
      /^PORT 8000 is already in use on 0\.0\.0\.0 \(HOST\): stop the program listening on 0\.0\.0\.0:8000, or set PORT to a free port$/,
    ],
    [
      'EACCES',
      'PORT',
      /^PORT 8000 may not be opened by the user the service runs as \(.*uid \d+; ports below 1024 need privileges\): set PORT to 1024 or above$/,
    ],
    [
      'EADDRNOTAVAIL',
      'HOST',
      /^HOST "0\.0\.0\.0" is not an address of this machine \(EADDRNOTAVAIL\): set HOST to one of its addresses, or 0\.0\.0\.0 for all$/,
    ],
  ])('%s names %s', (code, variable, message) => {
    const err = listenError(errno(code), 8000, '0.0.0.0') as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.variable).toBe(variable);
    expect(`${err.variable} ${err.expectation}`).toMatch(message);
  });

  it('leaves any other failure as it is', () => {
    const other = errno('ECONNRESET');
    expect(listenError(other, 8000, '0.0.0.0')).toBe(other);
  });
});

describe('dataDirError', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-test-datadir-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves a failure alone when the data folder can be written (the cause is elsewhere)', () => {
    const err = errno('EACCES', `EACCES: permission denied, open '${dir}/secret-key'`);
    expect(dataDirError(err, { DATA_DIR: dir })).toBe(err);
  });

  it('leaves a failure alone that names another path, even one that begins as the data folder does', () => {
    writeFileSync(join(dir, 'file'), '');
    const dataDir = join(dir, 'file', 'data'); // below a plain file: never writable, whoever runs the test
    const sibling = errno('EACCES', `EACCES: permission denied, open '${dataDir}2/x'`);
    expect(dataDirError(sibling, { DATA_DIR: dataDir })).toBe(sibling);
  });

  it('names DATA_DIR, the folder and the user when a file of a folder it cannot make fails', () => {
    // A data folder below a plain file can never be made, whoever runs the test (root included).
    writeFileSync(join(dir, 'file'), '');
    const dataDir = join(dir, 'file', 'data');
    const err = errno('ENOTDIR', `ENOTDIR: not a directory, mkdir '${dataDir}'`);
    const told = dataDirError(err, { DATA_DIR: dataDir }) as ConfigError;
    expect(told).toBeInstanceOf(ConfigError);
    expect(told.variable).toBe('DATA_DIR');
    expect(told.expectation).toMatch(
      new RegExp(
        `^${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be written by the user the service runs as \\(.*uid \\d+\\): make that user its owner \\(chown\\), or set DATA_DIR to a folder it can write \\(ENOTDIR`,
      ),
    );
  });
});
