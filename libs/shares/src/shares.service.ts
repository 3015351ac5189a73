import {
  BadRequestException,
  ConflictException,
  HttpException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationShutdown,
  OnModuleInit,
  ServiceUnavailableException,
} from '@nestjs/common';
import { coreConfig, CoreConfig } from '@app/common';
import {
  CreatedShare,
  ShareRegistryHook,
  ShareTokenCodec,
  stripBearer,
  tokenHash,
  tokensConfig,
  TokensConfig,
} from '@app/tokens';
import { RevocationSet } from './revocation-set';
import { ShareAdmin, TokenNotRecognisedError } from './share-admin';
import { notRevocableReason } from './share-record';
import type { SharePage, ShareQuery, ShareRecord } from './share-record';
import { sharesConfig, SharesConfig } from './shares.config';
import { openShareStore } from './store/open-share-store';
import { storageOpenError } from './store/storage-open-error';
import { PgRevocationListener } from './store/pg-revocation-listener';
import type { ShareStore } from './store/share-store';

/** SQLite: how often revocations written by another process (the CLI) are read. */
export const SQLITE_POLL_MS = 1000;
/** PostgreSQL: the safety-net resync besides LISTEN/NOTIFY. */
export const PG_RESYNC_MS = 30_000;

/**
 * The share registry: records every share created here, revokes shares and tokens, and keeps the revoked set in
 * memory for the validate path (`isRevoked` does no I/O). Other writers are picked up by polling (SQLite, every
 * second) or by LISTEN/NOTIFY plus a periodic resync (PostgreSQL).
 */
@Injectable()
export class SharesService implements ShareRegistryHook, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SharesService.name);
  private readonly revoked = new RevocationSet();
  private store: ShareStore | null = null;
  private admin: ShareAdmin | null = null;
  private listener: PgRevocationListener | null = null;
  private timer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;

  constructor(
    @Inject(sharesConfig.KEY) private readonly config: SharesConfig,
    @Inject(coreConfig.KEY) private readonly core: CoreConfig,
    @Inject(tokensConfig.KEY) private readonly tokens: TokensConfig,
  ) {}

  get enabled(): boolean {
    return this.config.enabled;
  }

  async onModuleInit(): Promise<void> {
    if (!this.config.enabled) return;
    const { storage } = this.config;
    this.store = await openShareStore(storage).catch((err: unknown) => {
      throw storageOpenError(storage, err);
    });
    this.admin = new ShareAdmin(this.store, new ShareTokenCodec(this.core.secretKey, this.tokens.previousSecretKeys));
    this.revoked.addAll(await this.store.revokedSince(0, new Date()));
    if (storage.kind === 'postgres') {
      this.listener = new PgRevocationListener(
        storage.url,
        (n) => this.revoked.add(n),
        () => void this.sync(true),
      );
      await this.listener.start();
    }
    const every = storage.kind === 'postgres' ? PG_RESYNC_MS : SQLITE_POLL_MS;
    this.timer = setInterval(() => void this.sync(storage.kind === 'postgres'), every);
    this.timer.unref();
    this.logger.log(
      `share registry on ${storage.kind === 'postgres' ? 'PostgreSQL' : `SQLite (${storage.path})`}, ${this.revoked.size} revoked`,
    );
  }

  /** Reads the revocations made elsewhere: all of them (PostgreSQL sequences are not in commit order) or the new ones. */
  sync(full = false): Promise<void> {
    if (!this.store) return Promise.resolve();
    if (this.syncing) return this.syncing;
    const store = this.store;
    this.syncing = store
      .revokedSince(full ? 0 : this.revoked.lastSeq, new Date())
      .then((entries) => this.revoked.addAll(entries))
      .catch((err: Error) => this.logger.warn(`could not read revocations: ${err.message}`))
      .finally(() => {
        this.syncing = null;
      });
    return this.syncing;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.listener?.stop();
    await this.syncing;
    await this.store?.close();
    this.store = null;
  }

  // ShareRegistryHook

  async recordCreated(share: CreatedShare): Promise<void> {
    const c = share.creator;
    await this.unavailableOnError(
      'record the share',
      this.requireStore().insert({
        id: share.shareId,
        tokenHash: share.tokenHash,
        type: share.type,
        resources: share.resources,
        creator: c ? { kind: c.kind, name: c.name, userId: c.userId ?? null } : null,
        createdAt: share.createdAt,
        expiresAt: share.expiresAt,
      }),
    );
    // One line per share for the audit trail: its id, type and creator, never the token (nor its hash).
    const by = c ? `${c.kind}:${c.name}` : 'unknown'; // as revoked-by spells callers
    this.logger.log({
      msg: `share created: ${share.shareId} (${share.type}) by ${by}, expires ${share.expiresAt?.toISOString() ?? 'never'}`,
      shareId: share.shareId,
      type: share.type,
      creator: c ? { kind: c.kind, name: c.name, userId: c.userId ?? null } : null,
    });
  }

  isRevoked(shareId: string | null, rawToken: string): boolean {
    return this.revoked.has(shareId, rawToken);
  }

  /** Readiness (GET /ready): one cheap lookup on the registry's storage; rejects when it cannot be reached. */
  async ping(): Promise<void> {
    await this.requireStore().get('readiness-probe');
  }

  // Administration

  list(query: ShareQuery): Promise<SharePage> {
    return this.unavailableOnError('list the shares', this.requireStore().list(query, new Date()));
  }

  /** The share, or 404 (also for a share outside `ownerUserId`'s, so as not to tell it exists). */
  async get(id: string, ownerUserId?: string): Promise<ShareRecord> {
    const share = await this.unavailableOnError('read the share', this.requireStore().get(id));
    if (!share || (ownerUserId !== undefined && share.creator?.userId !== ownerUserId)) {
      throw new NotFoundException(`no share with the id "${id}"`);
    }
    return share;
  }

  async revoke(id: string, by: string, ownerUserId?: string): Promise<ShareRecord> {
    const reason = notRevocableReason(await this.get(id, ownerUserId));
    if (reason) throw new ConflictException(reason);
    const share = (await this.unavailableOnError('revoke the share', this.admin!.revoke(id, by)))!;
    this.revoked.add({ id: share.id, tokenHash: share.tokenHash });
    this.logRevoked(share, by);
    return share;
  }

  /** One line per revocation (repeated ones too: who tried when), never the token. */
  private logRevoked(share: ShareRecord, by: string): void {
    this.logger.log({
      msg: `share revoked: ${share.id} (${share.type}) by ${by}`,
      shareId: share.id,
      type: share.type,
      revokedBy: by,
    });
  }

  /** Revokes any token by its hash. `ownerUserId` may only revoke tokens of shares they created. */
  async revokeToken(token: string, by: string, ownerUserId?: string): Promise<ShareRecord> {
    this.requireStore();
    if (ownerUserId !== undefined) {
      const owned = await this.findOwnedByToken(token, ownerUserId);
      if (!owned) throw new NotFoundException('no share of yours was created with this token');
    }
    try {
      const share = await this.unavailableOnError('revoke the token', this.admin!.revokeToken(token, by));
      this.revoked.add({ id: share.id, tokenHash: share.tokenHash });
      this.logRevoked(share, by);
      return share;
    } catch (err) {
      if (err instanceof TokenNotRecognisedError) throw new BadRequestException([err.message]);
      throw err;
    }
  }

  private async findOwnedByToken(token: string, ownerUserId: string): Promise<ShareRecord | null> {
    const share = await this.unavailableOnError(
      'read the share',
      this.requireStore().findByTokenHash(tokenHash(stripBearer(token.trim()))),
    );
    return share && share.creator?.userId === ownerUserId ? share : null;
  }

  /** A storage failure (database down, timeout) is a 503 that says what failed; the cause goes to the log only. */
  private async unavailableOnError<T>(what: string, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      if (err instanceof HttpException || err instanceof TokenNotRecognisedError) throw err;
      this.logger.error(`could not ${what}: ${err instanceof Error ? err.message : String(err)}`);
      throw new ServiceUnavailableException(`the share registry could not ${what}; try again later`);
    }
  }

  private requireStore(): ShareStore {
    if (!this.config.enabled) {
      throw new ServiceUnavailableException(
        'the share registry is disabled on this service (ENABLE_SHARES_REGISTRY=false)',
      );
    }
    if (!this.store) throw new ServiceUnavailableException('the share registry is not open yet');
    return this.store;
  }
}
