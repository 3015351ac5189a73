/**
 * The configuration is read once, at the edge: main.ts reads the environment with loadAppConfig (ConfigModule.forRoot
 * and the modules' registerAs namespaces), checks it, and hands the result down; no module reads the environment
 * again, at start-up or while serving. Proved by counting the reads
 * of each variable: in the production entry point (a child process whose process.env counts), and in this process
 * while an application built from a loaded configuration starts and serves.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../apps/auth-service/src/app.config';
import { BASIC, call, startApp, testEnv } from './support/app';
import { SERVICE_START_TIMEOUT_MS, startServiceProcess, stopServiceProcesses } from './support/service-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the same counter the child process preloads
const { countEnvReads } = require('./support/env-reads.cjs') as {
  countEnvReads(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; reads: Record<string, number> };
};

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-config-once-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await stopServiceProcesses();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Settings worth naming in the test: some of every module, the signing keys among them. */
const SETTINGS = {
  PUBLIC_ORTHANC_ROOT: 'https://pacs.example.org/orthanc/',
  PREVIOUS_SECRET_KEYS: 'an-older-key-of-this-site',
  VALIDATE_CACHE_SECONDS: '30',
  ENABLE_EMAILS: 'false',
  ENABLE_KEYCLOAK: 'false',
  ACCESS_LOG: 'false',
};

/** Variables the runtime itself reads, not the service's settings. */
const FRAMEWORK = new Set(['NODE_ENV', 'NEST_DEBUG']);

/** The reads of one loadAppConfig pass over `env`, by variable name. */
async function oneLoad(env: NodeJS.ProcessEnv): Promise<Record<string, number>> {
  const counted = countEnvReads(env);
  await loadAppConfig({ env: counted.env });
  return counted.reads;
}

describe('configuration read once', () => {
  it(
    'main.ts reads each setting exactly as often as one loadAppConfig does, from start to a served request and a stop',
    async () => {
      const dataDir = freshDir();
      const readsFile = join(dataDir, 'env-reads.json');
      const svc = await startServiceProcess({
        ...SETTINGS,
        DATA_DIR: dataDir,
        SECRETS_DIR: join(dataDir, 'no-secrets'),
        NODE_OPTIONS: `--require ${join(__dirname, 'support/count-env-reads.cjs')}`,
        ENV_READS_FILE: readsFile,
      });
      // Some work that touches every module: a token created and validated, the profile, readiness, metrics.
      const created = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', {
        id: 'x',
        type: 'stone-viewer-publication',
        resources: [{ 'dicom-uid': '1.2.3', level: 'study' }],
      });
      expect(created.status).toBe(200);
      const validated = await call(svc.url, 'POST', '/tokens/validate', {
        'dicom-uid': '1.2.3',
        level: 'study',
        method: 'get',
        'token-key': 'token',
        'token-value': created.body.token,
      });
      expect(validated.body).toMatchObject({ granted: true });
      expect((await call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'x', 'token-value': 'y' })).status).toBe(
        200,
      );
      expect((await call(svc.url, 'GET', '/ready', undefined, { auth: BASIC })).status).toBe(200);
      svc.child.kill('SIGTERM');
      expect((await svc.exited).code).toBe(0);

      const inMain = JSON.parse(readFileSync(readsFile, 'utf8')) as Record<string, number>;
      const once = await oneLoad({
        ...SETTINGS,
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(svc.port),
        LOG_FORMAT: 'json',
        USERS: '{"share-user":"change-me"}',
        SECRET_KEY: 'test-secret-key-for-the-e2e-suites-only',
        DATA_DIR: dataDir,
        SECRETS_DIR: join(dataDir, 'no-secrets'),
      });
      // Every variable the loader reads (the SECRET_KEY and PREVIOUS_SECRET_KEYS of the one signing-keys settings
      // among them), read by the whole process exactly as often as by the loader alone: never a second load.
      for (const name of ['SECRET_KEY', 'PREVIOUS_SECRET_KEYS', 'USERS', 'PUBLIC_ORTHANC_ROOT', 'DATABASE_URL'])
        expect(once[name]).toBeGreaterThan(0);
      // NODE_ENV and NEST_DEBUG (Nest's own switch, read by the framework for every module it scans, in the loader's
      // context as in the application) are not settings of the service.
      const settings = Object.keys(once).filter((name) => !FRAMEWORK.has(name));
      expect(Object.fromEntries(settings.map((name) => [name, inMain[name] ?? 0]))).toEqual(
        Object.fromEntries(settings.map((name) => [name, once[name]])),
      );
    },
    SERVICE_START_TIMEOUT_MS + 60_000,
  );

  it('an application built from a loaded configuration never reads process.env while it starts and serves', async () => {
    const saved = process.env;
    const counted = countEnvReads(saved);
    const settings = Object.keys(await oneLoad(testEnv(freshDir(), SETTINGS))).filter((name) => !FRAMEWORK.has(name));
    process.env = counted.env;
    try {
      const svc = await startApp(SETTINGS);
      try {
        const created = await call(svc.url, 'PUT', '/tokens/viewer-instant-link', {
          id: 'x',
          type: 'viewer-instant-link',
          resources: [{ 'dicom-uid': '1.2.3', level: 'study' }],
        });
        expect(created.status).toBe(200);
        const validated = await call(svc.url, 'POST', '/tokens/validate', {
          'dicom-uid': '1.2.3',
          level: 'study',
          method: 'get',
          'token-key': 'token',
          'token-value': created.body.token,
        });
        expect(validated.body).toMatchObject({ granted: true });
        expect((await call(svc.url, 'GET', '/ready')).status).toBe(200);
        expect((await call(svc.url, 'GET', '/metrics')).status).toBe(200);
      } finally {
        await svc.close();
      }
    } finally {
      process.env = saved;
    }
    const readAgain = settings.filter((name) => counted.reads[name] !== undefined);
    expect(readAgain).toEqual([]);
  });
});
