import { SHARE_LANGUAGES } from '@app/tokens';
import type { ShareLanguage } from '@app/tokens';
/** The languages of the page and of the code e-mails: the list the tokens lib accepts at creation (`language`). */
export type Lang = ShareLanguage;

export const LANGS: readonly Lang[] = SHARE_LANGUAGES;

export function isLang(value: unknown): value is Lang {
  return (LANGS as readonly unknown[]).includes(value);
}

/** English or French, whichever the browser's Accept-Language prefers (English when it names neither). */
export function pickLanguage(acceptLanguage: string | undefined): Lang {
  let best: { lang: Lang; q: number } = { lang: 'en', q: -1 };
  for (const part of (acceptLanguage ?? '').split(',').slice(0, 32)) {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    const base = tag.split('-')[0];
    if ((base === 'en' || base === 'fr') && Number.isFinite(q) && q > best.q) best = { lang: base, q };
  }
  return best.lang;
}

export interface PageText {
  title: string;
  intro: string;
  introBy: (who: string) => string;
  languageName: string;
  languages: string;
  studies: (n: number) => string;
  items: (n: number) => string;
  expires: (date: string) => string;
  noExpiry: string;
  sharedBy: (who: string) => string;
  passwordLabel: string;
  unlock: string;
  wrongPassword: string;
  wrongCode: string;
  codeExpired: string;
  attemptsLeft: (n: number) => string;
  locked: string;
  retryIn: (minutes: number) => string;
  lockedTitle: string;
  revokedTitle: string;
  revoked: string;
  expiredTitle: string;
  expired: string;
  invalidTitle: string;
  invalid: string;
  codeIntro: (to: string) => string;
  sendCode: string;
  codeSent: (to: string, minutes: number) => string;
  codeLabel: string;
  sendAgain: string;
  rateLimited: (minutes: number) => string;
  badForm: string;
  crossSite: string;
  emailFailed: string;
  unavailable: string;
  busy: string;
  privacy: string;
  sendCodeTo: (to: string) => string;
  email: CodeEmailText;
}

/** The code e-mail: one message per recipient, each with its own code. */
interface CodeEmailText {
  subject: string;
  greeting: string;
  sharedBy: (who: string) => string;
  sharedBySomeone: string;
  what: (items: string, until: string | null) => string;
  code: string;
  validity: (minutes: number) => string;
  onlyFor: (address: string) => string;
  ignore: string;
}

const minutes = (n: number, en = true) =>
  en ? `${n} minute${n === 1 ? '' : 's'}` : `${n} minute${n === 1 ? '' : 's'}`;

export const TEXT: Record<Lang, PageText> = {
  en: {
    title: 'Protected medical images',
    intro: 'Someone shared medical images with you. This link is protected.',
    introBy: (who) => `${who} shared medical images with you. This link is protected.`,
    languageName: 'English',
    languages: 'Language',
    studies: (n) => `${n} ${n === 1 ? 'study' : 'studies'}`,
    items: (n) => `${n} shared ${n === 1 ? 'item' : 'items'}`,
    expires: (d) => `Available until ${d}`,
    noExpiry: 'No end date',
    sharedBy: (who) => `Shared by ${who}`,
    passwordLabel: 'Password',
    unlock: 'Open the images',
    wrongPassword: 'Wrong password.',
    wrongCode: 'Wrong code.',
    codeExpired: 'This code has expired or was already used: ask for a new one.',
    attemptsLeft: (n) => `${n} ${n === 1 ? 'attempt' : 'attempts'} left before the link is locked.`,
    locked: 'Too many failed attempts: this link is locked for now.',
    retryIn: (n) => `Try again in ${minutes(n)}.`,
    lockedTitle: 'Link locked for now',
    revokedTitle: 'Link withdrawn',
    revoked: 'The sender has withdrawn this link. Ask them for a new one if you still need the images.',
    expiredTitle: 'Link expired',
    expired: 'This link has expired. Ask the sender for a new one if you still need the images.',
    invalidTitle: 'Link not valid',
    invalid: 'This link is not valid. Check that you copied it completely.',
    codeIntro: (to) => `To open the images, ask for a one-time code. It will be e-mailed to ${to}.`,
    sendCode: 'E-mail me a code',
    codeSent: (to, n) => `A 6-digit code was sent to ${to}. It is valid for ${minutes(n)}.`,
    codeLabel: '6-digit code',
    sendAgain: 'Send a new code',
    rateLimited: (n) => `Too many codes were sent for this link. You can ask for a new one in ${minutes(n)}.`,
    badForm: 'The form was incomplete or has expired: please try again.',
    crossSite: 'This form must be sent from its own page.',
    emailFailed: 'The code could not be e-mailed. Try again later.',
    unavailable: 'The service is not available right now. Try again later.',
    busy: 'The service is busy checking other passwords: try again in a few seconds.',
    sendCodeTo: (to) => `E-mail a code to ${to}`,
    email: {
      subject: 'Your code to open the shared images',
      greeting: 'Hello,',
      sharedBy: (who) => `${who} shared medical images with you.`,
      sharedBySomeone: 'Medical images were shared with you.',
      what: (items, until) => (until ? `The link opens ${items} until ${until}.` : `The link opens ${items}.`),
      code: 'Your one-time code:',
      validity: (n) => `It is valid for ${minutes(n)} and works once.`,
      onlyFor: (address) => `This code works only for ${address}: it was made for this address and no other.`,
      ignore: 'If you did not ask for this code, you can ignore this e-mail.',
    },
    privacy: 'Only someone with the password or code can open these images.',
  },
  fr: {
    title: 'Images médicales protégées',
    intro: 'Des images médicales ont été partagées avec vous. Ce lien est protégé.',
    introBy: (who) => `${who} a partagé des images médicales avec vous. Ce lien est protégé.`,
    languageName: 'Français',
    languages: 'Langue',
    studies: (n) => `${n} ${n === 1 ? 'examen' : 'examens'}`,
    items: (n) => `${n} ${n === 1 ? 'élément partagé' : 'éléments partagés'}`,
    expires: (d) => `Disponible jusqu’au ${d}`,
    noExpiry: 'Sans date de fin',
    sharedBy: (who) => `Partagé par ${who}`,
    passwordLabel: 'Mot de passe',
    unlock: 'Ouvrir les images',
    wrongPassword: 'Mot de passe incorrect.',
    wrongCode: 'Code incorrect.',
    codeExpired: 'Ce code a expiré ou a déjà servi : demandez-en un nouveau.',
    attemptsLeft: (n) => `Encore ${n} ${n === 1 ? 'essai' : 'essais'} avant le verrouillage du lien.`,
    locked: 'Trop d’essais infructueux : ce lien est verrouillé pour le moment.',
    retryIn: (n) => `Réessayez dans ${minutes(n, false)}.`,
    lockedTitle: 'Lien verrouillé pour le moment',
    revokedTitle: 'Lien retiré',
    revoked: 'L’expéditeur a retiré ce lien. Demandez-lui un nouveau lien si vous avez encore besoin des images.',
    expiredTitle: 'Lien expiré',
    expired: 'Ce lien a expiré. Demandez un nouveau lien à l’expéditeur si vous avez encore besoin des images.',
    invalidTitle: 'Lien non valide',
    invalid: 'Ce lien n’est pas valide. Vérifiez que vous l’avez copié en entier.',
    codeIntro: (to) => `Pour ouvrir les images, demandez un code à usage unique. Il sera envoyé par e-mail à ${to}.`,
    sendCode: 'M’envoyer un code',
    codeSent: (to, n) => `Un code à 6 chiffres a été envoyé à ${to}. Il est valable ${minutes(n, false)}.`,
    codeLabel: 'Code à 6 chiffres',
    sendAgain: 'Envoyer un nouveau code',
    rateLimited: (n) =>
      `Trop de codes ont été envoyés pour ce lien. Vous pourrez en demander un dans ${minutes(n, false)}.`,
    badForm: 'Le formulaire était incomplet ou a expiré : veuillez réessayer.',
    crossSite: 'Ce formulaire doit être envoyé depuis sa propre page.',
    emailFailed: 'Le code n’a pas pu être envoyé. Réessayez plus tard.',
    unavailable: 'Le service n’est pas disponible pour le moment. Réessayez plus tard.',
    busy: 'Le service vérifie d’autres mots de passe : réessayez dans quelques secondes.',
    sendCodeTo: (to) => `Envoyer un code à ${to}`,
    email: {
      subject: 'Votre code d’accès aux images partagées',
      greeting: 'Bonjour,',
      sharedBy: (who) => `${who} a partagé des images médicales avec vous.`,
      sharedBySomeone: 'Des images médicales ont été partagées avec vous.',
      what: (items, until) => (until ? `Le lien ouvre ${items} jusqu’au ${until}.` : `Le lien ouvre ${items}.`),
      code: 'Votre code à usage unique :',
      validity: (n) => `Il est valable ${minutes(n, false)} et ne sert qu’une fois.`,
      onlyFor: (address) =>
        `Ce code ne fonctionne que pour ${address} : il a été créé pour cette adresse et aucune autre.`,
      ignore: 'Si vous n’avez pas demandé ce code, ignorez ce message.',
    },
    privacy: 'Seule une personne disposant du mot de passe ou du code peut ouvrir ces images.',
  },
};

/** `p…t@example.org`: enough for the recipient to recognise their address, not enough to read it off the page. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '…';
  const local = address.slice(0, at);
  // Word joiners around the ellipsis: the address never breaks across lines there.
  const shown = local.length <= 2 ? local[0] : `${local[0]}\u2060…\u2060${local[local.length - 1]}`;
  return `${shown}@${address.slice(at + 1)}`;
}

/** What the code e-mail says of the share: who shared it, how many items, until when (formatted by the caller). */
export interface CodeEmailFacts {
  code: string;
  minutes: number;
  to: string;
  sharedBy: string | null;
  items: string;
  until: string | null;
}

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The code e-mail to one recipient, plain text and HTML saying the same, in `lang`. */
export function codeEmail(lang: Lang, f: CodeEmailFacts): { subject: string; text: string; html: string } {
  const t = TEXT[lang].email;
  const lines = [t.greeting, f.sharedBy ? t.sharedBy(f.sharedBy) : t.sharedBySomeone, t.what(f.items, f.until), t.code];
  const after = [t.validity(f.minutes), t.onlyFor(f.to), t.ignore];
  const text = [...lines, `    ${f.code}`, '', ...after].join('\n') + '\n';
  const html =
    `<!doctype html><html lang="${lang}"><body>` +
    lines.map((l) => `<p>${escape(l)}</p>`).join('') +
    `<p style="font-size:1.6em;letter-spacing:.2em"><strong>${f.code}</strong></p>` +
    after.map((l) => `<p>${escape(l)}</p>`).join('') +
    '</body></html>';
  return { subject: t.subject, text, html };
}
