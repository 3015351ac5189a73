import { InvalidInputError } from '@app/common';
import type { Caller } from '@app/common';
import { TokensService } from '@app/tokens';

/** What a share token looks like in an e-mail: a JWT of this service (its header always starts `eyJ`). */
const TOKEN_SHAPE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * EMAILS_BIND_SHARE_LINKS: every share link of this service in a share e-mail's HTML becomes a link bound to the
 * recipients. A token is recognised by its shape and its signature (SECRET_KEY or PREVIOUS_SECRET_KEYS); each one
 * gets a protected copy (opened with a code e-mailed to one of the recipients), and every URL carrying it (an href, a
 * bare link) is replaced by the copy's share page link, every other occurrence by the copy's token. Links already
 * protected are left as they are. A link that cannot be bound (an instant link, no registry...), or that is revoked or
 * expired, refuses the e-mail: it is never sent with a link that forwarding would hand on, and a withdrawn link never
 * comes back as a new one.
 *
 * Limits: only tokens written out as they are (not percent- or base64-encoded, not inside an attachment or the
 * layout template) are seen; the original link stays valid for whoever already holds it (the sender's OE2).
 */
export async function bindShareLinks(
  html: string,
  recipients: string[],
  tokens: TokensService,
  creator: Caller | null,
): Promise<string> {
  const candidates = [...new Set(html.match(TOKEN_SHAPE) ?? [])];
  let bound = html;
  for (const raw of candidates) {
    const verified = tokens.codec.verify(raw);
    if (!verified.ok || verified.token.protected) continue;
    // A revoked or expired link is refused, never given a new life as a bound copy (tokens.verify checks revocation,
    // the codec only the signature).
    if (tokens.verify(raw) === null) {
      throw new InvalidInputError([
        `a share link in the e-mail (share ${verified.token.shareId ?? 'not recorded'}) was revoked`,
      ]);
    }
    const expiresAt = verified.token.expiresAt;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new InvalidInputError([`a share link in the e-mail expired on ${expiresAt.toISOString()}`]);
    }
    const copy = await tokens.protectedCopy(verified.token, { kind: 'email-code', emails: recipients }, creator);
    const token = escapeRegExp(raw);
    bound = bound
      .replace(new RegExp(`https?://[^\\s"'<>]*${token}[^\\s"'<>]*`, 'g'), () => copy.url)
      .replace(new RegExp(token, 'g'), () => copy.token);
  }
  return bound;
}
