import type { CoreConfig } from '@app/common';
import type { EmailsService } from '@app/emails';
import type { ProtectionState, ShareRecord, SharesConfig, SharesService, UnlockResult } from '@app/shares';
import type { TokensService } from '@app/tokens';
import { makeFormToken } from './form-token';
import { readFlash } from './flash';
import { SharePageService, Visit } from './share-page.service';

const KEY = 'k'.repeat(32);
const SHARE: ShareRecord = {
  id: 'share-1',
  tokenHash: 'h',
  type: 'stone-viewer-publication',
  resources: [{ level: 'study', orthancId: 'o1', dicomUid: 'd1', url: null }],
  creator: null,
  createdAt: new Date(),
  expiresAt: null,
  revokedAt: null,
  revokedBy: null,
  parentId: null,
  parentRevokedAt: null,
};
const protection = (kind: 'password' | 'email-code'): ProtectionState => ({
  shareId: SHARE.id,
  kind,
  passwordHash: null,
  emails: kind === 'email-code' ? ['patient@example.org'] : [],
  failures: 0,
  lockedUntil: null,
  codeHash: null,
  codeExpiresAt: null,
  codeWindowStart: null,
  codeRequests: 0,
});

const visit = (more: Partial<Visit> = {}): Visit => ({
  lang: 'en',
  chosenLang: null,
  json: false,
  address: '203.0.113.5',
  userAgent: 'test-agent',
  fetchSite: 'same-origin',
  origin: undefined,
  hosts: ['pacs.example.org'],
  ...more,
});

/** The service over fakes of the registry, the tokens and the e-mails: what it decides, without HTTP. */
function setup(kind: 'password' | 'email-code' = 'password', revoked = false) {
  const unlock = {
    busy: false,
    getProtection: jest.fn().mockResolvedValue(protection(kind)),
    lockFor: jest.fn().mockResolvedValue(null),
    pendingCodes: jest.fn().mockResolvedValue([]),
    withPassword: jest.fn<Promise<UnlockResult>, unknown[]>(),
    withCode: jest.fn<Promise<UnlockResult>, unknown[]>(),
    issueCode: jest.fn(),
  };
  const recordAccess = jest.fn();
  const shares = {
    enabled: true,
    unlock,
    get: jest.fn().mockResolvedValue({ ...SHARE, revokedAt: revoked ? new Date() : null }),
    recordAccess,
  } as unknown as SharesService;
  const tokens = {
    inspect: (raw: string) =>
      raw === 'protected-token'
        ? { token: { shareId: SHARE.id, protected: true, expiresAt: null }, revoked: false }
        : null,
    mintChild: jest.fn().mockResolvedValue({ url: 'http://viewer/?token=child', shareId: 'child-1' }),
    links: { sharePageHost: null },
  } as unknown as TokensService;
  const deliver = jest.fn().mockResolvedValue(undefined);
  const emails = { deliver } as unknown as EmailsService;
  const core = { signingKeys: { current: KEY } } as unknown as CoreConfig;
  const sharesCfg = { unlock: { codeValidityMs: 600_000 } } as unknown as SharesConfig;
  const service = new SharePageService(tokens, shares, emails, core, sharesCfg, { language: 'en' });
  const form = (fields: Record<string, string> = {}) => ({
    token: 'protected-token',
    form: makeFormToken(KEY, SHARE.id),
    ...fields,
  });
  return { service, unlock, recordAccess, deliver, form };
}

describe('SharePageService: what the share page decides', () => {
  it('a token that is not a protected link of this service is the 404 page, and leaves no trail', async () => {
    const { service, recordAccess } = setup();
    for (const token of [undefined, '', 'x'.repeat(70_000), 'not-a-token']) {
      expect(await service.show(token, undefined, visit())).toEqual({
        kind: 'page',
        status: 404,
        view: { state: 'invalid' },
      });
    }
    expect(recordAccess).not.toHaveBeenCalled();
  });

  it('a revoked share is the 410 page, recorded in the trail as such', async () => {
    const { service, recordAccess } = setup('password', true);
    const answer = await service.show('protected-token', undefined, visit());
    expect(answer).toMatchObject({ kind: 'page', status: 410, view: { state: 'revoked' } });
    expect(recordAccess).toHaveBeenCalledWith(
      expect.objectContaining({ shareId: SHARE.id, kind: 'page-open', outcome: 'revoked', userAgent: 'test-agent' }),
    );
  });

  it('a form from another site is refused (403) before the registry is read', async () => {
    const { service, unlock } = setup();
    for (const more of [
      { fetchSite: 'cross-site' },
      { origin: 'https://evil.example' },
      { origin: 'null', fetchSite: undefined },
    ]) {
      const answer = await service.unlock(setup().form({ password: 'x' }), 'password', visit(more));
      expect(answer).toMatchObject({ kind: 'page', status: 403, view: { state: 'error' } });
    }
    expect(unlock.getProtection).not.toHaveBeenCalled();
    const own = await service.unlock(
      setup().form({ password: '' }),
      'password',
      visit({ origin: 'https://pacs.example.org' }),
    );
    expect(own.kind).toBe('to-page'); // the page's own host: past the check (an empty password, back to the page)
  });

  it('a wrong password: a browser goes back to the page with a signed flash, an API caller gets 403 with attempts left', async () => {
    const { service, unlock, recordAccess, form } = setup();
    unlock.withPassword.mockResolvedValue({ ok: false, reason: 'wrong-password', attemptsLeft: 3 });
    const browser = await service.unlock(
      form({ password: 'nope', lang: 'fr' }),
      'password',
      visit({ chosenLang: 'fr' }),
    );
    expect(browser.kind).toBe('to-page');
    const location = new URL((browser as { location: string }).location, 'http://x/share/');
    expect(location.searchParams.get('token')).toBe('protected-token');
    expect(location.searchParams.get('lang')).toBe('fr');
    expect(readFlash(KEY, SHARE.id, location.searchParams.get('flash'))).toEqual({ say: 'wrong-password', n: 3 });
    expect(recordAccess).toHaveBeenLastCalledWith(
      expect.objectContaining({ kind: 'unlock', outcome: 'failed', reason: 'wrong-password' }),
    );

    const api = await service.unlock(form({ password: 'nope' }), 'password', visit({ json: true }));
    expect(api).toMatchObject({ kind: 'page', status: 403, extra: { 'attempts-left': 3 } });
    if (api.kind !== 'page') throw new Error('not a page');
    const { status, view, extra } = api;
    expect(service.json(status, view, 'en', extra)).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: ['Wrong password. 3 attempts left before the link is locked.'],
      'attempts-left': 3,
    });
  });

  it('the last wrong attempt is a failure in the trail, then the lock: 429 with Retry-After for an API caller', async () => {
    const { service, unlock, recordAccess, form } = setup();
    const retryAt = new Date(Date.now() + 15 * 60_000);
    unlock.withPassword.mockResolvedValue({
      ok: false,
      reason: 'locked',
      scope: 'link-address',
      retryAt,
      tried: 'wrong-password',
    });
    const answer = await service.unlock(form({ password: 'nope' }), 'password', visit({ json: true }));
    expect(answer).toMatchObject({ kind: 'page', status: 429, view: { state: 'locked' } });
    if (answer.kind !== 'page') throw new Error('not a page');
    expect(answer.retryAfter).toBeGreaterThan(14 * 60);
    expect(answer.extra?.['retry-after']).toBe(answer.retryAfter);
    expect(recordAccess).toHaveBeenLastCalledWith(
      expect.objectContaining({ kind: 'unlock', outcome: 'failed', reason: 'wrong-password' }),
    );
  });

  it('the right password: the viewer, with the child token recorded in the trail', async () => {
    const { service, unlock, recordAccess, form } = setup();
    unlock.withPassword.mockResolvedValue({ ok: true });
    expect(await service.unlock(form({ password: 'right' }), 'password', visit())).toEqual({
      kind: 'to-viewer',
      url: 'http://viewer/?token=child',
    });
    expect(recordAccess).toHaveBeenLastCalledWith(
      expect.objectContaining({ kind: 'unlock', outcome: 'ok', childId: 'child-1' }),
    );
  });

  it('a code e-mailed to the recipient asked for; an SMTP failure is the 502 page, recorded as failed', async () => {
    const { service, unlock, recordAccess, deliver, form } = setup('email-code');
    unlock.issueCode.mockResolvedValue({
      ok: true,
      code: '123456',
      email: 'patient@example.org',
      expiresAt: new Date(),
    });
    const sent = await service.sendCode(form({ to: '0' }), visit({ json: true }));
    expect(deliver).toHaveBeenCalledWith(expect.objectContaining({ to: ['patient@example.org'] }));
    expect(sent).toMatchObject({ kind: 'page', status: 200, view: { state: 'code', codeSent: true } });
    expect(recordAccess).toHaveBeenLastCalledWith(expect.objectContaining({ kind: 'code-sent', outcome: 'ok' }));

    deliver.mockRejectedValue(new Error('connection refused'));
    const failed = await service.sendCode(form({ to: '0' }), visit({ json: true }));
    expect(failed).toMatchObject({ kind: 'page', status: 502 });
    expect(recordAccess).toHaveBeenLastCalledWith(
      expect.objectContaining({ kind: 'code-sent', outcome: 'failed', reason: 'email-failed' }),
    );
  });

  it('JSON answers: the state below 400, the one error shape above it (reason phrase, message list)', () => {
    const { service } = setup();
    expect(service.json(200, { state: 'code' }, 'en')).toEqual({ state: 'code' });
    expect(service.json(410, { state: 'expired' }, 'fr')).toEqual({
      statusCode: 410,
      error: 'Gone',
      message: [expect.any(String)],
    });
    expect(service.json(404, { state: 'invalid' }, 'en').error).toBe('Not Found');
  });
});
