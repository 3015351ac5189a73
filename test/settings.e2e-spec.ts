import { Global, Module } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hardenFastify } from '@app/common';
import { PERMISSIONS, REALM_ROLES_SOURCE } from '@app/permissions';
import type { RealmRolesSource } from '@app/permissions';
import { loadAppConfig } from '../apps/auth-service/src/app.config';
import { AppModule } from '../apps/auth-service/src/app.module';
import { call, RunningApp, startApp, testEnv } from './support/app';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

const SHIPPED_ROLES = {
  roles: {
    'admin-role': { permissions: [...PERMISSIONS], 'authorized-labels': ['*'] },
    'doctor-role': { permissions: ['view', 'download', 'share', 'send'], 'authorized-labels': ['*'] },
    'external-role': { permissions: ['view', 'download'], 'authorized-labels': ['external'] },
  },
  'available-labels': [],
};

const EDITED = {
  roles: {
    'doctor-role': { permissions: ['view', 'download', 'delete'], 'authorized-labels': ['*'] },
    'nurse-role': { permissions: ['view', 'upload'], 'authorized-labels': ['ward-3', 'external'] },
  },
  'available-labels': ['ward-3', 'external'],
};

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'settings-e2e-'));
}

describe('GET/PUT /settings/roles (file only, no Keycloak)', () => {
  let dataDir: string;
  let svc: RunningApp | undefined;
  beforeEach(() => {
    dataDir = tempDir();
  });
  afterEach(async () => {
    await svc?.close();
    svc = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('requires the caller Basic credentials', async () => {
    svc = await startApp({ DATA_DIR: dataDir });
    const get = await call(svc.url, 'GET', '/settings/roles', undefined, { auth: null });
    expect(get.status).toBe(401);
    expect(get.headers.get('www-authenticate')).toMatch(/^Basic /);
    const put = await call(svc.url, 'PUT', '/settings/roles', EDITED, {
      auth: `Basic ${Buffer.from('share-user:wrong').toString('base64')}`,
    });
    expect(put.status).toBe(401);
    expect(
      existsSync(join(dataDir, 'permissions.json')) && readFileSync(join(dataDir, 'permissions.json'), 'utf8'),
    ).not.toContain('nurse-role');
  });

  it('serves the shipped roles on a fresh DATA_DIR, from an editable copy made there', async () => {
    svc = await startApp({ DATA_DIR: dataDir });
    const res = await call(svc.url, 'GET', '/settings/roles');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(SHIPPED_ROLES);
    expect(readFileSync(join(dataDir, 'permissions.json'), 'utf8')).toBe(
      readFileSync(resolve('config/permissions.json'), 'utf8'),
    );
  });

  it('PUT answers the stored configuration; after a restart on the same DATA_DIR, GET returns what was put', async () => {
    svc = await startApp({ DATA_DIR: dataDir });
    const put = await call(svc.url, 'PUT', '/settings/roles', {
      ...EDITED,
      roles: {
        ...EDITED.roles,
        'nurse-role': { permissions: ['view', 'upload'], authorized_labels: ['ward-3', 'external'] },
      },
      'server-id': 'ignored',
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual(EDITED);
    expect((await call(svc.url, 'GET', '/settings/roles')).body).toEqual(EDITED);
    await svc.close();
    svc = undefined;

    expect(JSON.parse(readFileSync(join(dataDir, 'permissions.json'), 'utf8'))).toEqual(EDITED);
    svc = await startApp({ DATA_DIR: dataDir });
    const after = await call(svc.url, 'GET', '/settings/roles');
    expect(after.status).toBe(200);
    expect(after.body).toEqual(EDITED);
  });

  it('an unknown permission in a PUT is a 400 naming it, and changes nothing (GET and the file)', async () => {
    svc = await startApp({ DATA_DIR: dataDir });
    expect((await call(svc.url, 'PUT', '/settings/roles', EDITED)).status).toBe(200);
    const fileBefore = readFileSync(join(dataDir, 'permissions.json'), 'utf8');

    const bad = await call(svc.url, 'PUT', '/settings/roles', {
      roles: { 'doctor-role': { permissions: ['view', 'self-destruct'], 'authorized-labels': ['*'] } },
      'available-labels': [],
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/json/);
    expect(bad.body.statusCode).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('self-destruct');
    expect(JSON.stringify(bad.body.message)).toContain('roles.doctor-role.permissions[1]');

    expect((await call(svc.url, 'GET', '/settings/roles')).body).toEqual(EDITED);
    expect(readFileSync(join(dataDir, 'permissions.json'), 'utf8')).toBe(fileBefore);
  });

  it.each([
    ['an array', 'content', []],
    ['null', 'content', null],
    ['no roles', 'roles', { 'available-labels': [] }],
    ['roles as a list', 'roles', { roles: ['doctor-role'] }],
    ['permissions as a string', 'roles.r.permissions', { roles: { r: { permissions: 'view' } } }],
    ['a label that is not a string', 'roles.r.authorized-labels[0]', { roles: { r: { 'authorized-labels': [7] } } }],
    ['available-labels as an object', 'available-labels', { roles: {}, 'available-labels': { a: 1 } }],
  ])('a PUT with %s is a 400 naming %s, and changes nothing', async (_name, field, body) => {
    svc = await startApp({ DATA_DIR: dataDir });
    const before = readFileSync(join(dataDir, 'permissions.json'), 'utf8');
    const res = await call(svc.url, 'PUT', '/settings/roles', body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain(field);
    expect((await call(svc.url, 'GET', '/settings/roles')).body).toEqual(SHIPPED_ROLES);
    expect(readFileSync(join(dataDir, 'permissions.json'), 'utf8')).toBe(before);
  });

  it('a PUT that is not JSON is a JSON 4xx and changes nothing', async () => {
    svc = await startApp({ DATA_DIR: dataDir });
    const res = await call(svc.url, 'PUT', '/settings/roles', undefined, {
      raw: '{"roles": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.statusCode).toBe(400);
    expect((await call(svc.url, 'GET', '/settings/roles')).body).toEqual(SHIPPED_ROLES);
  });

  it('concurrent PUTs leave one complete version, the same in memory and on disk', async () => {
    svc = await startApp({ DATA_DIR: dataDir });
    const versions = Array.from({ length: 12 }, (_, n) => ({
      roles: { [`role-${n}`]: { permissions: ['view'], 'authorized-labels': [`label-${n}`] } },
      'available-labels': Array.from({ length: 100 }, (_, i) => `l-${n}-${i}`),
    }));
    const answers = await Promise.all(versions.map((v) => call(svc!.url, 'PUT', '/settings/roles', v)));
    expect(answers.map((a) => a.status)).toEqual(versions.map(() => 200));
    const onDisk = JSON.parse(readFileSync(join(dataDir, 'permissions.json'), 'utf8'));
    expect(versions).toContainEqual(onDisk);
    expect((await call(svc.url, 'GET', '/settings/roles')).body).toEqual(onDisk);
  });

  it('with PERMISSIONS_FILE_PATH, reads comments and authorized_labels there, and a PUT rewrites that file in place', async () => {
    const file = join(dataDir, 'my-permissions.json');
    writeFileSync(
      file,
      '// site roles\n{"roles": {"doctor-role": {"permissions": ["view"], "authorized_labels": ["*"]}}, "available_labels": []}\n',
    );
    svc = await startApp({ DATA_DIR: dataDir, PERMISSIONS_FILE_PATH: file });
    expect((await call(svc.url, 'GET', '/settings/roles')).body).toEqual({
      roles: { 'doctor-role': { permissions: ['view'], 'authorized-labels': ['*'] } },
      'available-labels': [],
    });
    expect(existsSync(join(dataDir, 'permissions.json'))).toBe(false);
    expect((await call(svc.url, 'PUT', '/settings/roles', EDITED)).status).toBe(200);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(EDITED);
  });

  it("a failed write (the file's folder was removed) is a JSON 500 and changes nothing in memory", async () => {
    const sub = join(dataDir, 'conf');
    mkdirSync(sub);
    const file = join(sub, 'permissions.json');
    writeFileSync(file, JSON.stringify(SHIPPED_ROLES));
    svc = await startApp({ DATA_DIR: dataDir, PERMISSIONS_FILE_PATH: file });
    rmSync(sub, { recursive: true, force: true });
    const res = await call(svc.url, 'PUT', '/settings/roles', EDITED);
    expect(res.status).toBe(500);
    expect(res.body.message).toEqual([
      expect.stringMatching(/Could not write the roles file .* \(ENOENT\); the roles configuration is unchanged/),
    ]);
    expect(typeof res.body.errorId).toBe('string');
    expect((await call(svc.url, 'GET', '/settings/roles')).body).toEqual(SHIPPED_ROLES);
  });

  it('refuses to start on an unknown permission in the file, naming the permission and the file', async () => {
    const file = join(dataDir, 'bad.json');
    writeFileSync(file, '// oops\n{"roles": {"doctor-role": {"permissions": ["view", "x-ray-vision"]}}}');
    await expect(startApp({ DATA_DIR: dataDir, PERMISSIONS_FILE_PATH: file })).rejects.toThrow(
      /PERMISSIONS_FILE_PATH.*bad\.json.*"x-ray-vision"/,
    );
  });

  it('refuses to start on a malformed file, naming the file and the position', async () => {
    const file = join(dataDir, 'broken.json');
    writeFileSync(file, '{\n  "roles": {}\n  "available-labels": []\n}');
    await expect(startApp({ DATA_DIR: dataDir, PERMISSIONS_FILE_PATH: file })).rejects.toThrow(
      /broken\.json.*line 3, column 3/,
    );
  });

  it('refuses to start on an anonymous profile with validity 0, naming the file', async () => {
    const file = join(dataDir, 'anon.json');
    writeFileSync(file, '{"name": "Anonymous", "permissions": [], "authorized-labels": [], "validity": 0}');
    await expect(startApp({ DATA_DIR: dataDir, ANONYMOUS_PROFILE_FILE_PATH: file })).rejects.toThrow(
      /ANONYMOUS_PROFILE_FILE_PATH.*anon\.json.*validity/,
    );
  });
});

/** A realm-roles source whose answer (or failure) the test sets; registered through the REALM_ROLES_SOURCE DI token. */
class FakeRealmRoles implements RealmRolesSource {
  roles: string[] = [];
  failure?: Error;
  calls = 0;
  async listRealmRoles(): Promise<string[]> {
    this.calls++;
    if (this.failure) throw this.failure;
    return [...this.roles];
  }
}

/**
 * The whole app (AppModule, real socket, real guard/pipe/filter) with the REALM_ROLES_SOURCE token bound to a fake:
 * provided by a global test module, and overridden too in case a real Keycloak module already binds it.
 */
async function startWithRealmSource(
  dataDir: string,
  source: RealmRolesSource | null,
): Promise<{ url: string; close(): Promise<void> }> {
  {
    const config = await loadAppConfig({ env: testEnv(dataDir) });
    const { core } = config;
    @Global()
    @Module({ providers: [{ provide: REALM_ROLES_SOURCE, useValue: source }], exports: [REALM_ROLES_SOURCE] })
    class FakeRealmRolesModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config), FakeRealmRolesModule] })
      .overrideProvider(REALM_ROLES_SOURCE)
      .useValue(source)
      .compile();
    const adapter = new FastifyAdapter({ bodyLimit: core.bodyLimit });
    hardenFastify(adapter.getInstance());
    const app = moduleRef.createNestApplication<NestFastifyApplication>(adapter, { bodyParser: false, logger: false });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
  }
}

describe('GET /settings/roles reconciled with the realm roles (fake RealmRolesSource bound to the REALM_ROLES_SOURCE token)', () => {
  let dataDir: string;
  let realm: FakeRealmRoles;
  let svc: { url: string; close(): Promise<void> };
  beforeEach(async () => {
    dataDir = tempDir();
    realm = new FakeRealmRoles();
    svc = await startWithRealmSource(dataDir, realm);
  });
  afterEach(async () => {
    await svc.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds realm roles missing from the file with empty lists and drops roles the realm no longer has, without changing the file', async () => {
    realm.roles = ['doctor-role', 'admin-role', 'radiologist'];
    const fileBefore = readFileSync(join(dataDir, 'permissions.json'), 'utf8');
    const res = await call(svc.url, 'GET', '/settings/roles');
    expect(res.status).toBe(200);
    expect(realm.calls).toBe(1);
    expect(res.body).toEqual({
      roles: {
        'admin-role': SHIPPED_ROLES.roles['admin-role'],
        'doctor-role': SHIPPED_ROLES.roles['doctor-role'],
        radiologist: { permissions: [], 'authorized-labels': [] },
      },
      'available-labels': [],
    });
    expect(readFileSync(join(dataDir, 'permissions.json'), 'utf8')).toBe(fileBefore);
  });

  it('leaves out Keycloak built-in roles even if the source returns them', async () => {
    realm.roles = ['offline_access', 'uma_authorization', 'default-roles-orthanc', 'external-role'];
    const res = await call(svc.url, 'GET', '/settings/roles');
    expect(Object.keys(res.body.roles)).toEqual(['external-role']);
  });

  it('PUT answers the stored configuration, and the next GET reconciles it with the realm', async () => {
    realm.roles = ['doctor-role', 'auditor'];
    const put = await call(svc.url, 'PUT', '/settings/roles', EDITED);
    expect(put.status).toBe(200);
    expect(put.body).toEqual(EDITED);
    const get = await call(svc.url, 'GET', '/settings/roles');
    expect(get.body).toEqual({
      roles: { 'doctor-role': EDITED.roles['doctor-role'], auditor: { permissions: [], 'authorized-labels': [] } },
      'available-labels': EDITED['available-labels'],
    });
  });

  it('answers a JSON 503 when the realm roles cannot be listed (Keycloak outage), and serves again once it is back', async () => {
    realm.failure = new Error('connect ECONNREFUSED 127.0.0.1:8080');
    const down = await call(svc.url, 'GET', '/settings/roles');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ statusCode: 503, message: [expect.stringMatching(/Keycloak/)] });
    expect(down.text).not.toContain('ECONNREFUSED');
    realm.failure = undefined;
    realm.roles = ['external-role'];
    const up = await call(svc.url, 'GET', '/settings/roles');
    expect(up.status).toBe(200);
    expect(Object.keys(up.body.roles)).toEqual(['external-role']);
  });
});

describe('GET /settings/roles with the REALM_ROLES_SOURCE token bound to null (Keycloak admin client not configured)', () => {
  it('serves the file alone', async () => {
    const dataDir = tempDir();
    const svc = await startWithRealmSource(dataDir, null);
    try {
      const res = await call(svc.url, 'GET', '/settings/roles');
      expect(res.status).toBe(200);
      expect(res.body).toEqual(SHIPPED_ROLES);
    } finally {
      await svc.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
