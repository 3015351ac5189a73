import Database from 'better-sqlite3';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, RunningApp, startApp } from './support/app';
import { createProtected, formTokenOf, postForm, STUDY, StandInViewer, validate } from './support/share-page';
import { SmtpTestServer } from './support/smtp-test-server';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

const PASSWORD = 'correct horse battery';

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

describe('protected share links (issue 15): creation, validate, decode, the share page, child tokens', () => {
  const viewer = new StandInViewer();
  const smtp = new SmtpTestServer();
  let svc: RunningApp;
  let page: string;
  let env: Record<string, string>;
  // The SMTP test server's CA certificate, written for the service to trust: removed with the rest after the suite.
  const caFile = join(tmpdir(), `share-protected-ca-${process.pid}.pem`);

  beforeAll(async () => {
    try {
      const viewerRoot = await viewer.start();
      const smtpPort = await smtp.start();
      env = {
        PUBLIC_ORTHANC_ROOT: viewerRoot,
        SHARE_TRUSTED_PROXIES: '127.0.0.1',
        SHARE_UNLOCK_MAX_FAILURES_PER_ADDRESS: '8',
        SHARE_UNLOCK_GUESSES_PER_DAY: '6',
        SHARE_UNLOCK_MAX_GUESSES_PER_DAY: '10',
        // Room at the scrypt gate for the 60 parallel guesses below (its refusals are proven in shares-protection).
        SHARE_UNLOCK_CONCURRENCY: '16',
        ...smtp.serviceEnv(smtpPort, caFile),
        EMAILS_SENDER_ADDRESS: 'orthanc@hospital.example.org',
        SHARE_PAGE_ORGANIZATION: 'Radiology, Example Hospital',
      };
      svc = await startApp(env);
      page = `${svc.url}/share/`;
    } catch (err) {
      await Promise.allSettled([viewer.stop(), smtp.stop()]);
      throw err;
    }
  });
  afterAll(async () => {
    await Promise.allSettled([svc?.close(), viewer.stop(), smtp.stop()]);
    rmSync(caFile, { force: true });
  });

  /** A client address of its own per test (through the trusted proxy), so that address counts do not mix. */
  let n = 0;
  const client = () => ({ 'x-forwarded-for': `203.0.113.${++n}` });

  async function open(token: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${page}?token=${token}`, { headers });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  /** Posts the password form (with the anti-forgery token of an earlier page, or of the page opened now). */
  async function unlock(token: string, password: string, headers: Record<string, string>, earlier?: string) {
    const form = earlier ?? formTokenOf((await open(token, headers)).text);
    return postForm(`${page}unlock`, { token, form, password }, headers);
  }

  describe('creating one', () => {
    it('answers a token of the Python format with one more claim, and the share page as its link', async () => {
      const created = await createProtected(svc.url, { password: PASSWORD });
      expect(created.url).toBe(`http://localhost:8000/share/?token=${created.token}`);
      expect(created.request.protection).toBe('password');
      expect(JSON.stringify(created)).not.toContain(PASSWORD);
      const claims = claimsOf(created.token);
      expect(claims).toMatchObject({ id: 'protected', type: 'stone-viewer-publication', protected: true });
      // It names no resource: a validator that ignores the flag (the Python service sharing SECRET_KEY, an earlier
      // version during a rollback) grants nothing, and the link alone does not tell which study it opens.
      expect(claims.resources).toEqual([]);
      expect(Object.keys(claims)).toEqual([
        'id',
        'resources',
        'type',
        'expiration_date',
        'validity_duration',
        'share_id',
        'protected',
      ]);
      expect(JSON.stringify(claims)).not.toContain(PASSWORD);
    });

    it('keeps only a slow hash of the password in the registry', async () => {
      await createProtected(svc.url, { password: 'a-password-to-look-for' });
      const file = join(svc.dataDir, 'shares.sqlite');
      const db = new Database(file, { readonly: true });
      try {
        const rows = db.prepare('SELECT kind, password_hash FROM share_protections').all() as any[];
        expect(rows.length).toBeGreaterThan(0);
        for (const r of rows) expect(r.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
      } finally {
        db.close();
      }
      for (const f of ['shares.sqlite', 'shares.sqlite-wal']) {
        let bytes: string;
        try {
          bytes = readFileSync(join(svc.dataDir, f)).toString('latin1');
        } catch {
          continue;
        }
        expect(bytes).not.toContain('a-password-to-look-for');
      }
    });

    it.each([
      [{ password: 'short' }, 'password must be at least 8 characters long (SHARE_PASSWORD_MIN_LENGTH)'],
      [{ password: PASSWORD, 'email-code': 'a@example.org' }, 'give either password or email-code, not both'],
      [{ 'email-code': 'not an address' }, 'email-code: "not" is not a valid e-mail address'],
      [
        { 'email-code': ['patient@example.org', 7] },
        'email-code must be a string of addresses (8192 characters at most) or an array of at most 50 addresses',
      ],
      [{ 'email-code': 'patient@example.org', language: 'de' }, 'language must be one of en, fr'],
      [{ password: PASSWORD, language: 'fr' }, 'language: only for a link protected by email-code'],
    ])('refuses %j with a 400 naming the field', async (extra, message) => {
      const res = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', {
        resources: [STUDY],
        type: 'stone-viewer-publication',
        ...extra,
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(message);
    });

    it('takes email-code as a string or an array of addresses (docs: "one or several addresses")', async () => {
      const listed = await createProtected(svc.url, { 'email-code': ['patient@example.org', 'gp@example.org'] });
      expect(listed.request.protection).toBe('email-code');
      const id = claimsOf(listed.token).share_id as string;
      expect((await call(svc.url, 'GET', `/shares/${id}`)).body.protection['bound-addresses']).toBe(2);
      // With the recipients' language for their code e-mails (refused without email-code: see above).
      const fr = await createProtected(svc.url, { 'email-code': 'patient@example.org', language: 'fr' });
      expect(fr.request.protection).toBe('email-code');
    });

    it('protects publications only', async () => {
      const res = await call(svc.url, 'PUT', '/tokens/viewer-instant-link', {
        resources: [STUDY],
        type: 'viewer-instant-link',
        password: PASSWORD,
      });
      expect(res.status).toBe(400);
      expect(res.body.message[0]).toMatch(
        /^password: a viewer-instant-link link cannot be protected: only publications opened by a viewer link can \(stone-viewer-publication, /,
      );
    });
  });

  describe('the link alone', () => {
    it('is never granted by validate, and decode reports it as protected, pointing to the share page', async () => {
      const { token } = await createProtected(svc.url, { password: PASSWORD });
      expect(await validate(svc.url, token)).toEqual({ granted: false, validity: 60 });
      const decoded = await call(svc.url, 'POST', '/tokens/decode', { 'token-key': 'token', 'token-value': token });
      expect(decoded.body).toEqual({
        'token-type': 'stone-viewer-publication',
        'error-code': null,
        'redirect-url': `http://localhost:8000/share/?token=${token}`,
        resources: [],
        protected: true,
      });
    });
  });

  describe('the share page', () => {
    it('shows what is shared, asks the password, with a strict CSP, in English or French', async () => {
      const { token } = await createProtected(svc.url, { password: PASSWORD });
      const en = await open(token, { 'accept-language': 'de-DE, en;q=0.8, fr;q=0.5' });
      expect(en.status).toBe(200);
      expect(en.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = en.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain(`form-action 'self' http://127.0.0.1:${viewer.port}`);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(en.headers.get('cache-control')).toBe('no-store');
      expect(en.headers.get('referrer-policy')).toBe('same-origin');
      expect(en.text).toContain('<html lang="en">');
      expect(en.text).toContain('1 study');
      expect(en.text).toContain('Shared by Radiology, Example Hospital');
      expect(en.text).toContain('type="password"');
      expect(en.text).not.toContain(STUDY['dicom-uid']);
      // One script, the service's own (dates in the reader's time zone), nothing from elsewhere.
      expect(en.text.match(/<script[^>]*>/g)).toEqual(['<script src="local-time.js" defer>']);
      expect(csp).toContain("script-src 'self'");
      expect(en.text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
      expect(en.text).toContain('Radiology, Example Hospital shared medical images with you.');
      const fr = await open(token, { 'accept-language': 'fr-CH, fr;q=0.9, en;q=0.8' });
      expect(fr.text).toContain('<html lang="fr">');
      expect(fr.text).toContain('Mot de passe');
      const script = await fetch(`${page}local-time.js`);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      const css = await fetch(`${page}style.css`);
      expect(css.status).toBe(200);
      expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    });

    it('answers a link that is not a protected one of this service with a 404 page', async () => {
      for (const token of ['', 'garbage', 'a.b.c']) {
        const res = await open(token);
        expect(res.status).toBe(404);
        expect(res.text).toContain('Link not valid');
      }
    });

    it('wrong password: 403, says so and how many attempts are left; right one: 303 to the viewer with a child token', async () => {
      const headers = client();
      const { token } = await createProtected(svc.url, { password: PASSWORD });
      const wrong = await unlock(token, 'not the password', headers);
      expect(wrong.status).toBe(403);
      expect(wrong.text).toContain('Wrong password. 4 attempts left before the link is locked.');
      const right = await unlock(token, PASSWORD, headers);
      expect(right.status).toBe(303);
      const location = new URL(right.headers.get('location')!);
      expect(location.origin).toBe(`http://127.0.0.1:${viewer.port}`);
      expect(location.pathname).toBe('/stone-webviewer/index.html');
      expect(location.searchParams.get('study')).toBe(STUDY['dicom-uid']);
      const child = location.searchParams.get('token')!;
      const claims = claimsOf(child);
      expect(claims.type).toBe('viewer-instant-link');
      expect(claims.parent_share_id).toBe(claimsOf(token).share_id);
      expect(claims.protected).toBeUndefined();
      const expires = Date.parse(claims.expiration_date as string);
      expect(expires - Date.now()).toBeGreaterThan(3500_000);
      expect(expires - Date.now()).toBeLessThanOrEqual(3600_000);
      expect(await validate(svc.url, child)).toEqual({ granted: true, validity: 60 });
      // Recorded as a child of the share.
      const listed = await call(svc.url, 'GET', `/shares/${claims.share_id as string}`);
      expect(listed.status).toBe(200);
      expect(listed.body.type).toBe('viewer-instant-link');
    });

    it('a child never outlives its parent', async () => {
      const { token } = await createProtected(svc.url, { password: PASSWORD }, 600);
      const right = await unlock(token, PASSWORD, client());
      const child = new URL(right.headers.get('location')!).searchParams.get('token')!;
      expect(claimsOf(child).expiration_date).toBe(claimsOf(token).expiration_date);
    });

    it('revoking the share revokes its children at once, and the page says the link was withdrawn', async () => {
      const { token } = await createProtected(svc.url, { password: PASSWORD });
      const right = await unlock(token, PASSWORD, client());
      const child = new URL(right.headers.get('location')!).searchParams.get('token')!;
      expect((await validate(svc.url, child)).granted).toBe(true);
      const revoked = await call(svc.url, 'DELETE', `/shares/${claimsOf(token).share_id as string}`);
      expect(revoked.status).toBe(200);
      expect(await validate(svc.url, child)).toEqual({ granted: false, validity: 60 });
      // Its administrators see the child revoked with its parent, and which parent.
      const parentId = claimsOf(token).share_id as string;
      const shown = await call(svc.url, 'GET', `/shares/${claimsOf(child).share_id as string}`);
      expect(shown.body).toMatchObject({
        status: 'revoked',
        'parent-id': parentId,
        'revoked-by': `with its parent ${parentId}`,
      });
      expect(shown.body['revoked-at']).toBe(revoked.body['revoked-at']);
      const res = await open(token);
      expect(res.status).toBe(410);
      expect(res.text).toContain('Link withdrawn');
      expect(res.text).not.toContain('type="password"');
    });

    it('a holder without the password cannot keep the recipient out: 5 failures lock the guessing address on that link only', async () => {
      const { token } = await createProtected(svc.url, { password: PASSWORD });
      const attacker = client();
      const form = formTokenOf((await open(token, attacker)).text);
      const seen: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await unlock(token, `wrong ${i}`, attacker, form);
        seen.push(res.status);
        if (i < 4) expect(res.text).toContain(`${4 - i} attempt${4 - i === 1 ? '' : 's'} left`);
        else expect(res.text).toContain('this link is locked for now. Try again in 15 minutes.');
      }
      expect(seen).toEqual([403, 403, 403, 403, 429]);
      // The attacker's address is locked on this link, even with the right password (tried before any scrypt)...
      const again = await unlock(token, PASSWORD, attacker, form);
      expect(again.status).toBe(429);
      const retryAfter = Number(again.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(14 * 60);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      expect((await open(token, attacker)).status).toBe(429);
      // The trail says exactly that: five wrong passwords, then a refusal by the lock (never "wrong-password").
      const trail = (await call(svc.url, 'GET', `/shares/${claimsOf(token).share_id as string}`)).body.access;
      const unlocks = trail.recent.filter((e: any) => e.kind === 'unlock');
      expect(unlocks.map((e: any) => [e.outcome, e.reason])).toEqual([
        ['failed', 'wrong-password'],
        ['failed', 'wrong-password'],
        ['failed', 'wrong-password'],
        ['failed', 'wrong-password'],
        ['failed', 'wrong-password'],
      ]);
      expect(trail.counts.unlock).toEqual({ failed: 5, locked: 1 });
      // ...the recipient, elsewhere, sees the form and opens the link.
      const recipient = client();
      const shown = await open(token, recipient);
      expect(shown.status).toBe(200);
      expect(shown.text).toContain('type="password"');
      expect((await unlock(token, PASSWORD, recipient)).status).toBe(303);
    });

    it('an attacker from many addresses gets at most SHARE_UNLOCK_MAX_GUESSES_PER_DAY (10) guesses; an address that opened the link still opens it', async () => {
      const { token } = await createProtected(svc.url, { password: PASSWORD });
      const recipient = client();
      expect((await unlock(token, PASSWORD, recipient)).status).toBe(303);
      const form = formTokenOf((await open(token, client())).text);
      // 30 addresses at once, 2 guesses each, through the trusted proxy's X-Forwarded-For (answered at once, in JSON:
      // a browser is sent back to the page, which by then says the ceiling is reached to every one of them).
      const addresses = Array.from({ length: 30 }, () => ({ ...client(), accept: 'application/json' }));
      const answers = await Promise.all(
        [...addresses, ...addresses].map((a, i) => unlock(token, `guess ${i}`, a, form)),
      );
      const tried = answers.filter((a) => a.status === 403).length;
      expect(tried).toBe(10);
      expect(answers.filter((a) => a.status === 429)).toHaveLength(50);
      // Past the ceiling a new address cannot try (the limit the threat model states), and is told when it may.
      const late = await unlock(token, PASSWORD, client(), form);
      expect(late.status).toBe(429);
      expect(Number(late.headers.get('retry-after'))).toBeGreaterThan(23 * 3600);
      // The recipient's address, which opened the link before, is spared by the link's ceilings.
      expect((await unlock(token, PASSWORD, recipient, form)).status).toBe(303);
      // Its administrators see today's wrong guesses and the end of the ceiling (never the hash).
      const share = await call(svc.url, 'GET', `/shares/${claimsOf(token).share_id as string}`);
      expect(share.body.protection).toEqual({
        kind: 'password',
        'bound-addresses': 0,
        failures: 10,
        'locked-until': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(JSON.stringify(share.body)).not.toContain('scrypt$');
    });

    it('past SHARE_UNLOCK_GUESSES_PER_DAY (6), an address with no failure on the link (the recipient) may still try', async () => {
      const { token } = await createProtected(svc.url, { password: PASSWORD });
      const form = formTokenOf((await open(token, client())).text);
      const attacker = client();
      for (let i = 0; i < 4; i++) await unlock(token, `wrong ${i}`, attacker, form);
      for (let i = 0; i < 2; i++) await unlock(token, `wrong ${i}`, client(), form);
      expect((await unlock(token, 'wrong again', attacker, form)).status).toBe(429);
      expect((await unlock(token, PASSWORD, client(), form)).status).toBe(303);
    });

    it('locks a client address after its failures on any share (X-Forwarded-For from the trusted proxy)', async () => {
      const headers = client();
      // SHARE_UNLOCK_MAX_FAILURES_PER_ADDRESS=8 here: 4 shares, 2 failures each; the 8th locks the address.
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const { token } = await createProtected(svc.url, { password: PASSWORD });
        const form = formTokenOf((await open(token, headers)).text);
        statuses.push((await unlock(token, 'wrong', headers, form)).status);
        statuses.push((await unlock(token, 'wrong', headers, form)).status);
      }
      expect(statuses).toEqual([403, 403, 403, 403, 403, 403, 403, 429]);
      const { token } = await createProtected(svc.url, { password: PASSWORD });
      // Its page says the address is locked, and so does the right password sent from it.
      expect((await open(token, headers)).status).toBe(429);
      const form = formTokenOf((await open(token, client())).text);
      expect((await unlock(token, PASSWORD, headers, form)).status).toBe(429);
      // Another address opens that share; an address the proxy did not vouch for is the proxy's own (127.0.0.1).
      expect((await unlock(token, PASSWORD, client(), form)).status).toBe(303);
    });

    it('answers wrong and right passwords after one scrypt each (the time says nothing of the password)', async () => {
      const { token } = await createProtected(svc.url, { password: PASSWORD });
      const headers = client();
      const form = formTokenOf((await open(token, headers)).text);
      const time = async (password: string) => {
        const t0 = performance.now();
        await postForm(`${page}unlock`, { token, form, password }, headers);
        return performance.now() - t0;
      };
      const wrong = await time('wrong password');
      // All of them at least a scrypt (~tens of ms): none answers early.
      expect(wrong).toBeGreaterThan(20);
      expect(await time(PASSWORD)).toBeGreaterThan(20);
    });

    it('refuses forms sent cross-site, without the anti-forgery token, or malformed, with a 4xx page, never a 500', async () => {
      const { token } = await createProtected(svc.url, { password: PASSWORD });
      const headers = client();
      const form = formTokenOf((await open(token, headers)).text);
      const cross = await postForm(
        `${page}unlock`,
        { token, form, password: PASSWORD },
        {
          ...headers,
          origin: 'https://evil.example.org',
        },
      );
      expect(cross.status).toBe(403);
      // Origin: null (a sandboxed frame) passes only with Sec-Fetch-Site: same-origin; another host is refused.
      for (const [origin, site, answer] of [
        ['null', 'same-origin', 'Wrong password'],
        ['null', undefined, 'This form must be sent from its own page'],
        [svc.url.replace('127.0.0.1', 'localhost'), undefined, 'This form must be sent from its own page'],
      ] as const) {
        const res = await postForm(
          `${page}unlock`,
          { token, form, password: 'wrong password' },
          { ...headers, origin, ...(site ? { 'sec-fetch-site': site } : {}) },
        );
        expect(res.status).toBe(403); // a wrong password, or a refused form
        expect(res.text).toContain(answer);
      }
      const fetchSite = await postForm(
        `${page}unlock`,
        { token, form, password: PASSWORD },
        {
          ...headers,
          'sec-fetch-site': 'cross-site',
        },
      );
      expect(fetchSite.status).toBe(403);
      const noForm = await postForm(`${page}unlock`, { token, password: PASSWORD }, headers);
      expect(noForm.status).toBe(400);
      expect(noForm.text).toContain('The form was incomplete or has expired');
      const forged = await postForm(
        `${page}unlock`,
        { token, form: `${Date.now() + 60_000}.AAAA`, password: PASSWORD },
        headers,
      );
      expect(forged.status).toBe(400);
      const noPassword = await postForm(`${page}unlock`, { token, form }, headers);
      expect(noPassword.status).toBe(400);
      const noToken = await postForm(`${page}unlock`, { form, password: PASSWORD }, headers);
      expect(noToken.status).toBe(404);
      for (const body of ['%%%', '{"token": 1}', 'token[]=1&token[]=2', 'a'.repeat(70_000)]) {
        const res = await fetch(`${page}unlock`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body,
        });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      }
    });

    it('answers JSON to API callers that ask for it', async () => {
      const { token } = await createProtected(svc.url, { password: PASSWORD });
      const headers = { ...client(), accept: 'application/json' };
      const form = formTokenOf((await open(token)).text);
      const wrong = await postForm(`${page}unlock`, { token, form, password: 'nope nope' }, headers);
      expect(wrong.status).toBe(403);
      expect(JSON.parse(wrong.text)).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: ['Wrong password. 4 attempts left before the link is locked.'],
        'attempts-left': 4,
      });
      const right = await postForm(`${page}unlock`, { token, form, password: PASSWORD }, headers);
      expect(right.status).toBe(200);
      expect(JSON.parse(right.text)['redirect-url']).toMatch(/stone-webviewer\/index\.html\?/);
    });
  });

  describe('the e-mailed code', () => {
    beforeEach(() => {
      smtp.received.length = 0;
    });

    async function sendCode(token: string, headers: Record<string, string>) {
      const form = formTokenOf((await open(token, headers)).text);
      const res = await postForm(`${page}code`, { token, form }, headers);
      return { res, form };
    }

    it('e-mails a 6-digit code to the bound address; it opens the share once', async () => {
      const headers = client();
      const { token } = await createProtected(svc.url, { 'email-code': 'patient@example.org' });
      const shown = await open(token, headers);
      expect(shown.text).toContain('p\u2060…\u2060t@example.org');
      expect(shown.text).not.toContain('patient@example.org');
      const { res, form } = await sendCode(token, headers);
      expect(res.status).toBe(200);
      expect(res.text).toContain('A 6-digit code was sent to p\u2060…\u2060t@example.org. It is valid for 10 minutes.');
      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0].rcptTo).toEqual(['patient@example.org']);
      // One message to the recipient, plain text and HTML, saying who shared what until when, for this address only.
      const mail = smtp.received[0].body;
      expect(smtp.received[0].headers['content-type']).toMatch(/^multipart\/alternative/);
      expect(smtp.received[0].parts.map((p) => p.type.split(';')[0])).toEqual(['text/plain', 'text/html']);
      const text = smtp.received[0].parts[0].body;
      expect(text).toContain('Radiology, Example Hospital shared medical images with you.');
      expect(text).toMatch(/The link opens 1 study until \d+ December 2026 at \d\d:\d\d UTC\./);
      expect(text).toMatch(/^ {4}\d{6}$/m);
      expect(mail).toContain('This code works only for patient@example.org');
      const code = /<strong>(\d{6})<\/strong>/.exec(mail)![1];
      const wrongCode = code === '000000' ? '111111' : '000000';
      const wrong = await postForm(`${page}unlock-code`, { token, form, code: wrongCode }, headers);
      expect(wrong.status).toBe(403);
      expect(wrong.text).toContain('Wrong code. 4 attempts left');
      // Typed as people type it: with a space or a dash.
      const typed = `${code.slice(0, 3)} - ${code.slice(3)}`;
      const right = await postForm(`${page}unlock-code`, { token, form, code: typed }, headers);
      expect(right.status).toBe(303);
      const child = new URL(right.headers.get('location')!).searchParams.get('token')!;
      expect((await validate(svc.url, child)).granted).toBe(true);
      const again = await postForm(`${page}unlock-code`, { token, form, code }, headers);
      expect(again.status).toBe(410);
      expect(again.text).toContain('This code has expired or was already used');
    });

    it("e-mails the code in the recipient's language given at creation, whatever the page's", async () => {
      const headers = { ...client(), 'accept-language': 'en' };
      const { token } = await createProtected(svc.url, { 'email-code': 'patient@example.org', language: 'fr' });
      const { res } = await sendCode(token, headers);
      expect(res.status).toBe(200);
      expect(res.text).toContain('<html lang="en">');
      const [mail] = smtp.received;
      expect(mail.headers.subject).toMatch(/=\?UTF-8\?|Votre code/);
      expect(mail.parts[0].body).toContain('Votre code à usage unique');
      expect(mail.parts[0].body).toContain('Ce code ne fonctionne que pour patient@example.org');
    });

    it('sends at most SHARE_CODE_REQUESTS_PER_HOUR (3) codes per share and recipient an hour; the page then offers no send button', async () => {
      const { token } = await createProtected(svc.url, { 'email-code': 'patient@example.org' });
      const statuses: number[] = [];
      let last = '';
      for (let i = 0; i < 4; i++) {
        const { res } = await sendCode(token, client());
        statuses.push(res.status);
        last = res.text;
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(smtp.received).toHaveLength(3);
      expect(last).toContain('You can ask for a new one in');
      expect(last).not.toContain('action="code"');
      expect(last).toContain('name="code"'); // the codes sent still work
    });

    it('a bound address receives at most SHARE_CODE_EMAILS_PER_DAY (10) codes a day, whatever the links', async () => {
      const to = `bombed-${Date.now()}@example.org`;
      const links = await Promise.all(Array.from({ length: 4 }, () => createProtected(svc.url, { 'email-code': to })));
      const statuses: number[] = [];
      for (const { token } of links)
        for (let i = 0; i < 3; i++) statuses.push((await sendCode(token, client())).res.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      expect(statuses.slice(10)).toEqual([429, 429]);
      expect(smtp.received.filter((m) => m.rcptTo.includes(to))).toHaveLength(10);
    });
  });

  describe('e-mail-bound links (EMAILS_BIND_SHARE_LINKS=true)', () => {
    let bound: RunningApp;
    beforeAll(async () => {
      bound = await startApp({ ...env, EMAILS_BIND_SHARE_LINKS: 'true' });
    });
    afterAll(async () => {
      await bound?.close();
    });
    beforeEach(() => {
      smtp.received.length = 0;
    });

    const send = (content: string, to = 'patient@example.org; gp@example.org') =>
      call(bound.url, 'POST', '/emails/send', {
        'destination-email': to,
        'email-title': 'Your images',
        'email-content': content,
        'layout-template': null,
      });

    it('replaces each share link by one bound to the recipients: the e-mailed link asks for a code sent to them', async () => {
      const created = await call(bound.url, 'PUT', '/tokens/stone-viewer-publication', {
        id: 'for-the-patient',
        resources: [STUDY],
        type: 'stone-viewer-publication',
        'validity-duration': 7200,
      });
      const { token, url } = created.body as { token: string; url: string };
      const html = `<p><a href="${url.replace(/&/g, '&amp;')}">Open your images</a></p><p>Token: ${token}</p>`;
      const res = await send(html);
      expect(res.body).toEqual({ success: true, details: null });
      expect(smtp.received).toHaveLength(1);
      const body = smtp.received[0].body;
      expect(body).not.toContain(token);
      expect(body).not.toContain('stone-webviewer');
      const link = /href="([^"]+)"/.exec(body)![1];
      expect(link).toMatch(/^http:\/\/localhost:8000\/share\/\?token=/);
      const copy = new URL(link).searchParams.get('token')!;
      expect(body).toContain(`Token: ${copy}`);
      const claims = claimsOf(copy);
      expect(claims).toMatchObject({
        id: 'for-the-patient',
        protected: true,
        expiration_date: claimsOf(token).expiration_date,
      });
      // The copy alone grants nothing; the original is left as it was.
      expect((await validate(bound.url, copy)).granted).toBe(false);
      expect((await validate(bound.url, token)).granted).toBe(true);
      // Its page offers a code, e-mailed to the recipients of the e-mail.
      smtp.received.length = 0;
      const pageUrl = `${bound.url}/share/`;
      const shown = await fetch(`${pageUrl}?token=${copy}`);
      const text = await shown.text();
      const form = formTokenOf(text);
      // One button per recipient; each gets a message of their own, with a code of their own.
      expect(text).toContain('E-mail a code to g@example.org');
      const sent = await postForm(`${pageUrl}code`, { token: copy, form, to: '0' }, client());
      expect(sent.status).toBe(200);
      const sentGp = await postForm(`${pageUrl}code`, { token: copy, form, to: '1' }, client());
      expect(sentGp.status).toBe(200);
      expect(smtp.received.map((m) => m.rcptTo)).toEqual([['patient@example.org'], ['gp@example.org']]);
      const codes = smtp.received.map((m) => /<strong>(\d{6})<\/strong>/.exec(m.body)![1]);
      expect(smtp.received[1].body).toContain('This code works only for gp@example.org');
      expect(smtp.received[1].body).not.toContain('patient@example.org');
      // The patient's code still works after the GP asked for theirs.
      const headers = client();
      const right = await postForm(`${pageUrl}unlock-code`, { token: copy, form, code: codes[0] }, headers);
      expect(right.status).toBe(303);
    });

    it('leaves other text and already protected links alone', async () => {
      const { token } = await createProtected(bound.url, { password: PASSWORD });
      const html = `<p>No link here but eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.${'a'.repeat(43)}; protected: ${token}</p>`;
      expect((await send(html)).body.success).toBe(true);
      expect(smtp.received[0].body).toContain(html.replace(/<\/?p>/g, '').slice(0, 40));
      expect(smtp.received[0].body).toContain(token);
    });

    it('refuses to bind a revoked or expired link: a withdrawn link never comes back as a new one', async () => {
      const created = await call(bound.url, 'PUT', '/tokens/stone-viewer-publication', {
        resources: [STUDY],
        type: 'stone-viewer-publication',
        'validity-duration': 7200,
      });
      const { token } = created.body as { token: string };
      const shareId = claimsOf(token).share_id as string;
      expect((await call(bound.url, 'DELETE', `/shares/${shareId}`)).status).toBe(200);
      const revoked = await send(`<p><a href="http://x/?token=${token}">Open</a></p>`);
      expect(revoked.status).toBe(400);
      expect(revoked.body).toEqual({
        success: false,
        details: `not sent: a share link in the e-mail (share ${shareId}) was revoked`,
      });
      const expired = await call(bound.url, 'PUT', '/tokens/stone-viewer-publication', {
        resources: [STUDY],
        type: 'stone-viewer-publication',
        'expiration-date': '2020-01-01T00:00:00',
      });
      const old = await send(`<p>${(expired.body as { token: string }).token}</p>`);
      expect(old.status).toBe(400);
      expect(old.body.details).toMatch(/^not sent: a share link in the e-mail expired on 2020-01-01/);
      expect(smtp.received).toHaveLength(0);
    });

    it('refuses to send an e-mail whose link cannot be bound (an instant link), rather than send it as it is', async () => {
      const created = await call(bound.url, 'PUT', '/tokens/viewer-instant-link', {
        resources: [STUDY],
        type: 'viewer-instant-link',
        'validity-duration': 600,
      });
      const res = await send(`<p>${created.body.token as string}</p>`);
      expect(res.status).toBe(400);
      expect(res.body.success).toBe(false);
      expect(res.body.details).toMatch(
        /^not sent: binding a link to its recipients: a viewer-instant-link link cannot be protected/,
      );
      expect(smtp.received).toHaveLength(0);
    });
  });
});
