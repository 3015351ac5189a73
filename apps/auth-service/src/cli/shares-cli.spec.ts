import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSharesCli } from './shares-cli';

describe('npm run shares: the configuration', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-cli-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (env: Record<string, string>, envFile: string | false) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runSharesCli(
      ['list', '--json'],
      env,
      { out: (t) => out.push(t), err: (t) => err.push(t) },
      envFile,
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it("reads the service's .env file, as the service does: its registry path is the one used", async () => {
    const envFile = join(dir, '.env');
    writeFileSync(envFile, `SHARES_SQLITE_PATH=${join(dir, 'from-dotenv.sqlite')}\n`);
    const listed = await run({ DATA_DIR: dir, SECRETS_DIR: join(dir, 'none') }, envFile);
    expect(listed).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(listed.out)).toMatchObject({ shares: [] });
    expect(existsSync(join(dir, 'from-dotenv.sqlite'))).toBe(true);
    expect(existsSync(join(dir, 'shares.sqlite'))).toBe(false);
  });

  it('a wrong setting stops it with the message naming the variable', async () => {
    await expect(run({ DATA_DIR: dir, SHARE_TRAIL_RETENTION_DAYS: 'forever' }, false)).rejects.toThrow(
      /SHARE_TRAIL_RETENTION_DAYS/,
    );
  });
});
