import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleTempFiles } from './atomic-write';

describe('removeStaleTempFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-sweep-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("removes only old temporary files of that file, never the file, others' files or a write in progress", () => {
    const old = new Date(Date.now() - 2 * 3600_000);
    const files = {
      'permissions.json': true,
      '.permissions.json.123.aaaa.tmp': false,
      '.permissions.json.456.bbbb.tmp': true,
      '.other.json.123.cccc.tmp': true,
      'shares.sqlite': true,
    };
    for (const name of Object.keys(files)) writeFileSync(join(dir, name), 'x');
    for (const name of ['permissions.json', '.permissions.json.123.aaaa.tmp', '.other.json.123.cccc.tmp'])
      utimesSync(join(dir, name), old, old);
    expect(removeStaleTempFiles(join(dir, 'permissions.json'))).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(
      Object.entries(files)
        .filter(([, kept]) => kept)
        .map(([n]) => n)
        .sort(),
    );
  });

  it('answers 0 for a missing folder', () => {
    expect(removeStaleTempFiles(join(dir, 'missing', 'permissions.json'))).toBe(0);
  });
});
