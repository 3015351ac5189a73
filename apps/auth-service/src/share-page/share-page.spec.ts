import { checkFormToken, makeFormToken } from './form-token';
import { escapeHtml, renderPage } from './share-page.html';
import { maskEmail, pickLanguage } from './share-page.i18n';

describe('share page', () => {
  it('picks English or French by Accept-Language quality, English by default', () => {
    expect(pickLanguage(undefined)).toBe('en');
    expect(pickLanguage('de-DE')).toBe('en');
    expect(pickLanguage('fr-CA')).toBe('fr');
    expect(pickLanguage('en;q=0.4, fr;q=0.8')).toBe('fr');
    expect(pickLanguage('de, en-GB;q=0.9, fr;q=0.5')).toBe('en');
    expect(pickLanguage('fr;q=abc, en;q=0.1')).toBe('en');
  });

  it('masks an address enough not to be read off the page', () => {
    expect(maskEmail('patient@example.org')).toBe('p\u2060…\u2060t@example.org');
    expect(maskEmail('ab@example.org')).toBe('a@example.org');
    expect(maskEmail('nonsense')).toBe('…');
  });

  it('escapes what it shows', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const html = renderPage({ lang: 'en', state: 'password', token: '"><script>', formToken: 'f', base: '' });
    expect(html).not.toContain('<script>');
  });

  it('form tokens: bound to the share, expiring, unforgeable', () => {
    const now = 1_000_000;
    const t = makeFormToken('key', 'share-1', now);
    expect(checkFormToken('key', 'share-1', t, now + 1000)).toBe(true);
    expect(checkFormToken('key', 'share-2', t, now + 1000)).toBe(false);
    expect(checkFormToken('other', 'share-1', t, now + 1000)).toBe(false);
    expect(checkFormToken('key', 'share-1', t, now + 3 * 3600_000)).toBe(false);
    for (const bad of [undefined, 42, '', '.', 'x.y', `${now + 1000}.`, 'a'.repeat(200)]) {
      expect(checkFormToken('key', 'share-1', bad, now)).toBe(false);
    }
  });
});
