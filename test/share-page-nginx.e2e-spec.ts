/**
 * The share page behind the real nginx, with the `location /share/` block of each compose setup's nginx config (its
 * upstream swapped for this test's service): the page and its forms go through, and the client address the lockout
 * counts is the one nginx saw, whatever X-Forwarded-For the client sent. nginx is a test peer
 * (scripts/install-test-peers.sh): missing, this suite fails with the install command.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RunningApp, startApp } from './support/app';
import { RunningNginx, startNginx } from './support/nginx';
import { createProtected, formTokenOf, postForm } from './support/share-page';

const ROOT = resolve(__dirname, '..');
const SETUPS = ['basic-auth', 'keycloak', 'keycloak-inbox', 'keycloak-meddream'];

/** The setup's `location /share/ { ... }` block, as written. */
function shareLocation(setup: string): string {
  const text = readFileSync(join(ROOT, 'docker', setup, 'nginx', 'default.conf'), 'utf8').replace(/#.*$/gm, '');
  const start = text.indexOf('location /share/ {');
  if (start < 0) throw new Error(`${setup}: no location /share/ in its nginx config`);
  let depth = 0;
  for (let i = text.indexOf('{', start); i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`${setup}: unbalanced location /share/`);
}

describe.each(SETUPS)("the share page behind the real nginx, with %s's location /share/", (setup) => {
  let svc: RunningApp | undefined;
  let nginx: RunningNginx | undefined;
  let base: string;

  beforeAll(async () => {
    // nginx is the trusted proxy; two failures lock an address (the shares' own count, 5, is never reached).
    svc = await startApp({ SHARE_TRUSTED_PROXIES: '127.0.0.1', SHARE_UNLOCK_MAX_FAILURES_PER_ADDRESS: '2' });
    const servicePort = new URL(svc.url).port;
    const location = shareLocation(setup).replace(
      /set \$share_page_upstream orthanc-auth:8000;/,
      `set $share_page_upstream 127.0.0.1:${servicePort};`,
    );
    expect(location).toContain(`127.0.0.1:${servicePort}`);
    nginx = await startNginx(`share-${setup}`, (_work, port) => `server { listen 127.0.0.1:${port}; ${location} }`, 64);
    const port = nginx.port;
    base = `http://127.0.0.1:${port}/share/`;
  });

  afterAll(async () => {
    await nginx?.stop();
    await svc?.close();
  });

  it('serves the page and its forms; a spoofed X-Forwarded-For does not spread the failures over addresses', async () => {
    const first = await createProtected(svc!.url, { password: 'correct horse battery' });
    const page = await fetch(`${base}?token=${first.token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post" action="unlock"');
    // The anti-forgery field of each share's page, read from the service directly as another client.
    const formOf = async (token: string) =>
      formTokenOf(
        await (
          await fetch(`${svc!.url}/share/?token=${token}`, { headers: { 'x-forwarded-for': '203.0.113.99' } })
        ).text(),
      );
    const statuses: number[] = [];
    for (const spoofed of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      const { token } = await createProtected(svc!.url, { password: 'correct horse battery' });
      const form = await formOf(token);
      const res = await postForm(`${base}unlock`, { token, form, password: 'wrong' }, { 'x-forwarded-for': spoofed });
      statuses.push(res.status);
    }
    // Counted under the address nginx saw (127.0.0.1), not the three the client claimed: locked at the second.
    expect(statuses).toEqual([403, 429, 429]);
  });
});
