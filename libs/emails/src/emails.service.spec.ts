import { applyLayout, parseRecipients } from './emails.service';
import { templateBaseName } from './email-templates.service';
import { redactSecret } from './smtp-mailer.client';

describe('e-mail helpers', () => {
  it('splits recipients on ";", "," and white space', () => {
    expect(parseRecipients(' a@x.org;b@x.org, c@x.org\n\td@x.org;;')).toEqual([
      'a@x.org',
      'b@x.org',
      'c@x.org',
      'd@x.org',
    ]);
  });

  it('replaces every literal {email-content}, taking "$" patterns literally', () => {
    expect(applyLayout('<a>{email-content}</a><b>{email-content}</b>', '$& $1 $$')).toBe(
      '<a>$& $1 $$</a><b>$& $1 $$</b>',
    );
  });

  it.each([
    ['share-study-content', 'share-study-content'],
    ['share-study-content.html', 'share-study-content'],
    ['v2.layout_fr', 'v2.layout_fr'],
    ['../x', null],
    ['..', null],
    ['a/b', null],
    ['a\\b', null],
    ['/etc/passwd', null],
    ['a\u0000b', null],
    ['.hidden', null],
    ['x..html', null],
    ['.html', null],
    ['', null],
    ['a'.repeat(200), null],
  ])('template name %j -> %j', (name, base) => {
    expect(templateBaseName(name)).toBe(base);
  });

  it('redacts the SMTP password and its AUTH encodings', () => {
    const plain = Buffer.from('\u0000mailer\u0000pw!').toString('base64');
    const login = Buffer.from('pw!').toString('base64');
    expect(redactSecret(`535 pw! ${plain} ${login}`, 'pw!', 'mailer')).toBe('535 *** *** ***');
  });
});
