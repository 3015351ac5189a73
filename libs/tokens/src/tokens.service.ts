import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { Caller, InvalidInputError } from '@app/common';
import { assertBearerMayShare, boundedBearerExpiry } from './bearer-share-rule';
import { formatIsoDate, parseIsoDate } from './codec/iso-date';
import { MAX_TOKEN_LENGTH, ShareTokenCodec } from './codec/share-token-codec';
import { VerifiedTokenCache } from './codec/verified-token-cache';
import { CreateTokenDto } from './dto/create-token.dto';
import { DecodeTokenDto } from './dto/decode-token.dto';
import { ValidateTokenDto } from './dto/validate-token.dto';
import { LinkBuilder } from './links/link-builder';
import { MEDDREAM_LINKS, MedDreamLinks } from './meddream-links';
import { assertProtectable, protectionOf, ProtectionSupport } from './protected-links';
import { SHARE_REGISTRY, ShareProtectionInput, ShareRegistryHook } from './share-registry';
import { CreateTokenAnswer, DecodeAnswer, DecodeErrorCode, WireResource } from './answers';
import { isTokenType, PUBLICATION_TYPES, Resource, ShareToken, toWireResource } from './token-types';
import { tokensConfig, TokensConfig } from './tokens.config';
import { Decision, decideShareAccess } from './validation/share-decision';

/** The child token the share page mints on unlocking a protected link, and the viewer link that carries it. */
export interface ChildLink {
  shareId: string;
  token: string;
  url: string | null;
  expiresAt: Date;
}

/** The token type of the child tokens the share page mints: a short-lived instant link to the same resources. */
const CHILD_TOKEN_TYPE = 'viewer-instant-link';

export type HeaderBag = Record<string, string | string[] | undefined>;

const BEARER = /^bearer\s+/i;
const BASIC = /^basic(\s|$)/i;

/** The header a caller of this service authenticates with (HTTP Basic): never read as a share token. */
const CALLER_CREDENTIAL_HEADER = 'authorization';

export function stripBearer(value: string): string {
  return BEARER.test(value) ? value.replace(BEARER, '') : value;
}

/** A value that may carry a share token: a non-blank string that is not an HTTP Basic credential. */
function tokenCandidate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const v = value.trim();
  return v !== '' && !BASIC.test(v);
}

/**
 * The token a validate request carries: the header named after token-key wins over token-value. The header the
 * caller authenticated with (`Authorization`, the plugin's own Basic credential) is never read: with token-key
 * `Authorization` the plugin sends the user's `Bearer <token>` in token-value. A Basic credential is never a token.
 */
export function tokenFrom(
  tokenKey: string | null | undefined,
  tokenValue: string | null | undefined,
  headers?: HeaderBag,
): string | null {
  let raw: unknown;
  // Own headers only: a token-key such as `__proto__` or `constructor` must not reach Object.prototype.
  const name = tokenKey?.toLowerCase();
  if (name && name !== CALLER_CREDENTIAL_HEADER && headers && Object.prototype.hasOwnProperty.call(headers, name)) {
    const h = headers[name];
    raw = Array.isArray(h) ? h[0] : h;
  }
  if (!tokenCandidate(raw)) raw = tokenValue;
  if (!tokenCandidate(raw)) return null;
  const token = stripBearer(raw.trim());
  return token || null;
}

export function tokenHash(raw: string): string {
  return createHash('sha256').update(raw).digest('hex');
}

const MEDDREAM_NOT_CONFIGURED =
  'MedDream is not configured on this service: set MEDDREAM_TOKEN_SERVICE_URL and PUBLIC_MEDDREAM_ROOT';

@Injectable()
export class TokensService {
  readonly links: LinkBuilder;
  private readonly verified: VerifiedTokenCache;
  private readonly methods: ReadonlySet<string>;

  constructor(
    readonly codec: ShareTokenCodec,
    @Inject(tokensConfig.KEY) private readonly config: TokensConfig,
    @Optional() @Inject(MEDDREAM_LINKS) private readonly meddream?: MedDreamLinks,
    @Optional() @Inject(SHARE_REGISTRY) private readonly registry?: ShareRegistryHook | null,
  ) {
    this.verified = new VerifiedTokenCache({
      maxEntries: config.verifiedTokenCacheSize,
      maxBytes: config.verifiedTokenCacheBytes,
    });
    this.links = new LinkBuilder(config);
    this.methods = new Set(config.shareTokenMethods);
  }

  async create(
    pathType: string,
    dto: CreateTokenDto,
    creator: Caller | null = null,
    options: { emailsEnabled?: boolean } = {},
  ): Promise<CreateTokenAnswer> {
    if (dto.type !== pathType) {
      throw new InvalidInputError([`type must equal the token type of the path (${pathType})`]);
    }
    const type = dto.type;
    if (creator?.kind === 'bearer') assertBearerMayShare(creator);
    const now = Date.now();
    let expiresAt: Date | null = null;
    const expirationInput = dto['expiration-date'];
    let duration = dto['validity-duration'] ?? null;
    if (expirationInput) {
      expiresAt = parseIsoDate(expirationInput);
      if (!expiresAt)
        throw new InvalidInputError(['expiration-date must be an ISO-8601 date-time, e.g. 2030-01-01T00:00:00Z']);
    } else if (duration !== null) {
      expiresAt = new Date(now + duration * 1000);
    }
    if (creator?.kind === 'bearer') {
      // A Keycloak user's links have a bounded life: none asked is the bound, echoed as the validity-duration.
      const bounded = boundedBearerExpiry(
        { expiresAt, byDate: Boolean(expirationInput) },
        this.config.bearerShareMaxValidity,
        now,
      );
      expiresAt = bounded.expiresAt;
      if (bounded.defaulted) duration = this.config.bearerShareMaxValidity;
    }
    const resources: Resource[] = dto.resources.map((r) => ({
      dicomUid: r['dicom-uid'] ?? null,
      orthancId: r['orthanc-id'] ?? null,
      url: r.url ?? null,
      level: r.level,
    }));
    // The token carries Python's isoformat(); the answer echoes the caller's own spelling when one was given.
    const expirationDate = expiresAt ? formatIsoDate(expiresAt) : null;
    const request: CreateTokenAnswer['request'] = {
      id: dto.id ?? null,
      resources: resources.map(toWireResource),
      type,
      'expiration-date': expirationInput ? expirationInput : expirationDate,
      'validity-duration': duration,
    };

    const protection = protectionOf(
      type,
      { password: dto.password, emailCode: dto['email-code'], language: dto.language },
      this.protectionSupport(options.emailsEnabled ?? false),
    );
    if (protection) request.protection = protection.kind;

    if (type === 'meddream-instant-link' || type === 'meddream-viewer-publication') {
      if (!this.meddream) throw new InvalidInputError(MEDDREAM_NOT_CONFIGURED);
    }
    if (type === 'meddream-instant-link') {
      // Not a JWT: the MedDream token service's own token, inside MedDream's link. Recorded like every share (who,
      // which studies, when; its hash identifies it), with no expiry: MedDream decides how long its tokens live.
      const { token, url } = await this.meddream!.mintLink(resources);
      await this.record(this.registry ? randomUUID() : null, token, type, resources, creator, null);
      return { request, token, url };
    }
    if (type === 'meddream-viewer-publication' && !this.config.publicLandingRoot) {
      throw new InvalidInputError(`${type} links are not configured on this service: set PUBLIC_LANDING_ROOT`);
    }
    // A publication is opened later, at decode: refuse now what MedDream could never open then.
    if (type === 'meddream-viewer-publication') this.meddream!.checkResources(resources);
    this.links.assertConfigured(type);

    const shareId = this.registry ? randomUUID() : null;
    const token = this.codec.sign({
      id: request.id,
      shareId,
      // A protected link names no resource: a validator that ignores its `protected` claim (the Python service, an
      // earlier version of this one during a rollback) finds nothing to grant, and the link alone does not tell which
      // study it opens. Its resources are in the registry, where unlocking reads them.
      resources: protection ? [] : resources,
      type,
      expirationDate,
      validityDuration: duration,
      protected: protection !== null,
    });
    if (token.length > MAX_TOKEN_LENGTH) {
      // A token this service would refuse when it comes back (validate, decode): never hand one out.
      throw new InvalidInputError([
        `resources make a token of ${token.length} characters, over the ${MAX_TOKEN_LENGTH} this service accepts: share fewer resources, or drop their urls`,
      ]);
    }
    await this.record(shareId, token, type, resources, creator, expiresAt, protection ?? undefined);
    const url = protection ? this.links.sharePageUrl(token) : this.links.shareUrl(type, resources, token);
    return { request, token, url };
  }

  /** What this service offers that protected links need (protected-links.ts holds the rules). */
  private protectionSupport(emails: boolean): ProtectionSupport {
    return {
      registry: Boolean(this.registry),
      sharePage: Boolean(this.config.publicSharePageRoot),
      emails,
      passwordMinLength: this.config.sharePasswordMinLength,
    };
  }

  /**
   * A copy of a link protected as asked (EMAILS_BIND_SHARE_LINKS: bound to an e-mail's recipients): the same resources,
   * type, id and expiry, a share of its own recorded with its protection and the caller as creator. The original stays
   * as it was. Answers the copy's token and its share page link.
   */
  async protectedCopy(
    original: ShareToken,
    protection: ShareProtectionInput,
    creator: Caller | null,
  ): Promise<{ token: string; url: string }> {
    assertProtectable(original.type, 'binding a link to its recipients', this.protectionSupport(true));
    const shareId = randomUUID();
    const token = this.codec.sign({
      id: original.id,
      shareId,
      resources: [], // as every protected link: the resources are in the registry only (see create)
      type: original.type,
      expirationDate: original.expirationDate,
      validityDuration: original.validityDuration,
      protected: true,
    });
    await this.record(shareId, token, original.type, original.resources, creator, original.expiresAt, protection);
    return { token, url: this.links.sharePageUrl(token)! };
  }

  /**
   * Mints the child token of an unlocked protected link: an instant link to its resources (as the registry recorded
   * them: a protected link's token names none), living
   * SHARE_CHILD_TOKEN_VALIDITY seconds (never beyond its parent), carrying its parent's share id so that validate
   * refuses it as soon as the parent is revoked; recorded in the registry as a child of the parent.
   */
  async mintChild(parent: ShareToken, resources: Resource[], now = new Date()): Promise<ChildLink> {
    if (!parent.shareId || !this.registry) throw new Error('a child token needs a recorded parent share');
    let expiresAt = new Date(now.getTime() + this.config.shareChildTokenValidity * 1000);
    if (parent.expiresAt && parent.expiresAt < expiresAt) expiresAt = parent.expiresAt;
    const shareId = randomUUID();
    const token = this.codec.sign({
      id: null,
      shareId,
      resources,
      type: CHILD_TOKEN_TYPE,
      expirationDate: formatIsoDate(expiresAt),
      validityDuration: null,
      parentShareId: parent.shareId,
    });
    await this.registry.recordCreated({
      shareId,
      tokenHash: tokenHash(token),
      type: CHILD_TOKEN_TYPE,
      resources,
      creator: null,
      createdAt: now,
      expiresAt,
      parentShareId: parent.shareId,
    });
    return { shareId, token, url: this.links.directUrl(parent.type, resources, token), expiresAt };
  }

  /** Records a share in the registry (when there is one); a failure refuses the link rather than hand it out. */
  private async record(
    shareId: string | null,
    token: string,
    type: string,
    resources: Resource[],
    creator: Caller | null,
    expiresAt: Date | null,
    protection?: ShareProtectionInput,
  ): Promise<void> {
    if (!this.registry || !shareId) return;
    await this.registry.recordCreated({
      shareId,
      tokenHash: tokenHash(token),
      type,
      resources,
      creator,
      createdAt: new Date(),
      expiresAt,
      ...(protection ? { protection } : {}),
    });
  }

  /** Verifies a raw share token; null when it is not a valid share token of this service, or is revoked. */
  verify(raw: string): ShareToken | null {
    const seen = this.inspect(raw);
    return seen && !seen.revoked ? seen.token : null;
  }

  /**
   * A raw share token of this service (signature and expiry checked, through the cache of verified tokens) and
   * whether it is revoked (itself or, for a child, its parent: both checked in memory); null when it is not one.
   * The share page tells a revoked link from a link that never was one.
   */
  inspect(raw: string): { token: ShareToken; revoked: boolean } | null {
    let token = this.verified.get(raw);
    if (!token) {
      const result = this.codec.verify(raw);
      if (!result.ok) return null;
      token = result.token;
      this.verified.set(raw, token);
    }
    // No registry (ENABLE_SHARES_REGISTRY=false: the provider is null), nothing is ever revoked.
    const registry = this.registry;
    const revoked = registry
      ? registry.isRevoked(token.shareId, raw) ||
        // A child of a protected link dies with its parent.
        (token.parentShareId !== null && registry.isRevoked(token.parentShareId, raw))
      : false;
    return { token, revoked };
  }

  /**
   * Is this string a share token of this service: signed with the current or a previous key, expired or revoked
   * ones included (the write guard refuses writes carrying one, whatever its state)?
   */
  isShareToken(raw: string): boolean {
    if (this.verified.get(raw)) return true;
    const result = this.codec.verify(raw);
    if (!result.ok) return false;
    this.verified.set(raw, result.token);
    return true;
  }

  validate(dto: ValidateTokenDto, headers?: HeaderBag): Decision {
    const cacheSeconds = this.config.validateCacheSeconds;
    const raw = tokenFrom(dto['token-key'], dto['token-value'], headers);
    if (!raw) return { granted: false, validity: cacheSeconds, reason: 'no-token' };
    const token = this.verify(raw);
    if (!token) return { granted: false, validity: cacheSeconds, reason: 'invalid' };
    const decision = decideShareAccess(
      token,
      {
        dicomUid: dto['dicom-uid'],
        orthancId: dto['orthanc-id'],
        level: dto.level,
        method: dto.method,
        serverId: dto['server-id'],
      },
      { serverId: this.config.serverId, cacheSeconds, now: Date.now(), methods: this.methods },
    );
    if (decision.granted && token.parentShareId !== null) {
      this.registry?.childGranted?.(token.parentShareId, token.shareId, new Date());
    }
    return decision;
  }

  async decode(dto: DecodeTokenDto): Promise<DecodeAnswer> {
    const answer = (
      type: string | null,
      error: DecodeErrorCode | null,
      redirect: string | null = null,
      resources: WireResource[] = [],
    ): DecodeAnswer => ({ 'token-type': type, 'error-code': error, 'redirect-url': redirect, resources });
    const raw = tokenFrom(null, dto['token-value']);
    if (!raw) return answer(null, 'invalid');
    const token = this.verify(raw);
    if (!token) return answer(null, 'invalid');
    if (!isTokenType(token.type)) return answer(null, 'unknown');
    if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) return answer(token.type, 'expired');
    if (token.protected) {
      // What is shared stays behind the password or code: the landing page is sent to the share page.
      return { ...answer(token.type, null, this.links.sharePageUrl(raw)), protected: true };
    }
    const resources = token.resources.map(toWireResource);
    if (token.type === 'meddream-viewer-publication') {
      if (!this.meddream) throw new InvalidInputError(MEDDREAM_NOT_CONFIGURED);
      return answer(token.type, null, (await this.meddream.mintLink(token.resources)).url, resources);
    }
    if (PUBLICATION_TYPES.has(token.type)) {
      return answer(token.type, null, this.links.directUrl(token.type, token.resources, raw), resources);
    }
    return answer(token.type, null, null, resources);
  }
}
