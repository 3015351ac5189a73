import { Lang, LANGS, PageText, TEXT } from './share-page.i18n';

export type PageState = 'password' | 'code' | 'locked' | 'revoked' | 'expired' | 'invalid' | 'error';

export interface ShareSummary {
  /** Shared resources, and whether they are all studies. */
  count: number;
  allStudies: boolean;
  expiresAt: Date | null;
  sharedBy: string | null;
}

export interface PageView {
  lang: Lang;
  state: PageState;
  summary?: ShareSummary;
  /** The protected link's token and the form's anti-forgery token (hidden fields of the forms). */
  token?: string;
  formToken?: string;
  /** An error (role=alert) and an information line. */
  error?: string;
  notice?: string;
  /** Code flow: a code was sent (show the code field), to this masked address. */
  codeSent?: boolean;
  maskedTo?: string;
  /** Code flow: the recipients' masked addresses, one send button each (a code is asked for one recipient). */
  recipients?: string[];
  /** Code flow: no code may be asked now (the limit said when): no send button. */
  rateLimited?: boolean;
  /** Where the forms post, relative to the page (`unlock`, or `share/unlock` when the page has no trailing slash). */
  base: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function formatDate(date: Date, lang: Lang): string {
  return (
    new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', {
      dateStyle: 'long',
      timeStyle: 'short',
      timeZone: 'UTC',
    }).format(date) + ' UTC'
  );
}

/** What a share opens and until when, as the page and the code e-mail word it. */
export function describeShare(s: ShareSummary, lang: Lang): { items: string; until: string | null } {
  const t = TEXT[lang];
  return {
    items: s.allStudies ? t.studies(s.count) : t.items(s.count),
    until: s.expiresAt ? formatDate(s.expiresAt, lang) : null,
  };
}

/**
 * A date as `<time>`: its UTC spelling, which local-time.js (the page's only script) replaces with the reader's local
 * time; without the script, the UTC time stays.
 */
function timeHtml(date: Date, lang: Lang): string {
  return `<time datetime="${date.toISOString()}">${escapeHtml(formatDate(date, lang))}</time>`;
}

function summaryHtml(s: ShareSummary, t: PageText, lang: Lang): string {
  // The expiry's sentence around its <time> element: the text is escaped, the date is markup.
  const MARK = '\u0000';
  const expires = s.expiresAt
    ? escapeHtml(t.expires(MARK)).replace(MARK, timeHtml(s.expiresAt, lang))
    : escapeHtml(t.noExpiry);
  const lines = [
    escapeHtml(s.allStudies ? t.studies(s.count) : t.items(s.count)),
    expires,
    ...(s.sharedBy ? [escapeHtml(t.sharedBy(s.sharedBy))] : []),
  ];
  return `<ul class="summary">${lines.map((l) => `<li>${l}</li>`).join('')}</ul>`;
}

/** Links to the page in the other languages (the choice is kept across the forms: their `lang` field). */
function languagesHtml(view: PageView): string {
  if (!view.token) return '';
  const links = LANGS.filter((l) => l !== view.lang).map((l) => {
    const q = new URLSearchParams({ token: view.token!, lang: l });
    return `<a href="${escapeHtml(view.base)}?${escapeHtml(q.toString())}" hreflang="${l}" lang="${l}">${escapeHtml(TEXT[l].languageName)}</a>`;
  });
  return `<nav class="langs" aria-label="${escapeHtml(TEXT[view.lang].languages)}">${links.join(' ')}</nav>`;
}

function hidden(view: PageView): string {
  return (
    `<input type="hidden" name="token" value="${escapeHtml(view.token ?? '')}">` +
    `<input type="hidden" name="form" value="${escapeHtml(view.formToken ?? '')}">` +
    `<input type="hidden" name="lang" value="${view.lang}">`
  );
}

function formsHtml(view: PageView, t: PageText): string {
  if (view.state === 'password') {
    return (
      `<form method="post" action="${escapeHtml(view.base)}unlock" class="unlock">${hidden(view)}` +
      `<label for="password">${escapeHtml(t.passwordLabel)}</label>` +
      `<input id="password" name="password" type="password" autocomplete="current-password" required autofocus` +
      `${view.error ? ' aria-describedby="error" aria-invalid="true"' : ''}>` +
      `<button type="submit">${escapeHtml(t.unlock)}</button></form>`
    );
  }
  if (view.state === 'code') {
    const recipients = view.recipients ?? [];
    const button = (label: string, i: number) =>
      `<button type="submit" name="to" value="${i}"${view.codeSent ? ' class="secondary"' : ''}>${escapeHtml(label)}</button>`;
    const buttons =
      recipients.length > 1
        ? recipients.map((r, i) => button(t.sendCodeTo(r), i)).join('')
        : button(view.codeSent ? t.sendAgain : t.sendCode, 0);
    const send = view.rateLimited
      ? ''
      : `<form method="post" action="${escapeHtml(view.base)}code" class="send">${hidden(view)}${buttons}</form>`;
    if (!view.codeSent) return `<p>${escapeHtml(t.codeIntro(view.maskedTo ?? ''))}</p>${send}`;
    return (
      `<form method="post" action="${escapeHtml(view.base)}unlock-code" class="unlock">${hidden(view)}` +
      `<label for="code">${escapeHtml(t.codeLabel)}</label>` +
      `<input id="code" name="code" type="text" inputmode="numeric" maxlength="16" ` +
      `autocomplete="one-time-code" required autofocus${view.error ? ' aria-describedby="error" aria-invalid="true"' : ''}>` +
      `<button type="submit">${escapeHtml(t.unlock)}</button></form>${send}`
    );
  }
  return '';
}

function headingOf(view: PageView, t: PageText): string {
  switch (view.state) {
    case 'locked':
      return t.lockedTitle;
    case 'revoked':
      return t.revokedTitle;
    case 'expired':
      return t.expiredTitle;
    case 'invalid':
      return t.invalidTitle;
    default:
      return t.title;
  }
}

/**
 * The whole page: one stylesheet and one small script of the service's own (style.css, local-time.js, which only
 * shows dates in the reader's time zone), nothing from elsewhere; it works without the script.
 */
export function renderPage(view: PageView): string {
  const t = TEXT[view.lang];
  const heading = headingOf(view, t);
  const body: string[] = [];
  if (view.state === 'revoked') body.push(`<p>${escapeHtml(t.revoked)}</p>`);
  else if (view.state === 'expired') body.push(`<p>${escapeHtml(t.expired)}</p>`);
  else if (view.state === 'invalid') body.push(`<p>${escapeHtml(t.invalid)}</p>`);
  else if (view.state !== 'error') {
    const who = view.summary?.sharedBy;
    body.push(`<p>${escapeHtml(who ? t.introBy(who) : t.intro)}</p>`);
  }
  if (view.summary && (view.state === 'password' || view.state === 'code' || view.state === 'locked')) {
    body.push(summaryHtml(view.summary, t, view.lang));
  }
  if (view.error) body.push(`<p id="error" class="error" role="alert">${escapeHtml(view.error)}</p>`);
  if (view.notice) body.push(`<p class="notice" role="status">${escapeHtml(view.notice)}</p>`);
  body.push(formsHtml(view, t));
  if (view.state === 'password' || view.state === 'code') body.push(`<p class="fine">${escapeHtml(t.privacy)}</p>`);
  return (
    `<!doctype html>\n<html lang="${view.lang}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex, nofollow">` +
    `<title>${escapeHtml(heading)}</title>` +
    `<link rel="stylesheet" href="${escapeHtml(view.base)}style.css">` +
    `<script src="${escapeHtml(view.base)}local-time.js" defer></script></head>` +
    `<body><main class="card state-${view.state}">${languagesHtml(view)}<h1>${escapeHtml(heading)}</h1>${body.join('')}</main></body></html>\n`
  );
}

/** The page's only stylesheet: readable on a phone, visible focus, contrast above WCAG AA. */
export const SHARE_PAGE_CSS = `*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;font-size:100%;line-height:1.5;color:#1b1f24;background:#eef1f5}
body{margin:0;padding:1rem;min-height:100vh;display:flex;align-items:flex-start;justify-content:center}
.card{width:100%;max-width:28rem;margin-top:8vh;background:#fff;border-radius:.75rem;padding:1.5rem 1.5rem 1rem;box-shadow:0 1px 3px rgba(0,0,0,.12),0 8px 24px rgba(0,0,0,.06)}
h1{font-size:1.4rem;margin:0 0 .75rem;line-height:1.25}
p{margin:0 0 1rem}
.summary{list-style:none;margin:0 0 1.25rem;padding:.75rem 1rem;background:#f5f7fa;border-radius:.5rem;border-left:4px solid #1f5fbf}
.summary li{margin:.15rem 0}
form{margin:0 0 1rem}
label{display:block;font-weight:600;margin-bottom:.35rem}
input[type=password],input[type=text]{display:block;width:100%;font-size:1.1rem;padding:.7rem .8rem;border:2px solid #6b7480;border-radius:.5rem;margin-bottom:.9rem;background:#fff;color:#1b1f24}
input[name=code]{letter-spacing:.4em;font-variant-numeric:tabular-nums}
button{display:block;width:100%;font-size:1.05rem;font-weight:600;padding:.8rem 1rem;border:2px solid #1f5fbf;border-radius:.5rem;background:#1f5fbf;color:#fff;cursor:pointer}
button:hover{background:#174a96;border-color:#174a96}
button.secondary{background:#fff;color:#1f5fbf}
button.secondary:hover{background:#eef3fb}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid #1b1f24;outline-offset:2px;box-shadow:0 0 0 5px #fff}
a{color:#174a96}
.langs{text-align:right;font-size:.9rem;margin:-.5rem 0 .5rem}
input[aria-invalid=true]{border-color:#b3261e}
.error{color:#8c1d18;background:#fdecea;border-radius:.5rem;padding:.6rem .8rem;font-weight:600}
.notice{color:#0c4a2f;background:#e6f4ea;border-radius:.5rem;padding:.6rem .8rem}
.fine{font-size:.85rem;color:#4a525c;margin-top:1rem}
.state-locked h1,.state-revoked h1,.state-expired h1,.state-invalid h1{color:#8c1d18}
@media (prefers-color-scheme:dark){html{background:#12161b;color:#e6e9ee}.card{background:#1c2229;box-shadow:none}.summary{background:#232b34}input[type=password],input[type=text]{background:#12161b;color:#e6e9ee;border-color:#8a94a0}.fine{color:#aeb6c0}button.secondary{background:#1c2229;color:#a8c7fa;border-color:#a8c7fa}button.secondary:hover{background:#232b34}a{color:#a8c7fa}.state-locked h1,.state-revoked h1,.state-expired h1,.state-invalid h1{color:#ffb4ab}input:focus-visible,button:focus-visible,a:focus-visible{outline-color:#fff;box-shadow:0 0 0 5px #1c2229}}
`;

/**
 * The page's only script: each <time datetime> shown in the reader's time zone, in the page's language. Without it
 * (or without Intl), the UTC time written by the server stays.
 */
export const SHARE_PAGE_SCRIPT = `'use strict';
document.querySelectorAll('time[datetime]').forEach(function (el) {
  try {
    var d = new Date(el.getAttribute('datetime'));
    if (isNaN(d.getTime())) return;
    var f = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: 'long', timeStyle: 'short' });
    el.title = el.textContent;
    el.textContent = f.format(d);
  } catch (e) {}
});
`;
