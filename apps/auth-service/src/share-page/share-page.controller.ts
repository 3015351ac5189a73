import { applyDecorators, Controller, Get, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { coreConfig, CoreConfig, DomainError, Public } from '@app/common';
import { EmailDeliveryError, EmailsService } from '@app/emails';
import { ShareAccessEvent, SharesService, sharesConfig, SharesConfig } from '@app/shares';
import type { ProtectionState, ShareRecord, UnlockResult } from '@app/shares';
import { ShareToken, TokensService, tokensConfig, TokensConfig } from '@app/tokens';
import { ClientAddress } from './client-address';
import { checkFormToken, makeFormToken } from './form-token';
import {
  describeShare,
  PageState,
  PageView,
  renderPage,
  SHARE_PAGE_CSS,
  SHARE_PAGE_SCRIPT,
  ShareSummary,
} from './share-page.html';
import { codeEmail, isLang, Lang, maskEmail, pickLanguage, TEXT } from './share-page.i18n';
import { Flash, makeFlash, readFlash } from './flash';
import { sharePageConfig, SharePageConfig } from './share-page.config';

const PAGE = { type: 'string', description: 'the HTML page' };
/** The fields of the page's forms: the link's token, the anti-forgery token of the page, and the secret. */
const formBody = (secret?: 'password' | 'code') => ({
  schema: {
    type: 'object',
    required: ['token', 'form', ...(secret ? [secret] : [])],
    properties: {
      token: { type: 'string', description: "the protected link's token" },
      form: { type: 'string', description: 'the anti-forgery token of the page (its hidden field)' },
      ...(secret ? { [secret]: { type: 'string', maxLength: 1024 } } : {}),
    },
  },
});
const UNLOCK_ANSWERS = [
  { status: 303, description: 'unlocked: to the viewer, with a child token (Location)' },
  { status: 400, description: 'a field is missing, or the form expired (the page again)' },
  { status: 403, description: 'a wrong secret (attempts left said), or a form sent from another site' },
  { status: 410, description: 'the share was revoked or expired, or (codes) no code is pending' },
  { status: 429, description: 'the share or the client address is locked (Retry-After)' },
];

/** The OpenAPI description shared by the two unlocking routes: a form with the secret, the same answers. */
const unlockRoute = (summary: string, secret: 'password' | 'code') =>
  applyDecorators(
    ApiOperation({ summary }),
    ApiConsumes('application/x-www-form-urlencoded'),
    ApiBody(formBody(secret)),
    ApiOkResponse({
      description: 'unlocked, for a caller that accepts JSON only (a browser gets the 303)',
      schema: { type: 'object', properties: { 'redirect-url': { type: 'string' } } },
    }),
    ...UNLOCK_ANSWERS.map((answer) => ApiResponse(answer)),
  );

/** The longest token, password or code field the page reads (a longer one is a bad form, never parsed further). */
const MAX_FIELD = 65_536;

interface Context {
  raw: string;
  token: ShareToken;
  share: ShareRecord;
  protection: ProtectionState;
}

type View = Omit<PageView, 'lang' | 'base'>;
/** A share that cannot be unlocked (revoked, expired) comes with its context, for the trail. */
type Refused = { ok: false; status: number; view: View; ctx?: Context };
type Loaded = { ok: true; ctx: Context } | Refused;

type Form = Record<string, unknown>;

/**
 * The share page protected links open (issue 15): plain server-rendered HTML, one stylesheet, no script, nothing from
 * elsewhere (a strict Content-Security-Policy), English or French by Accept-Language. It shows what is shared (how
 * many studies, until when, by whom: never patient data, which this service does not hold), asks the password or
 * e-mails a one-time code, and on success redirects to the viewer with a short-lived child token. Public: the link's
 * token is the only credential; every form carries an anti-forgery token and is refused when sent cross-site.
 */
@ApiTags('share page')
@ApiResponse({ status: 404, description: 'the token is not a protected link of this service (an HTML page)' })
@Public()
@Controller('share')
export class SharePageController {
  private readonly logger = new Logger(SharePageController.name);
  private readonly clients: ClientAddress;
  private readonly csp: string;

  constructor(
    private readonly tokens: TokensService,
    private readonly shares: SharesService,
    private readonly emails: EmailsService,
    @Inject(coreConfig.KEY) private readonly core: CoreConfig,
    @Inject(tokensConfig.KEY) tokensCfg: TokensConfig,
    @Inject(sharesConfig.KEY) private readonly sharesCfg: SharesConfig,
    @Inject(sharePageConfig.KEY) private readonly page: SharePageConfig,
  ) {
    this.clients = new ClientAddress(sharesCfg.unlock.trustedProxies);
    // A form's redirect to the viewer is checked against form-action: the viewers' own origins are allowed.
    const viewers = [tokensCfg.publicOrthancRoot, tokensCfg.publicOhifRoot]
      .filter((u): u is string => Boolean(u))
      .map((u) => new URL(u).origin);
    this.csp = [
      "default-src 'none'",
      "style-src 'self'",
      "script-src 'self'",
      `form-action 'self' ${[...new Set(viewers)].join(' ')}`.trim(),
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; ');
  }

  @Get('style.css')
  @ApiOperation({ summary: "The share page's stylesheet" })
  @ApiProduces('text/css')
  @ApiOkResponse({ description: 'CSS', schema: { type: 'string' } })
  style(@Res() reply: FastifyReply): void {
    void reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(SHARE_PAGE_CSS);
  }

  @Get('local-time.js')
  @ApiOperation({ summary: "The share page's script: dates in the reader's time zone" })
  @ApiProduces('text/javascript')
  @ApiOkResponse({ description: 'JavaScript', schema: { type: 'string' } })
  script(@Res() reply: FastifyReply): void {
    void reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(SHARE_PAGE_SCRIPT);
  }

  @Get()
  @ApiOperation({
    summary: 'The share page of a protected link',
    description:
      'What is shared (how many studies, until when, by whom) and the password field or the "e-mail me a code" ' +
      'button (PROTOCOL.md section 17). HTML, English or French by Accept-Language; public.',
  })
  @ApiQuery({ name: 'token', description: "the protected link's token" })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'the page', schema: PAGE })
  @ApiResponse({ status: 410, description: 'the share was revoked or has expired (an HTML page saying so)' })
  @ApiResponse({ status: 429, description: 'the share or the client address is locked (Retry-After)' })
  async show(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = req.query as Record<string, unknown>;
    const loaded = await this.load(query.token);
    const address = this.clientOf(req);
    if (!loaded.ok) {
      if (loaded.ctx)
        this.trail(loaded.ctx, req, address, { kind: 'page-open', outcome: loaded.view.state as 'revoked' });
      return this.answer(req, reply, loaded.status, loaded.view);
    }
    const { ctx } = loaded;
    const state = await this.unavailableAsPage(() => this.stateOf(ctx, address));
    if (!state) return this.answer(req, reply, 503, { state: 'error', error: 'unavailable' });
    this.trail(ctx, req, address, {
      kind: 'page-open',
      outcome: state.lock ? 'locked' : 'ok',
      reason: state.lock?.scope,
    });
    if (state.lock) return this.lockedPage(req, reply, ctx, state.lock.retryAt);
    const flash = readFlash(this.core.signingKeys.current, ctx.share.id, query.flash);
    if (!flash) return this.answer(req, reply, 200, this.formView(ctx, { codeSent: state.pending.length > 0 }));
    const shown = this.flashView(req, ctx, flash, state.pending.length > 0);
    if (flash.until) void reply.header('retry-after', String(secondsUntil(new Date(flash.until * 1000))));
    return this.answer(req, reply, shown.status, shown.view);
  }

  /**
   * GET of a form's address (a bookmark, the address bar after an old version's answer, a reload): the page itself
   * (its forms still post where they belong), never a 404 of the API.
   */
  @Get(['unlock', 'unlock-code', 'code'])
  @ApiOperation({ summary: "A form's address opened in the browser: the share page itself" })
  @ApiQuery({ name: 'token', required: false, description: "the protected link's token" })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'the page (a 404 page without a valid token)', schema: PAGE })
  formAddress(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.show(req, reply);
  }

  /** What a flash says on the page, and the status of the page saying it. */
  private flashView(req: FastifyRequest, ctx: Context, flash: Flash, pending: boolean): { status: number; view: View } {
    const t = TEXT[this.langOf(req)];
    const n = flash.n ?? 0;
    switch (flash.say) {
      case 'wrong-password':
        return { status: 403, view: this.formView(ctx, { error: `${t.wrongPassword} ${t.attemptsLeft(n)}` }) };
      case 'wrong-code':
        return {
          status: 403,
          view: this.formView(ctx, { codeSent: true, error: `${t.wrongCode} ${t.attemptsLeft(n)}` }),
        };
      case 'code-expired':
        return { status: 410, view: this.formView(ctx, { codeSent: pending, error: t.codeExpired }) };
      case 'code-sent': {
        const to = maskEmail(ctx.protection.emails[flash.to ?? 0] ?? '');
        return { status: 200, view: this.formView(ctx, { codeSent: true, notice: t.codeSent(to, n) }) };
      }
      case 'rate-limited':
        return {
          status: 429,
          view: this.formView(ctx, { codeSent: pending, rateLimited: true, error: t.rateLimited(n) }),
        };
      case 'bad-form':
        return { status: 400, view: this.formView(ctx, { codeSent: pending, error: t.badForm }) };
      case 'email-failed':
        return { status: 502, view: this.formView(ctx, { codeSent: pending, error: t.emailFailed }) };
      case 'busy':
        return { status: 503, view: this.formView(ctx, { codeSent: pending, error: t.busy }) };
    }
  }

  /**
   * The answer to a form that reached its share: a browser is sent back to the page (303, the flash in its URL), so
   * that reloading or going Back never sends the form again; an API caller gets the page's answer as JSON at once.
   */
  private after(
    req: FastifyRequest,
    reply: FastifyReply,
    ctx: Context,
    flash: Flash,
    extra: Record<string, unknown> = {},
  ): void {
    if (this.wantsJson(req)) {
      const shown = this.flashView(req, ctx, flash, flash.say === 'code-sent' || flash.say === 'wrong-code');
      if (flash.until) void reply.header('retry-after', String(secondsUntil(new Date(flash.until * 1000))));
      return this.answer(req, reply, shown.status, shown.view, extra);
    }
    this.redirectToPage(req, reply, ctx.raw, makeFlash(this.core.signingKeys.current, ctx.share.id, flash));
  }

  /** 303 to the share page of `token` (relative: it works under any prefix), in the language of the request. */
  private redirectToPage(req: FastifyRequest, reply: FastifyReply, token: string, flash: string | null): void {
    const query = new URLSearchParams({ token });
    const lang = this.chosenLanguage(req);
    if (lang) query.set('lang', lang);
    if (flash) query.set('flash', flash);
    void reply.status(303).header('location', `./?${query.toString()}`).header('cache-control', 'no-store').send();
  }

  /** The lock on this address for this link, and the recipients with a code pending. */
  private async stateOf(ctx: Context, address: string | null) {
    const unlock = this.shares.unlock;
    const [lock, pending] = await Promise.all([
      unlock.lockFor(ctx.share.id, address),
      ctx.protection.kind === 'email-code' ? unlock.pendingCodes(ctx.protection) : Promise.resolve([]),
    ]);
    return { lock, pending };
  }

  @Post('unlock')
  @unlockRoute('Unlock a protected link with its password', 'password')
  unlockPassword(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (this.shares.enabled && this.shares.unlock.busy) {
      // Shed at once, before reading the form or the registry: a flood costs no more than this answer.
      void reply.header('retry-after', '2');
      this.answer(req, reply, 503, { state: 'error', error: TEXT[this.langOf(req)].busy });
      return Promise.resolve();
    }
    return this.unlockWith(req, reply, 'password');
  }

  @Post('unlock-code')
  @unlockRoute('Unlock a protected link with the code e-mailed to its recipient', 'code')
  unlockCode(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.unlockWith(req, reply, 'code');
  }

  @Post('code')
  @ApiOperation({ summary: "E-mail a one-time code to a protected link's recipient" })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody(formBody())
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'sent: the page with the code field', schema: PAGE })
  @ApiResponse({ status: 429, description: 'too many codes this hour, or locked (Retry-After)' })
  @ApiResponse({ status: 502, description: 'the SMTP server did not take the e-mail' })
  async sendCode(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const lang = this.langOf(req);
    const address = this.clientOf(req);
    const checked = await this.checkForm(req, 'email-code');
    if (!checked.ok) {
      if (checked.ctx)
        this.trail(checked.ctx, req, address, { kind: 'code-sent', outcome: checked.view.state as 'revoked' });
      return this.answer(req, reply, checked.status, checked.view);
    }
    const { ctx, form } = checked;
    const recipient = Number(typeof form.to === 'string' && /^\d{1,3}$/.test(form.to) ? form.to : 0);
    const result = await this.unavailableAsPage(() => this.shares.unlock.issueCode(ctx.protection, recipient, address));
    if (!result) return this.answer(req, reply, 503, { state: 'error', error: TEXT[lang].unavailable });
    if (!result.ok) {
      if (result.reason === 'locked') return this.lockedAfter(req, reply, ctx, result.retryAt);
      if (result.reason === 'rate-limited') {
        this.trail(ctx, req, address, { kind: 'code-sent', outcome: 'failed', reason: `rate-limited:${result.limit}` });
        const until = Math.ceil(result.retryAt.getTime() / 1000);
        return this.after(req, reply, ctx, { say: 'rate-limited', n: minutesUntil(result.retryAt), until });
      }
      return this.answer(req, reply, 404, { state: 'invalid' });
    }
    const minutes = Math.round(this.sharesCfg.unlock.codeValidityMs / 60_000);
    const summary = this.summaryOf(ctx.share);
    // The recipient's language, given when the link was made; else the site's (not the page's: whoever asks may not
    // be the recipient).
    const mailLang = isLang(ctx.protection.language) ? ctx.protection.language : this.page.language;
    try {
      await this.emails.deliver({
        to: [result.email],
        ...codeEmail(mailLang, {
          code: result.code,
          minutes,
          to: result.email,
          sharedBy: summary.sharedBy,
          ...describeShare(summary, mailLang),
        }),
      });
    } catch (err) {
      const why = err instanceof EmailDeliveryError || err instanceof DomainError ? err.message : String(err);
      this.logger.warn(`share page: the code of ${ctx.share.id} could not be e-mailed: ${why}`);
      this.trail(ctx, req, address, { kind: 'code-sent', outcome: 'failed', reason: 'email-failed' });
      return this.after(req, reply, ctx, { say: 'email-failed' });
    }
    this.trail(ctx, req, address, { kind: 'code-sent', outcome: 'ok' });
    return this.after(req, reply, ctx, { say: 'code-sent', n: minutes, to: recipient });
  }

  private async unlockWith(req: FastifyRequest, reply: FastifyReply, by: 'password' | 'code'): Promise<void> {
    const lang = this.langOf(req);
    const t = TEXT[lang];
    const address = this.clientOf(req);
    const checked = await this.checkForm(req, by === 'password' ? 'password' : 'email-code');
    if (!checked.ok) {
      if (checked.ctx)
        this.trail(checked.ctx, req, address, { kind: 'unlock', outcome: checked.view.state as 'revoked' });
      return this.answer(req, reply, checked.status, checked.view);
    }
    const { ctx, form } = checked;
    const secret = form[by];
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > 1024) {
      return this.after(req, reply, ctx, { say: 'bad-form' });
    }
    const unlock = this.shares.unlock;
    const result: UnlockResult | null = await this.unavailableAsPage(() =>
      by === 'password'
        ? unlock.withPassword(ctx.protection, secret, address)
        : unlock.withCode(ctx.protection, secret, address),
    );
    if (!result) return this.answer(req, reply, 503, { state: 'error', error: t.unavailable });
    if (result.ok) {
      const child = await this.unavailableAsPage(() => this.tokens.mintChild(ctx.token, ctx.share.resources));
      if (!child?.url) return this.answer(req, reply, 503, { state: 'error', error: t.unavailable });
      this.trail(ctx, req, address, { kind: 'unlock', outcome: 'ok', childId: child.shareId });
      if (this.wantsJson(req)) {
        void reply.status(200).header('cache-control', 'no-store').send({ 'redirect-url': child.url });
        return;
      }
      void reply
        .status(303)
        .header('location', child.url)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .send();
      return;
    }
    if (result.reason === 'not-protected') return this.answer(req, reply, 404, { state: 'invalid' });
    if (result.reason === 'locked') {
      // A wrong secret that used the last attempt is a failure (then the lock); otherwise refused before any check.
      const event = result.tried
        ? ({ outcome: 'failed', reason: result.tried } as const)
        : ({ outcome: 'locked', reason: result.scope } as const);
      this.trail(ctx, req, address, { kind: 'unlock', ...event });
      return this.lockedAfter(req, reply, ctx, result.retryAt);
    }
    if (result.reason === 'busy') {
      return this.after(req, reply, ctx, { say: 'busy', until: Math.ceil(result.retryAt.getTime() / 1000) });
    }
    this.trail(ctx, req, address, { kind: 'unlock', outcome: 'failed', reason: result.reason });
    if (result.reason === 'code-expired') return this.after(req, reply, ctx, { say: 'code-expired' });
    return this.after(
      req,
      reply,
      ctx,
      { say: result.reason, n: result.attemptsLeft },
      {
        'attempts-left': result.attemptsLeft,
      },
    );
  }

  /** The token (signed here, protected, recorded), its share, and its state; or the page to answer instead. */
  private async load(rawToken: unknown): Promise<Loaded> {
    const invalid: Loaded = { ok: false, status: 404, view: { state: 'invalid' } };
    if (typeof rawToken !== 'string' || rawToken.length === 0 || rawToken.length > MAX_FIELD) return invalid;
    const raw = rawToken.trim();
    const seen = this.tokens.inspect(raw);
    if (!seen?.token.protected || !seen.token.shareId) return invalid;
    const token = seen.token;
    const shareId = token.shareId!;
    let share: ShareRecord;
    let protection: ProtectionState | null;
    try {
      share = await this.shares.get(shareId);
      protection = await this.shares.unlock.getProtection(shareId);
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'not-found') return invalid;
      this.logger.warn(`share page: could not read the share ${shareId}: ${(err as Error).message}`);
      return { ok: false, status: 503, view: { state: 'error', error: 'unavailable' } };
    }
    if (!protection) return invalid;
    const ctx = { raw, token, share, protection };
    if (share.revokedAt || seen.revoked) {
      return { ok: false, status: 410, view: { state: 'revoked' }, ctx };
    }
    const expiresAt = token.expiresAt ?? share.expiresAt;
    if (expiresAt && expiresAt.getTime() <= Date.now())
      return { ok: false, status: 410, view: { state: 'expired' }, ctx };
    return { ok: true, ctx };
  }

  /** A POST of the page: sent from the page itself (same origin, anti-forgery token), for a live protected share. */
  private async checkForm(
    req: FastifyRequest,
    kind: 'password' | 'email-code',
  ): Promise<{ ok: true; ctx: Context; form: Form } | Refused> {
    const t = TEXT[this.langOf(req)];
    const site = req.headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site' || !this.sameOrigin(req)) {
      return { ok: false, status: 403, view: { state: 'error', error: t.crossSite } };
    }
    const form = req.body;
    if (!form || typeof form !== 'object' || Array.isArray(form)) {
      return { ok: false, status: 400, view: { state: 'error', error: t.badForm } };
    }
    const fields = form as Form;
    const loaded = await this.load(fields.token);
    if (!loaded.ok) return loaded;
    if (loaded.ctx.protection.kind !== kind)
      return { ok: false, status: 400, view: { state: 'error', error: t.badForm } };
    if (!checkFormToken(this.core.signingKeys.current, loaded.ctx.share.id, fields.form)) {
      return { ok: false, status: 400, view: this.formView(loaded.ctx, { error: t.badForm }) };
    }
    return { ok: true, ctx: loaded.ctx, form: fields };
  }

  /**
   * An Origin header, when the browser sends one, names this page's own host (the page's `Referrer-Policy:
   * same-origin` lets browsers send it with the page's own forms). `Origin: null` (a sandboxed frame, a page of
   * another site with no-referrer) passes only when Sec-Fetch-Site says same-origin: a browser without Fetch Metadata
   * posting from an attacker's sandboxed frame is refused. No Origin at all is not a browser's cross-site form.
   */
  private sameOrigin(req: FastifyRequest): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (origin === 'null') return req.headers['sec-fetch-site'] === 'same-origin';
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false;
    }
    const forwarded = req.headers['x-forwarded-host'];
    const hosts = [req.headers.host, ...(Array.isArray(forwarded) ? forwarded : [forwarded])].filter(Boolean);
    const pageHost = this.tokens.links.sharePageHost;
    if (pageHost) hosts.push(pageHost);
    return hosts.includes(host);
  }

  private formView(ctx: Context, extra: Partial<PageView> = {}): Omit<PageView, 'lang' | 'base'> {
    const state: PageState = ctx.protection.kind === 'password' ? 'password' : 'code';
    return {
      state,
      summary: this.summaryOf(ctx.share),
      token: ctx.raw,
      formToken: makeFormToken(this.core.signingKeys.current, ctx.share.id),
      maskedTo: ctx.protection.emails.map(maskEmail).join(', '),
      recipients: ctx.protection.emails.map(maskEmail),
      ...extra,
    };
  }

  private summaryOf(share: ShareRecord): ShareSummary {
    const creator = share.creator;
    // A person's name for shares made with a Keycloak user's token; a Basic login (the plugin's) names no one.
    const person = creator?.kind === 'bearer' ? creator.name : null;
    const org = this.page.organization ?? null;
    return {
      count: share.resources.length,
      allStudies: share.resources.every((r) => r.level === 'study'),
      expiresAt: share.expiresAt,
      sharedBy: person && org ? `${person} (${org})` : (person ?? org),
    };
  }

  /** A form refused by a lock: a browser goes back to the page (which says so), an API caller gets the 429. */
  private lockedAfter(req: FastifyRequest, reply: FastifyReply, ctx: Context, until: Date): void {
    if (this.wantsJson(req)) return this.lockedPage(req, reply, ctx, until);
    this.redirectToPage(req, reply, ctx.raw, null);
  }

  private lockedPage(req: FastifyRequest, reply: FastifyReply, ctx: Context, until: Date): void {
    const t = TEXT[this.langOf(req)];
    void reply.header('retry-after', String(secondsUntil(until)));
    this.answer(
      req,
      reply,
      429,
      {
        state: 'locked',
        summary: this.summaryOf(ctx.share),
        error: `${t.locked} ${t.retryIn(minutesUntil(until))}`,
      },
      { 'retry-after': secondsUntil(until) },
    );
  }

  /** HTML for browsers; JSON (the service's error shape) for API callers that ask for it. */
  private answer(
    req: FastifyRequest,
    reply: FastifyReply,
    status: number,
    view: Omit<PageView, 'lang' | 'base'>,
    extra: Record<string, unknown> = {},
  ): void {
    const lang = this.langOf(req);
    const t = TEXT[lang];
    if (view.error === 'unavailable') view = { ...view, error: t.unavailable };
    // same-origin: the page's own forms carry a real Origin; nothing (its token in the URL) goes to another site.
    void reply.header('cache-control', 'no-store').header('referrer-policy', 'same-origin');
    if (this.wantsJson(req)) {
      const message =
        view.error ??
        (view.state === 'revoked'
          ? t.revoked
          : view.state === 'expired'
            ? t.expired
            : view.state === 'invalid'
              ? t.invalid
              : null);
      const body =
        status < 400
          ? { state: view.state, ...extra }
          : { statusCode: status, error: view.state, message: [message ?? view.state], ...extra };
      void reply.status(status).send(body);
      return;
    }
    // The URL the browser asked (before the rewrite of `/share/`): the forms post relative to it.
    const path = (req.originalUrl.split('?')[0] ?? '').replace(/\/(unlock|unlock-code|code)$/, '/');
    const base = path.endsWith('/') ? '' : 'share/';
    void reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', this.csp)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('content-language', lang)
      .header('vary', 'Accept-Language, Accept')
      .send(renderPage({ ...view, lang, base }));
  }

  private wantsJson(req: FastifyRequest): boolean {
    const accept = req.headers.accept ?? '';
    return accept.includes('application/json') && !accept.includes('text/html');
  }

  /** The language asked for on the page (`?lang=`, or the forms' `lang` field), if any. */
  private chosenLanguage(req: FastifyRequest): Lang | null {
    const query = req.query as Record<string, unknown> | undefined;
    const body = req.body as Record<string, unknown> | undefined;
    const asked = query?.lang ?? (body && typeof body === 'object' ? body.lang : undefined);
    return isLang(asked) ? asked : null;
  }

  /** The language chosen on the page, else the browser's (Accept-Language). */
  private langOf(req: FastifyRequest): Lang {
    return this.chosenLanguage(req) ?? pickLanguage(req.headers['accept-language']);
  }

  private clientOf(req: FastifyRequest): string | null {
    return this.clients.of(req.socket.remoteAddress, req.headers['x-forwarded-for']);
  }

  private async unavailableAsPage<T>(work: () => Promise<T>): Promise<T | null> {
    try {
      return await work();
    } catch (err) {
      this.logger.warn(`share page: ${(err as Error).message}`);
      return null;
    }
  }

  private trail(
    ctx: Context,
    req: FastifyRequest | null,
    address: string | null,
    event: Pick<ShareAccessEvent, 'kind' | 'outcome' | 'reason' | 'childId'>,
  ): void {
    const ua = req?.headers['user-agent'];
    this.shares.recordAccess({
      shareId: ctx.share.id,
      ...event,
      clientAddress: address,
      userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
      at: new Date(),
    });
  }
}

function secondsUntil(date: Date): number {
  return Math.max(1, Math.ceil((date.getTime() - Date.now()) / 1000));
}

function minutesUntil(date: Date): number {
  return Math.max(1, Math.ceil((date.getTime() - Date.now()) / 60_000));
}
