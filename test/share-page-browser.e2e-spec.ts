import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { call, RunningApp, startApp } from './support/app';
import { createProtected, StandInViewer, validate } from './support/share-page';
import { SmtpTestServer } from './support/smtp-test-server';

/** Debian's chromium (scripts/install-test-peers.sh), driven by playwright-core: no browser download. */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(__dirname, '..', 'test-output', 'share-page');
const PASSWORD = 'correct horse battery';
const PHONE = { width: 390, height: 780 };
/** axe-core (npm), evaluated in the page through the debugging protocol (the page's CSP allows no injected script). */
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// A browser start on a loaded 2-core machine takes seconds; each flow a few page loads and scrypts.
jest.setTimeout(120_000);

describe('the share page in a real browser (chromium): password, e-mailed code, locked, revoked', () => {
  const viewer = new StandInViewer();
  const smtp = new SmtpTestServer();
  const work = mkdtempSync(join(tmpdir(), 'orthanc-auth-share-browser-'));
  let svc: RunningApp | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let viewerRoot: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install it with sudo scripts/install-test-peers.sh`);
    }
    mkdirSync(SHOTS, { recursive: true });
    viewerRoot = await viewer.start();
    const smtpPort = await smtp.start();
    svc = await startApp({
      PUBLIC_ORTHANC_ROOT: viewerRoot,
      ...smtp.serviceEnv(smtpPort, join(work, 'smtp-ca.pem')),
      EMAILS_SENDER_ADDRESS: 'orthanc@hospital.example.org',
      SHARE_PAGE_ORGANIZATION: 'Radiology, Example Hospital',
    });
    // A fresh profile, and none of chromium's own traffic (updates, sync, safe browsing...) on this closed network.
    context = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: PHONE,
      locale: 'en-GB',
      // Far from UTC: the page's dates are shown in the reader's time zone.
      timezoneId: 'Pacific/Auckland',
      timeout: 60_000,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await Promise.allSettled([svc?.close(), viewer.stop(), smtp.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  const linkOf = (token: string) => `${svc!.url}/share/?token=${token}`;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const alertText = () => page.locator('[role=alert]').innerText();

  /** axe-core's WCAG 2.x A and AA rules on the page as it is now, in light and in dark mode: no violation. */
  async function expectAccessible(): Promise<void> {
    await page.evaluate(`${AXE}\n;0`);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const result = await page.evaluate<{
        violations: { id: string; nodes: { html: string; failureSummary: string }[] }[];
      }>("axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })");
      const found = result.violations.map((v) => ({
        scheme: colorScheme,
        rule: v.id,
        nodes: v.nodes.map((n) => `${n.html}: ${n.failureSummary}`),
      }));
      expect(found).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }

  /** The page fits a phone's width: nothing scrolls sideways. */
  async function expectFitsPhone(): Promise<void> {
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(PHONE.width);
  }

  it('password: wrong one → error and attempts left; right one → the viewer, with a token validate grants', async () => {
    const { token } = await createProtected(svc!.url, { password: PASSWORD });
    const opened = await page.goto(linkOf(token));
    expect(opened!.status()).toBe(200);
    await expectFitsPhone();
    expect(await page.title()).toBe('Protected medical images');
    expect(await page.locator('.summary').innerText()).toContain('1 study');
    // Keyboard only: the password field has the focus, Enter sends the form.
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('password');
    await shot('1-password-form');

    await expectAccessible();
    // The expiry in the reader's time zone (Auckland: UTC+13 in December), its UTC spelling kept as the title.
    const time = page.locator('.summary time');
    expect(await time.getAttribute('title')).toMatch(/ UTC$/);
    expect(await time.innerText()).not.toMatch(/UTC/);

    await page.keyboard.type('not the password');
    await Promise.all([page.waitForURL(/\/share\/\?token=.*&flash=/), page.keyboard.press('Enter')]);
    await page.waitForSelector('[role=alert]');
    expect(await alertText()).toBe('Wrong password. 4 attempts left before the link is locked.');
    expect(await page.getAttribute('#password', 'aria-invalid')).toBe('true');
    await expectAccessible();
    await shot('2-wrong-password');
    // POST/redirect/GET: the address bar shows the page; reloading it sends nothing again (still 4 attempts left).
    expect(new URL(page.url()).pathname).toBe('/share/');
    await page.reload();
    expect(await alertText()).toBe('Wrong password. 4 attempts left before the link is locked.');

    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${viewerRoot}**`), page.press('#password', 'Enter')]);
    const landed = new URL(page.url());
    expect(landed.pathname).toBe('/stone-webviewer/index.html');
    const child = landed.searchParams.get('token')!;
    expect(await validate(svc!.url, child)).toEqual({ granted: true, validity: 60 });
    expect(await page.locator('h1').innerText()).toBe('Viewer');
    await shot('3-viewer');
    // Back from the viewer: the page again, never the browser's "resubmit the form?".
    const back = await page.goBack();
    expect(back?.status()).toBe(403);
    expect(new URL(page.url()).pathname).toBe('/share/');
  });

  it("every address the bar may show answers a page: a form's address opened directly leads to the page", async () => {
    const { token } = await createProtected(svc!.url, { password: PASSWORD });
    for (const form of ['unlock', 'unlock-code', 'code']) {
      const res = await page.goto(`${svc!.url}/share/${form}?token=${token}`);
      expect(res!.status()).toBe(200);
      expect(await page.locator('#password').count()).toBe(1);
      expect(await page.getAttribute('form', 'action')).toBe('unlock'); // posts to /share/unlock from there too
    }
    const none = await page.goto(`${svc!.url}/share/unlock`);
    expect(none!.status()).toBe(404);
    expect(await page.locator('h1').innerText()).toBe('Link not valid');
  });

  it('a language chosen on the page (?lang=) is kept across its forms', async () => {
    const { token } = await createProtected(svc!.url, { password: PASSWORD });
    await page.goto(linkOf(token));
    await Promise.all([page.waitForLoadState('load'), page.click('a[hreflang=fr]')]);
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    await page.fill('#password', 'pas le bon');
    await Promise.all([page.waitForURL(/flash=/), page.press('#password', 'Enter')]);
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect(await alertText()).toContain('Mot de passe incorrect.');
    await expectAccessible();
  });

  it('the page in French when the browser asks for French', async () => {
    const { token } = await createProtected(svc!.url, { password: PASSWORD });
    // The profile's locale is English: this page's requests say French instead.
    await page.route('**/share/**', (route) =>
      route.continue({ headers: { ...route.request().headers(), 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' } }),
    );
    try {
      await page.goto(linkOf(token));
      expect(await page.locator('html').getAttribute('lang')).toBe('fr');
      expect(await page.locator('label[for=password]').innerText()).toBe('Mot de passe');
      await shot('4-password-form-fr');
    } finally {
      await page.unroute('**/share/**');
    }
  });

  it('e-mailed code: send me a code → the code from the real SMTP server → the viewer', async () => {
    smtp.received.length = 0;
    const { token } = await createProtected(svc!.url, { 'email-code': 'patient@example.org' });
    await page.goto(linkOf(token));
    expect(await page.locator('main').innerText()).toContain('p\u2060…\u2060t@example.org');
    await shot('5-code-offer');
    await expectAccessible();
    await Promise.all([page.waitForURL(/flash=/), page.click('button:has-text("E-mail me a code")')]);
    await page.waitForSelector('#code');
    await expectAccessible();
    expect(await page.locator('[role=status]').innerText()).toContain(
      'A 6-digit code was sent to p\u2060…\u2060t@example.org',
    );
    await shot('6-code-sent');
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0].rcptTo).toEqual(['patient@example.org']);
    const code = /<strong>(\d{6})<\/strong>/.exec(smtp.received[0].body)![1];
    await page.fill('#code', `${code.slice(0, 3)} ${code.slice(3)}`); // as people type it
    await Promise.all([page.waitForURL(`${viewerRoot}**`), page.press('#code', 'Enter')]);
    const child = new URL(page.url()).searchParams.get('token')!;
    expect((await validate(svc!.url, child)).granted).toBe(true);
  });

  it('a locked address: the page says so and how long to wait, and asks nothing', async () => {
    const { token } = await createProtected(svc!.url, { password: PASSWORD });
    await page.goto(linkOf(token));
    for (let i = 0; i < 5; i++) {
      await page.fill('#password', `wrong ${i}`);
      // Each wrong password lands on the same address again (POST, then 303 back to the page): waitForURL cannot tell
      // one load from the next, waiting for the navigation the key press starts can.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      await Promise.all([page.waitForNavigation(), page.press('#password', 'Enter')]);
      await page.waitForSelector('[role=alert]');
    }
    expect(await alertText()).toBe('Too many failed attempts: this link is locked for now. Try again in 15 minutes.');
    expect(await page.locator('h1').innerText()).toBe('Link locked for now');
    expect(await page.locator('#password').count()).toBe(0);
    await shot('7-locked');
    const reopened = await page.goto(linkOf(token));
    expect(reopened!.status()).toBe(429);
    expect(await alertText()).toContain('Try again in 15 minutes.');
    await expectAccessible();
  });

  it('a revoked share: the page says the link was withdrawn', async () => {
    const { token } = await createProtected(svc!.url, { password: PASSWORD });
    const shareId = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).share_id as string;
    expect((await call(svc!.url, 'DELETE', `/shares/${shareId}`)).status).toBe(200);
    const res = await page.goto(linkOf(token));
    expect(res!.status()).toBe(410);
    expect(await page.locator('h1').innerText()).toBe('Link withdrawn');
    expect(await page.locator('form').count()).toBe(0);
    await expectAccessible();
    await shot('8-revoked');
  });
});
