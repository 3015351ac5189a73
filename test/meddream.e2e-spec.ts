import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { call, RunningApp, startApp } from './support/app';
import { FakeMedDreamTokenService } from './support/meddream-token-service';
import { closedPort } from './support/net';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

const MEDDREAM_ROOT = 'https://viewer.example.org/meddream/';
const LANDING_ROOT = 'https://share.example.org/landing/';

const study = (uid: string | null, level = 'study') => ({
  'dicom-uid': uid,
  'orthanc-id': `o-${uid}`,
  url: null,
  level,
});

function createBody(type: string, resources: unknown[]) {
  return { id: 'share-1', resources, type, 'expiration-date': null, 'validity-duration': 3600 };
}

describe('MedDream links (PROTOCOL.md section 7) against a real HTTP token service', () => {
  const meddream = new FakeMedDreamTokenService();
  let svc: RunningApp;

  beforeAll(async () => {
    const tokenServiceUrl = await meddream.start();
    svc = await startApp({
      MEDDREAM_TOKEN_SERVICE_URL: tokenServiceUrl,
      PUBLIC_MEDDREAM_ROOT: MEDDREAM_ROOT,
      PUBLIC_LANDING_ROOT: LANDING_ROOT,
      MEDDREAM_TIMEOUT: '300',
    });
  });
  afterAll(async () => {
    await svc.close();
    await meddream.stop();
  });
  beforeEach(() => {
    meddream.mode = 'token';
    meddream.received.length = 0;
  });

  it('creates a meddream-instant-link: one item per study is asked for, the answer is the token of the link', async () => {
    const res = await call(
      svc.url,
      'PUT',
      '/tokens/meddream-instant-link',
      createBody('meddream-instant-link', [study('1.2.840.1'), study('1.2.840.2')]),
    );
    expect(res.status).toBe(200);
    expect(res.body.token).toMatch(/^md-token-\d+$/);
    expect(res.body.url).toBe(`${MEDDREAM_ROOT}?study=1.2.840.1,1.2.840.2&token=${res.body.token}`);
    expect(res.body.request.type).toBe('meddream-instant-link');
    expect(meddream.received).toEqual([
      {
        method: 'POST',
        path: '/v3/generate',
        contentType: 'application/json',
        body: {
          items: [
            { studies: { study: '1.2.840.1', storage: 'Orthanc' } },
            { studies: { study: '1.2.840.2', storage: 'Orthanc' } },
          ],
        },
      },
    ]);
  });

  it('creates a meddream-viewer-publication (landing link, no MedDream call) whose every decode mints a fresh link', async () => {
    const created = await call(
      svc.url,
      'PUT',
      '/tokens/meddream-viewer-publication',
      createBody('meddream-viewer-publication', [study('1.2.840.7')]),
    );
    expect(created.status).toBe(200);
    expect(created.body.url).toBe(`${LANDING_ROOT}?token=${created.body.token}`);
    expect(meddream.received).toHaveLength(0);

    const decode = () =>
      call(svc.url, 'POST', '/tokens/decode', { 'token-key': 'token', 'token-value': created.body.token });
    const first = await decode();
    const second = await decode();
    for (const d of [first, second]) {
      expect(d.status).toBe(200);
      expect(d.body).toMatchObject({ 'token-type': 'meddream-viewer-publication', 'error-code': null });
      expect(d.body.resources).toEqual([study('1.2.840.7')]);
      expect(d.body['redirect-url']).toMatch(
        new RegExp(`^${MEDDREAM_ROOT.replace(/[.?/]/g, '\\$&')}\\?study=1\\.2\\.840\\.7&token=md-token-\\d+$`),
      );
    }
    expect(first.body['redirect-url']).not.toBe(second.body['redirect-url']);
    expect(meddream.received.map((r) => r.body)).toEqual([
      { items: [{ studies: { study: '1.2.840.7', storage: 'Orthanc' } }] },
      { items: [{ studies: { study: '1.2.840.7', storage: 'Orthanc' } }] },
    ]);
  });

  it('answers a JSON 502 (with an errorId) when the token service answers 500, and never uses its page as a token', async () => {
    meddream.mode = 'error-500';
    const res = await call(
      svc.url,
      'PUT',
      '/tokens/meddream-instant-link',
      createBody('meddream-instant-link', [study('1.2.3')]),
    );
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.body).toMatchObject({
      statusCode: 502,
      error: 'Bad Gateway',
      message: [expect.stringContaining('HTTP 500')],
    });
    expect(res.body.errorId).toEqual(expect.any(String));
    expect(res.text).not.toContain('Internal Server Error</body>');
  });

  it('answers a JSON 502 when decode cannot mint a MedDream link', async () => {
    const created = await call(
      svc.url,
      'PUT',
      '/tokens/meddream-viewer-publication',
      createBody('meddream-viewer-publication', [study('1.2.840.8')]),
    );
    meddream.mode = 'error-500';
    const res = await call(svc.url, 'POST', '/tokens/decode', {
      'token-key': 'token',
      'token-value': created.body.token,
    });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ statusCode: 502 });
  });

  it('answers a JSON 504 when the token service does not answer within MEDDREAM_TIMEOUT', async () => {
    meddream.mode = 'hang';
    const res = await call(
      svc.url,
      'PUT',
      '/tokens/meddream-instant-link',
      createBody('meddream-instant-link', [study('1.2.3')]),
    );
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({
      statusCode: 504,
      error: 'Gateway Timeout',
      message: [expect.stringContaining('300 ms')],
    });
    expect(meddream.received).toHaveLength(1);
  });

  it('answers a JSON 502 for an empty answer', async () => {
    meddream.mode = 'empty';
    const res = await call(
      svc.url,
      'PUT',
      '/tokens/meddream-instant-link',
      createBody('meddream-instant-link', [study('1.2.3')]),
    );
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ statusCode: 502, message: [expect.stringContaining('empty')] });
  });

  it('answers a JSON 502 for a 200 page that is not a token', async () => {
    meddream.mode = 'html-page';
    const res = await call(
      svc.url,
      'PUT',
      '/tokens/meddream-instant-link',
      createBody('meddream-instant-link', [study('1.2.3')]),
    );
    expect(res.status).toBe(502);
    expect(res.text).not.toContain('Please log in');
  });

  it.each([
    ['a series-level resource', [study('1.2.3', 'series')], 'resources.0.level'],
    ['a study without dicom-uid', [study('1.2.3'), study(null)], 'resources.1.dicom-uid'],
    ['a dicom-uid that would break the link', [study('1.2.3&token=forged')], 'resources.0.dicom-uid'],
    ['no resources', [], 'at least one study'],
  ])(
    'refuses %s with a 400 naming the problem, without asking MedDream, for both MedDream types',
    async (_what, resources, named) => {
      for (const type of ['meddream-instant-link', 'meddream-viewer-publication']) {
        const res = await call(svc.url, 'PUT', `/tokens/${type}`, createBody(type, resources));
        expect(res.status).toBe(400);
        expect(res.body.statusCode).toBe(400);
        expect(JSON.stringify(res.body.message)).toContain(named);
      }
      expect(meddream.received).toHaveLength(0);
    },
  );
});

describe('MedDream token service unreachable', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp({
      MEDDREAM_TOKEN_SERVICE_URL: `http://127.0.0.1:${await closedPort()}/v3/generate`,
      PUBLIC_MEDDREAM_ROOT: MEDDREAM_ROOT,
    });
  });
  afterAll(() => svc.close());

  it('answers a JSON 502 on a refused connection', async () => {
    const res = await call(
      svc.url,
      'PUT',
      '/tokens/meddream-instant-link',
      createBody('meddream-instant-link', [study('1.2.3')]),
    );
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ statusCode: 502, message: [expect.stringContaining('could not be reached')] });
  });
});

describe('MedDream not configured', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp({ PUBLIC_LANDING_ROOT: LANDING_ROOT });
  });
  afterAll(() => svc.close());

  it.each(['meddream-instant-link', 'meddream-viewer-publication'])(
    'refuses %s with a 400 naming the variables',
    async (type) => {
      const res = await call(svc.url, 'PUT', `/tokens/${type}`, createBody(type, [study('1.2.3')]));
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain('MEDDREAM_TOKEN_SERVICE_URL');
    },
  );
});

describe('MedDream start-up configuration', () => {
  it.each([
    [{ MEDDREAM_TOKEN_SERVICE_URL: 'http://127.0.0.1:1/v3/generate' }, 'PUBLIC_MEDDREAM_ROOT'],
    [{ PUBLIC_MEDDREAM_ROOT: MEDDREAM_ROOT }, 'MEDDREAM_TOKEN_SERVICE_URL'],
    // PUBLIC_MEDDREAM_ROOT without its final "/" is no longer refused: it is the same root (libs/meddream's spec).
  ])('refuses to start with %j, naming %s', async (env, named) => {
    await expect(startApp(env)).rejects.toThrow(named);
  });
});

describe('MedDream instant links in the share registry, and the one-line creation and revocation logs', () => {
  const meddream = new FakeMedDreamTokenService();
  let svc: RunningApp;

  beforeAll(async () => {
    svc = await startApp(
      { MEDDREAM_TOKEN_SERVICE_URL: await meddream.start(), PUBLIC_MEDDREAM_ROOT: MEDDREAM_ROOT, LOG_LEVEL: 'info' },
      { captureLogs: true },
    );
  });
  afterAll(async () => {
    await svc.close();
    await meddream.stop();
  });

  const logLines = () => svc.logs.map((l) => JSON.parse(l) as Record<string, any>);

  it('records each instant link (creator, studies, token hash, no expiry) and logs its creation without the token', async () => {
    const res = await call(
      svc.url,
      'PUT',
      '/tokens/meddream-instant-link',
      createBody('meddream-instant-link', [study('1.2.840.31'), study('1.2.840.32')]),
    );
    expect(res.status).toBe(200);
    const token: string = res.body.token;

    const listed = await call(svc.url, 'GET', '/shares?type=meddream-instant-link&study=1.2.840.31');
    expect(listed.status).toBe(200);
    expect(listed.body.shares).toHaveLength(1);
    const share = listed.body.shares[0];
    expect(share).toMatchObject({
      status: 'active',
      type: 'meddream-instant-link',
      creator: { kind: 'basic', name: 'share-user' },
      'token-hash': createHash('sha256').update(token).digest('hex'),
      'expires-at': null,
      'revoked-at': null,
    });
    expect(share.resources.map((r: any) => r['dicom-uid'])).toEqual(['1.2.840.31', '1.2.840.32']);

    const created = logLines().filter((l) => l.shareId === share.id);
    expect(created).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: `share created: ${share.id} (meddream-instant-link) by basic:share-user, expires never`,
        type: 'meddream-instant-link',
        creator: { kind: 'basic', name: 'share-user', userId: null },
      }),
    ]);
    expect(svc.logs.join('\n')).not.toContain(token);
  });

  it('refuses to revoke an instant link with a 409 that says MedDream checks its own tokens', async () => {
    const res = await call(
      svc.url,
      'PUT',
      '/tokens/meddream-instant-link',
      createBody('meddream-instant-link', [study('1.2.840.33')]),
    );
    const id = (await call(svc.url, 'GET', '/shares?study=1.2.840.33')).body.shares[0].id;
    const refused = await call(svc.url, 'DELETE', `/shares/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toEqual([expect.stringContaining('MedDream checks its own tokens')]);
    expect((await call(svc.url, 'GET', `/shares/${id}`)).body.status).toBe('active');
    expect(logLines().filter((l) => l.msg.startsWith('share revoked') && l.shareId === id)).toEqual([]);
    expect(res.status).toBe(200);

    // The same from the shell: npm run shares -- revoke <id> (run from its source, as the CLI suite does).
    const cli = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['-r', './test/support/ts-register.cjs', 'apps/auth-service/src/cli/shares-cli.ts', 'revoke', id],
        {
          cwd: join(__dirname, '..'),
          env: { PATH: process.env.PATH!, NODE_ENV: 'test', DATA_DIR: svc.dataDir },
          timeout: 120_000,
        },
        (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr }),
      ),
    );
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('MedDream checks its own tokens');
    expect((await call(svc.url, 'GET', `/shares/${id}`)).body.status).toBe('active');
  }, 150_000);

  it('logs a revocation as one line (id, type, who), by id and by token, never the token', async () => {
    const made = await call(svc.url, 'PUT', '/tokens/viewer-instant-link', {
      id: 'log-test',
      type: 'viewer-instant-link',
      resources: [study('1.2.840.34')],
      'validity-duration': 600,
    });
    expect(made.status).toBe(200);
    const token: string = made.body.token;
    const id = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).share_id as string;
    expect((await call(svc.url, 'DELETE', `/shares/${id}`)).status).toBe(200);
    expect((await call(svc.url, 'POST', '/shares/revoke-token', { token })).status).toBe(200);

    const mine = logLines().filter((l) => l.shareId === id);
    expect(mine.map((l) => l.msg)).toEqual([
      expect.stringMatching(
        new RegExp(`^share created: ${id} \\(viewer-instant-link\\) by basic:share-user, expires 20`),
      ),
      `share revoked: ${id} (viewer-instant-link) by basic:share-user`,
      `share revoked: ${id} (viewer-instant-link) by basic:share-user`,
    ]);
    for (const line of mine) expect(line).toMatchObject({ level: 'info', type: 'viewer-instant-link' });
    expect(svc.logs.join('\n')).not.toContain(token);
    expect(svc.logs.join('\n')).not.toContain(token.split('.')[2]);
  });
});
