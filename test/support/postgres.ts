import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The PostgreSQL the suites use: TEST_DATABASE_URL (npm test, scripts/test.sh, starts Debian's PostgreSQL as root and exports it). Absent, the
 * PostgreSQL suites are skipped on a developer's machine but FAIL under CI=true, so that CI never passes them silently.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export function describeWithPostgres(name: string, fn: () => void): void {
  if (TEST_DATABASE_URL) {
    describe(name, fn);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs TEST_DATABASE_URL (set by npm test as root)', () => {
        throw new Error(
          'TEST_DATABASE_URL is not set: npm test (scripts/test.sh) starts PostgreSQL as root and exports it; the PostgreSQL suites cannot run',
        );
      });
    });
  } else {
    describe.skip(`${name} (TEST_DATABASE_URL not set)`, fn);
  }
}

/** A throw-away database of its own for one suite (suites run in parallel); drop() removes it. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new URL(TEST_DATABASE_URL!);
  const name = `orthanc_auth_t_${randomBytes(6).toString('hex')}`;
  const run = async (sql: string) => {
    const c = new Client({ connectionString: admin.toString() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(admin.toString());
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
