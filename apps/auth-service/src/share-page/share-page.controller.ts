import { applyDecorators, Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
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
import { Public } from '@app/common';
import { sharesConfig, SharesConfig } from '@app/shares';
import { tokensConfig, TokensConfig } from '@app/tokens';
import { ClientAddress } from './client-address';
import { renderPage, SHARE_PAGE_CSS, SHARE_PAGE_SCRIPT } from './share-page.html';
import { isLang, Lang, pickLanguage } from './share-page.i18n';
import { PageAnswer, SharePageService, Visit } from './share-page.service';

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

/**
 * The share page protected links open (issue 15): plain server-rendered HTML, one stylesheet, no script, nothing from
 * elsewhere (a strict Content-Security-Policy), English or French by Accept-Language. It shows what is shared (how
 * many studies, until when, by whom: never patient data, which this service does not hold), asks the password or
 * e-mails a one-time code, and on success redirects to the viewer with a short-lived child token. Public: the link's
 * token is the only credential; every form carries an anti-forgery token and is refused when sent cross-site. The
 * decisions are SharePageService's: here, the routes, reading the request and writing the reply.
 */
@ApiTags('share page')
@ApiResponse({ status: 404, description: 'the token is not a protected link of this service (an HTML page)' })
@Public()
@Controller('share')
export class SharePageController {
  private readonly clients: ClientAddress;
  private readonly csp: string;

  constructor(
    private readonly sharePage: SharePageService,
    @Inject(tokensConfig.KEY) tokensCfg: TokensConfig,
    @Inject(sharesConfig.KEY) sharesCfg: SharesConfig,
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
    const visit = this.visitOf(req);
    this.write(req, reply, visit, await this.sharePage.show(query.token, query.flash, visit));
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

  @Post('unlock')
  @unlockRoute('Unlock a protected link with its password', 'password')
  async unlockPassword(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const visit = this.visitOf(req);
    this.write(req, reply, visit, await this.sharePage.unlock(req.body, 'password', visit));
  }

  @Post('unlock-code')
  @unlockRoute('Unlock a protected link with the code e-mailed to its recipient', 'code')
  async unlockCode(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const visit = this.visitOf(req);
    this.write(req, reply, visit, await this.sharePage.unlock(req.body, 'code', visit));
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
    const visit = this.visitOf(req);
    this.write(req, reply, visit, await this.sharePage.sendCode(req.body, visit));
  }

  /** What the page's decisions need of the request. */
  private visitOf(req: FastifyRequest): Visit {
    const chosenLang = this.chosenLanguage(req);
    const ua = req.headers['user-agent'];
    const site = req.headers['sec-fetch-site'];
    const forwarded = req.headers['x-forwarded-host'];
    return {
      lang: chosenLang ?? pickLanguage(req.headers['accept-language']),
      chosenLang,
      json: this.wantsJson(req),
      address: this.clients.of(req.socket.remoteAddress, req.headers['x-forwarded-for']),
      userAgent: typeof ua === 'string' ? ua : undefined,
      fetchSite: typeof site === 'string' ? site : undefined,
      origin: req.headers.origin,
      hosts: [req.headers.host, ...(Array.isArray(forwarded) ? forwarded : [forwarded])].filter((h): h is string =>
        Boolean(h),
      ),
    };
  }

  /** Writes the page's answer: a 303 (back to the page, or to the viewer), the page in HTML, or JSON. */
  private write(req: FastifyRequest, reply: FastifyReply, visit: Visit, answer: PageAnswer): void {
    if (answer.kind === 'to-page') {
      void reply.status(303).header('location', answer.location).header('cache-control', 'no-store').send();
      return;
    }
    if (answer.kind === 'to-viewer') {
      if (visit.json) {
        void reply.status(200).header('cache-control', 'no-store').send({ 'redirect-url': answer.url });
        return;
      }
      void reply
        .status(303)
        .header('location', answer.url)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .send();
      return;
    }
    const { status, view, extra, retryAfter } = answer;
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    // same-origin: the page's own forms carry a real Origin; nothing (its token in the URL) goes to another site.
    void reply.header('cache-control', 'no-store').header('referrer-policy', 'same-origin');
    if (visit.json) {
      void reply.status(status).send(this.sharePage.json(status, view, visit.lang, extra));
      return;
    }
    // The URL the browser asked (before the rewrite of `/share/`): the forms post relative to it.
    const path = (req.originalUrl.split('?')[0] ?? '').replace(/\/(unlock|unlock-code|code)$/, '/');
    const base = path.endsWith('/') ? '' : 'share/';
    const lang = visit.lang;
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
}
