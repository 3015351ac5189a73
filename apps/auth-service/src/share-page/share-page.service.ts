import { Inject, Injectable, Logger } from '@nestjs/common';
import { coreConfig, CoreConfig, DomainError, errorBody } from '@app/common';
import { EmailDeliveryError, EmailsService } from '@app/emails';
import { ShareAccessEvent, SharesService, sharesConfig, SharesConfig } from '@app/shares';
import type { ProtectionState, ShareRecord, UnlockResult } from '@app/shares';
import { ShareToken, TokensService } from '@app/tokens';
import { checkFormToken, makeFormToken } from './form-token';
import { describeShare, PageState, PageView, ShareSummary } from './share-page.html';
import { codeEmail, isLang, Lang, maskEmail, PageText, TEXT } from './share-page.i18n';
import { Flash, makeFlash, readFlash } from './flash';
import { sharePageConfig, SharePageConfig } from './share-page.config';

/** The longest token, password or code field the page reads (a longer one is a bad form, never parsed further). */
const MAX_FIELD = 65_536;

/** What the page needs of a request, read by the controller: who asks, in which language, for what answer. */
export interface Visit {
  /** The page's language, and the one chosen on the page (`?lang=`, the forms' `lang`), kept across redirects. */
  lang: Lang;
  chosenLang: Lang | null;
  /** An API caller asking for JSON only (answered at once, never redirected). */
  json: boolean;
  /** The client address (behind the trusted proxies), and its User-Agent, for the trail. */
  address: string | null;
  userAgent: string | undefined;
  /** Sec-Fetch-Site and Origin as sent, and the hosts the request came to (Host, X-Forwarded-Host). */
  fetchSite: string | undefined;
  origin: string | undefined;
  hosts: string[];
}

export type View = Omit<PageView, 'lang' | 'base'>;

/** The reply to write: the page (HTML, or JSON for an API caller), a 303 back to the page, or the viewer. */
export type PageAnswer =
  | { kind: 'page'; status: number; view: View; extra?: Record<string, unknown>; retryAfter?: number }
  | { kind: 'to-page'; location: string }
  | { kind: 'to-viewer'; url: string };

interface Context {
  raw: string;
  token: ShareToken;
  share: ShareRecord;
  protection: ProtectionState;
}

/** A share that cannot be unlocked (revoked, expired) comes with its context, for the trail. */
type Refused = { ok: false; status: number; view: View; ctx?: Context };
type Loaded = { ok: true; ctx: Context } | Refused;

type Form = Record<string, unknown>;

const page = (status: number, view: View, more: Partial<PageAnswer & { kind: 'page' }> = {}): PageAnswer => ({
  kind: 'page',
  status,
  view,
  ...more,
});

/**
 * The share page's decisions (issue 15; PROTOCOL.md section 17): what a protected link's token opens and in which
 * state, unlocking it with its password or code, e-mailing a code to one recipient, what each outcome shows (status
 * and view, or the redirect with its signed flash), and the access trail of each. The controller reads the request
 * into a Visit and writes the PageAnswer.
 */
@Injectable()
export class SharePageService {
  private readonly logger = new Logger(SharePageService.name);

  constructor(
    private readonly tokens: TokensService,
    private readonly shares: SharesService,
    private readonly emails: EmailsService,
    @Inject(coreConfig.KEY) private readonly core: CoreConfig,
    @Inject(sharesConfig.KEY) private readonly sharesCfg: SharesConfig,
    @Inject(sharePageConfig.KEY) private readonly page: SharePageConfig,
  ) {}

  /** GET of the page: its state for this token and address, or what a flash of a form's answer says. */
  async show(rawToken: unknown, flashParam: unknown, visit: Visit): Promise<PageAnswer> {
    const loaded = await this.load(rawToken, visit);
    if (!loaded.ok) {
      if (loaded.ctx) this.trail(loaded.ctx, visit, { kind: 'page-open', outcome: loaded.view.state as 'revoked' });
      return page(loaded.status, loaded.view);
    }
    const { ctx } = loaded;
    const state = await this.unavailableAsPage(() => this.stateOf(ctx, visit.address));
    if (!state) return this.unavailable(visit);
    this.trail(ctx, visit, { kind: 'page-open', outcome: state.lock ? 'locked' : 'ok', reason: state.lock?.scope });
    if (state.lock) return this.lockedPage(ctx, visit, state.lock.retryAt);
    const flash = readFlash(this.core.signingKeys.current, ctx.share.id, flashParam);
    if (!flash) return page(200, this.formView(ctx, { codeSent: state.pending.length > 0 }));
    return this.flashAnswer(ctx, visit, flash, state.pending.length > 0);
  }

  /** A POST of `unlock` (password) or `unlock-code` (code). */
  async unlock(body: unknown, by: 'password' | 'code', visit: Visit): Promise<PageAnswer> {
    if (by === 'password' && this.shares.enabled && this.shares.unlock.busy) {
      // Shed at once, before reading the form or the registry: a flood costs no more than this answer.
      return page(503, { state: 'error', error: TEXT[visit.lang].busy }, { retryAfter: 2 });
    }
    const t = TEXT[visit.lang];
    const checked = await this.checkForm(body, by === 'password' ? 'password' : 'email-code', visit);
    if (!checked.ok) {
      if (checked.ctx) this.trail(checked.ctx, visit, { kind: 'unlock', outcome: checked.view.state as 'revoked' });
      return page(checked.status, checked.view);
    }
    const { ctx, form } = checked;
    const secret = form[by];
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > 1024) {
      return this.after(ctx, visit, { say: 'bad-form' });
    }
    const unlock = this.shares.unlock;
    const address = visit.address;
    const result: UnlockResult | null = await this.unavailableAsPage(() =>
      by === 'password'
        ? unlock.withPassword(ctx.protection, secret, address)
        : unlock.withCode(ctx.protection, secret, address),
    );
    if (!result) return page(503, { state: 'error', error: t.unavailable });
    if (result.ok) {
      const child = await this.unavailableAsPage(() => this.tokens.mintChild(ctx.token, ctx.share.resources));
      if (!child?.url) return page(503, { state: 'error', error: t.unavailable });
      this.trail(ctx, visit, { kind: 'unlock', outcome: 'ok', childId: child.shareId });
      return { kind: 'to-viewer', url: child.url };
    }
    if (result.reason === 'not-protected') return page(404, { state: 'invalid' });
    if (result.reason === 'locked') {
      // A wrong secret that used the last attempt is a failure (then the lock); otherwise refused before any check.
      const event = result.tried
        ? ({ outcome: 'failed', reason: result.tried } as const)
        : ({ outcome: 'locked', reason: result.scope } as const);
      this.trail(ctx, visit, { kind: 'unlock', ...event });
      return this.lockedAfter(ctx, visit, result.retryAt);
    }
    if (result.reason === 'busy') {
      return this.after(ctx, visit, { say: 'busy', until: Math.ceil(result.retryAt.getTime() / 1000) });
    }
    this.trail(ctx, visit, { kind: 'unlock', outcome: 'failed', reason: result.reason });
    if (result.reason === 'code-expired') return this.after(ctx, visit, { say: 'code-expired' });
    return this.after(
      ctx,
      visit,
      { say: result.reason, n: result.attemptsLeft },
      { 'attempts-left': result.attemptsLeft },
    );
  }

  /** A POST of `code`: a one-time code for the form's recipient (`to`, its index), in an e-mail of its own. */
  async sendCode(body: unknown, visit: Visit): Promise<PageAnswer> {
    const checked = await this.checkForm(body, 'email-code', visit);
    if (!checked.ok) {
      if (checked.ctx) this.trail(checked.ctx, visit, { kind: 'code-sent', outcome: checked.view.state as 'revoked' });
      return page(checked.status, checked.view);
    }
    const { ctx, form } = checked;
    const recipient = Number(typeof form.to === 'string' && /^\d{1,3}$/.test(form.to) ? form.to : 0);
    const result = await this.unavailableAsPage(() =>
      this.shares.unlock.issueCode(ctx.protection, recipient, visit.address),
    );
    if (!result) return page(503, { state: 'error', error: TEXT[visit.lang].unavailable });
    if (!result.ok) {
      if (result.reason === 'locked') return this.lockedAfter(ctx, visit, result.retryAt);
      if (result.reason === 'rate-limited') {
        this.trail(ctx, visit, { kind: 'code-sent', outcome: 'failed', reason: `rate-limited:${result.limit}` });
        const until = Math.ceil(result.retryAt.getTime() / 1000);
        return this.after(ctx, visit, { say: 'rate-limited', n: minutesUntil(result.retryAt), until });
      }
      return page(404, { state: 'invalid' });
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
      this.trail(ctx, visit, { kind: 'code-sent', outcome: 'failed', reason: 'email-failed' });
      return this.after(ctx, visit, { say: 'email-failed' });
    }
    this.trail(ctx, visit, { kind: 'code-sent', outcome: 'ok' });
    return this.after(ctx, visit, { say: 'code-sent', n: minutes, to: recipient });
  }

  /**
   * The JSON of a page's answer, for an API caller: the state (and its extra fields) below 400, else the service's
   * one error shape (`error` the HTTP reason phrase, `message` what the page says) with the page's extra fields.
   */
  json(status: number, view: View, lang: Lang, extra: Record<string, unknown> = {}): Record<string, unknown> {
    if (status < 400) return { state: view.state, ...extra };
    return { ...errorBody(status, view.error ?? stateMessage(view.state, TEXT[lang])), ...extra };
  }

  /** What a flash says on the page, and the status of the page saying it (Retry-After when it says until when). */
  private flashAnswer(ctx: Context, visit: Visit, flash: Flash, pending: boolean, extra?: Record<string, unknown>) {
    const t = TEXT[visit.lang];
    const n = flash.n ?? 0;
    const retryAfter = flash.until ? secondsUntil(new Date(flash.until * 1000)) : undefined;
    const shown = (status: number, more: Partial<PageView>): PageAnswer =>
      page(status, this.formView(ctx, more), { ...(extra ? { extra } : {}), ...(retryAfter ? { retryAfter } : {}) });
    switch (flash.say) {
      case 'wrong-password':
        return shown(403, { error: `${t.wrongPassword} ${t.attemptsLeft(n)}` });
      case 'wrong-code':
        return shown(403, { codeSent: true, error: `${t.wrongCode} ${t.attemptsLeft(n)}` });
      case 'code-expired':
        return shown(410, { codeSent: pending, error: t.codeExpired });
      case 'code-sent': {
        const to = maskEmail(ctx.protection.emails[flash.to ?? 0] ?? '');
        return shown(200, { codeSent: true, notice: t.codeSent(to, n) });
      }
      case 'rate-limited':
        return shown(429, { codeSent: pending, rateLimited: true, error: t.rateLimited(n) });
      case 'bad-form':
        return shown(400, { codeSent: pending, error: t.badForm });
      case 'email-failed':
        return shown(502, { codeSent: pending, error: t.emailFailed });
      case 'busy':
        return shown(503, { codeSent: pending, error: t.busy });
    }
  }

  /**
   * The answer to a form that reached its share: a browser is sent back to the page (303, the flash in its URL), so
   * that reloading or going Back never sends the form again; an API caller gets the page's answer as JSON at once.
   */
  private after(ctx: Context, visit: Visit, flash: Flash, extra: Record<string, unknown> = {}): PageAnswer {
    if (visit.json) {
      return this.flashAnswer(ctx, visit, flash, flash.say === 'code-sent' || flash.say === 'wrong-code', extra);
    }
    return this.toPage(ctx.raw, visit, makeFlash(this.core.signingKeys.current, ctx.share.id, flash));
  }

  /** 303 to the share page of `token` (relative: it works under any prefix), in the language of the request. */
  private toPage(token: string, visit: Visit, flash: string | null): PageAnswer {
    const query = new URLSearchParams({ token });
    if (visit.chosenLang) query.set('lang', visit.chosenLang);
    if (flash) query.set('flash', flash);
    return { kind: 'to-page', location: `./?${query.toString()}` };
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

  /** The token (signed here, protected, recorded), its share, and its state; or the page to answer instead. */
  private async load(rawToken: unknown, visit: Visit): Promise<Loaded> {
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
      return { ok: false, status: 503, view: { state: 'error', error: TEXT[visit.lang].unavailable } };
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
    body: unknown,
    kind: 'password' | 'email-code',
    visit: Visit,
  ): Promise<{ ok: true; ctx: Context; form: Form } | Refused> {
    const t = TEXT[visit.lang];
    if (visit.fetchSite === 'cross-site' || visit.fetchSite === 'same-site' || !this.sameOrigin(visit)) {
      return { ok: false, status: 403, view: { state: 'error', error: t.crossSite } };
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return { ok: false, status: 400, view: { state: 'error', error: t.badForm } };
    }
    const fields = body as Form;
    const loaded = await this.load(fields.token, visit);
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
  private sameOrigin(visit: Visit): boolean {
    const origin = visit.origin;
    if (origin === undefined) return true;
    if (origin === 'null') return visit.fetchSite === 'same-origin';
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false;
    }
    const hosts = [...visit.hosts];
    const pageHost = this.tokens.links.sharePageHost;
    if (pageHost) hosts.push(pageHost);
    return hosts.includes(host);
  }

  private formView(ctx: Context, extra: Partial<PageView> = {}): View {
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
  private lockedAfter(ctx: Context, visit: Visit, until: Date): PageAnswer {
    if (visit.json) return this.lockedPage(ctx, visit, until);
    return this.toPage(ctx.raw, visit, null);
  }

  private lockedPage(ctx: Context, visit: Visit, until: Date): PageAnswer {
    const t = TEXT[visit.lang];
    const view: View = {
      state: 'locked',
      summary: this.summaryOf(ctx.share),
      error: `${t.locked} ${t.retryIn(minutesUntil(until))}`,
    };
    return page(429, view, { retryAfter: secondsUntil(until), extra: { 'retry-after': secondsUntil(until) } });
  }

  private unavailable(visit: Visit): PageAnswer {
    return page(503, { state: 'error', error: TEXT[visit.lang].unavailable });
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
    visit: Visit,
    event: Pick<ShareAccessEvent, 'kind' | 'outcome' | 'reason' | 'childId'>,
  ): void {
    this.shares.recordAccess({
      shareId: ctx.share.id,
      ...event,
      clientAddress: visit.address,
      userAgent: typeof visit.userAgent === 'string' ? visit.userAgent.slice(0, 512) : null,
      at: new Date(),
    });
  }
}

/** What the page says of a state without an error line of its own (the JSON answer's message). */
function stateMessage(state: PageState, t: PageText): string {
  if (state === 'revoked') return t.revoked;
  if (state === 'expired') return t.expired;
  if (state === 'invalid') return t.invalid;
  return state;
}

function secondsUntil(date: Date): number {
  return Math.max(1, Math.ceil((date.getTime() - Date.now()) / 1000));
}

function minutesUntil(date: Date): number {
  return Math.max(1, Math.ceil((date.getTime() - Date.now()) / 60_000));
}
