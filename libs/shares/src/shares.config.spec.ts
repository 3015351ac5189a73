import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '@app/common';
import { loadSharesConfig } from './shares.config';

describe('loadSharesConfig', () => {
  const base = { SECRETS_DIR: mkdtempSync(join(tmpdir(), 'no-secrets-')) };
  afterAll(() => rmSync(base.SECRETS_DIR, { recursive: true, force: true }));

  it('defaults to an enabled registry in DATA_DIR/shares.sqlite', () => {
    expect(loadSharesConfig({ ...base, DATA_DIR: '/srv/data' })).toEqual({
      enabled: true,
      storage: { kind: 'sqlite', path: '/srv/data/shares.sqlite' },
      trail: { retentionDays: 90, recentEvents: 20 },
      unlock: {
        maxFailures: 5,
        maxFailuresPerAddress: 20,
        lockMs: 15 * 60_000,
        guessesPerDay: 50,
        maxGuessesPerDay: 200,
        codeRequestsPerHour: 3,
        codeEmailsPerDay: 10,
        concurrency: 2,
        codeValidityMs: 10 * 60_000,
        trustedProxies: [],
      },
    });
    expect(loadSharesConfig(base).storage).toEqual({ kind: 'sqlite', path: resolve('data', 'shares.sqlite') });
  });

  it('SHARES_SQLITE_PATH moves the file; DATABASE_URL selects PostgreSQL', () => {
    expect(loadSharesConfig({ ...base, SHARES_SQLITE_PATH: '/var/lib/x.db' }).storage).toEqual({
      kind: 'sqlite',
      path: '/var/lib/x.db',
    });
    expect(loadSharesConfig({ ...base, DATABASE_URL: 'postgresql://u:p@db/orthanc' }).storage).toEqual({
      kind: 'postgres',
      url: 'postgresql://u:p@db/orthanc',
    });
  });

  it('ENABLE_SHARES_REGISTRY=false disables it', () => {
    expect(loadSharesConfig({ ...base, ENABLE_SHARES_REGISTRY: 'false' }).enabled).toBe(false);
  });

  it('SHARE_TRAIL_RETENTION_DAYS and SHARE_TRAIL_RECENT_EVENTS bound the access trail', () => {
    expect(
      loadSharesConfig({ ...base, SHARE_TRAIL_RETENTION_DAYS: '30', SHARE_TRAIL_RECENT_EVENTS: '5' }).trail,
    ).toEqual({
      retentionDays: 30,
      recentEvents: 5,
    });
  });

  it.each([
    ['ENABLE_SHARES_REGISTRY', 'perhaps'],
    ['SHARE_TRAIL_RETENTION_DAYS', '0'],
    ['SHARE_TRAIL_RETENTION_DAYS', 'forever'],
    ['SHARE_TRAIL_RECENT_EVENTS', '1000'],
    ['DATABASE_URL', 'mysql://u:p@db/x'],
    ['DATABASE_URL', 'not a url'],
  ])('refuses %s=%s naming the variable, without echoing a URL (it may hold a password)', (name, value) => {
    let error: unknown;
    try {
      loadSharesConfig({ ...base, [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
    if (name === 'DATABASE_URL') expect((error as Error).message).not.toContain(value);
  });
});
