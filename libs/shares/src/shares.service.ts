import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { Gauge } from 'prom-client';
import {
  ConflictError,
  coreConfig,
  CoreConfig,
  DomainError,
  InvalidInputError,
  MetricsService,
  NotFoundError,
  UnavailableError,
} from '@app/common';
import { CreatedShare, ShareRegistryHook, ShareTokenCodec, stripBearer, tokenHash } from '@app/tokens';
import { RevocationSet } from './revocation-set';
import { hashSharePassword, ShareUnlock } from './protection';
import { ShareAccessTrail, toAccessView, TRAIL_LIMITS } from './trail';
import type { ShareAccessEvent, ShareAccessView } from './trail';
import { ShareAdmin, TokenNotRecognisedError } from './share-admin';
import { notRevocableReason } from './share-record';
import type { ProtectionState, SharePage, ShareQuery, ShareRecord, StoredProtection } from './share-record';
import { sharesConfig, SharesConfig } from './shares.config';
import { openShareStore } from './store/open-share-store';
import { storageOpenError } from './store/storage-open-error';
import { PgRevocationListener } from './store/pg-revocation-listener';
import type { ShareStore } from './store/share-store';

/** SQLite: how often revocations written by another process (the CLI) are read. */
const SQLITE_POLL_MS = 1000;
/** PostgreSQL: the safety-net resync besides LISTEN/NOTIFY. */
const PG_RESYNC_MS = 30_000;
/** Revocations read per query while serving: a full reload is a series of short reads, each a short stretch of the event loop. */
export const REVOCATION_CHUNK = 2000;
/** Revocations read per query at start-up, before the service listens: fewer round trips. */
export const REVOCATION_STARTUP_CHUNK = 20_000;

/**
 * The share registry: records every share created here, revokes shares and tokens, and keeps the revoked set in
 * memory for the validate path (`isRevoked` does no I/O). Other writers are picked up by polling (SQLite, every
 * second) or by LISTEN/NOTIFY plus a periodic resync (PostgreSQL), each reading only the revocations after the last
 * one it has (PostgreSQL re-reads them all after a reconnection, in case the database was restored meanwhile).
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
  private fullSyncWanted = false;
  /** The access trail of protected shares: buffered here, written in batches (see ShareAccessTrail). */
  readonly trail: ShareAccessTrail;
  private unlocker: ShareUnlock | null = null;

  constructor(
    @Inject(sharesConfig.KEY) private readonly config: SharesConfig,
    @Inject(coreConfig.KEY) private readonly core: CoreConfig,
    private readonly codec: ShareTokenCodec,
    @Optional() metrics?: MetricsService,
  ) {
    const trail = new ShareAccessTrail({ ...TRAIL_LIMITS, retentionMs: config.trail.retentionDays * 86_400_000 });
    this.trail = trail;
    if (metrics && config.enabled) {
      // Read at each scrape: nothing is counted twice on the recording path.
      new Gauge({
        name: 'orthanc_auth_share_trail_events',
        help:
          'Access trail of protected shares since start-up, by state: buffered (waiting to be written), written, ' +
          'dropped (details dropped: buffer full, storage failing; counts kept), duplicates (repeated child grants), ' +
          'invalid (ignored), pruned (deleted past SHARE_TRAIL_RETENTION_DAYS)',
        labelNames: ['state'],
        registers: [metrics.registry],
        collect() {
          for (const [state, n] of Object.entries(trail.stats())) this.set({ state }, n as number);
        },
      });
    }
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  async onModuleInit(): Promise<void> {
    if (!this.config.enabled) return;
    const { storage } = this.config;
    const started = Date.now();
    this.store = await openShareStore(storage).catch((err: unknown) => {
      throw storageOpenError(storage, err);
    });
    this.admin = new ShareAdmin(this.store, this.codec);
    this.unlocker = new ShareUnlock(this.store, this.config.unlock, this.core.signingKeys.current);
    this.unlocker.start();
    await this.readRevocations(this.store, 0, REVOCATION_STARTUP_CHUNK);
    if (storage.kind === 'postgres') {
      this.listener = new PgRevocationListener(
        storage.url,
        (n) => this.revoked.add(n),
        () => void this.sync(true),
      );
      await this.listener.start();
    }
    const every = storage.kind === 'postgres' ? PG_RESYNC_MS : SQLITE_POLL_MS;
    this.timer = setInterval(() => void this.sync(), every);
    this.timer.unref();
    this.trail.start(this.store);
    this.logger.log(
      `share registry on ${storage.kind === 'postgres' ? 'PostgreSQL' : `SQLite (${storage.path})`}, ${this.revoked.size} revoked, open in ${Date.now() - started} ms`,
    );
  }

  /** Adds the revocations after `afterSeq` of unexpired shares, `chunkSize` at a time. */
  private async readRevocations(store: ShareStore, afterSeq: number, chunkSize = REVOCATION_CHUNK): Promise<void> {
    for (let seq = afterSeq; ;) {
      const chunk = await store.revocationsAfter(seq, new Date(), chunkSize);
      this.revoked.addAll(chunk.entries);
      this.revoked.advance(chunk.through);
      if (chunk.entries.length < chunkSize) return;
      seq = chunk.through;
      // A turn of the event loop between chunks (SQLite reads synchronously): requests waiting get answered.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Reads the revocations made elsewhere since the last one known (`full`: all of them again, after a reconnection),
   * and forgets those of shares expired since.
   */
  sync(full = false): Promise<void> {
    if (full) this.fullSyncWanted = true;
    if (!this.store) return Promise.resolve();
    if (this.syncing) return this.syncing.then(() => (this.fullSyncWanted ? this.sync() : undefined));
    const store = this.store;
    const everything = this.fullSyncWanted;
    this.fullSyncWanted = false;
    this.syncing = this.readRevocations(store, everything ? 0 : this.revoked.lastSeq)
      .then(() => {
        this.revoked.prune(Date.now());
      })
      .catch((err: unknown) => {
        if (everything) this.fullSyncWanted = true;
        this.logger.warn(`could not read revocations: ${(err as Error).message}`);
      })
      .finally(() => {
        this.syncing = null;
      });
    return this.syncing;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unlocker?.stop();
    await this.trail.stop();
    await this.listener?.stop();
    await this.syncing;
    await this.store?.close();
    this.store = null;
  }

  // ShareRegistryHook

  async recordCreated(share: CreatedShare): Promise<void> {
    const c = share.creator;
    // The password is hashed here (scrypt, off the event loop) and forgotten: only its hash is stored.
    let protection: StoredProtection | undefined;
    if (share.protection?.kind === 'password') {
      protection = { kind: 'password', passwordHash: await hashSharePassword(share.protection.password), emails: [] };
    } else if (share.protection?.kind === 'email-code') {
      const { emails, language } = share.protection;
      protection = { kind: 'email-code', passwordHash: null, emails, language: language ?? null };
    }
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
        ...(protection ? { protection } : {}),
        ...(share.parentShareId ? { parentId: share.parentShareId } : {}),
      }),
    );
    // One line per share for the audit trail: its id, type and creator, never the token (nor its hash).
    const by = c
      ? `${c.kind}:${c.name}`
      : share.parentShareId
        ? `the share page (child of ${share.parentShareId})`
        : 'unknown'; // as revoked-by spells callers
    const protectedBy = protection
      ? `, protected by ${protection.kind === 'password' ? 'a password' : 'an e-mailed code'}`
      : '';
    this.logger.log({
      msg: `share created: ${share.shareId} (${share.type}) by ${by}, expires ${share.expiresAt?.toISOString() ?? 'never'}${protectedBy}`,
      shareId: share.shareId,
      type: share.type,
      creator: c ? { kind: c.kind, name: c.name, userId: c.userId ?? null } : null,
    });
  }

  isRevoked(shareId: string | null, rawToken: string): boolean {
    return this.revoked.has(shareId, rawToken);
  }

  /** Validate granted a child token: the trail keeps its first grant under the parent (in memory, no I/O). */
  childGranted(parentShareId: string, childShareId: string | null, at: Date): void {
    if (childShareId === null) return;
    this.recordAccess({
      shareId: parentShareId,
      kind: 'child-grant',
      outcome: 'ok',
      childId: childShareId,
      clientAddress: null,
      userAgent: null,
      at,
    });
  }

  /** How a share opens when it is a protected link (null for an ordinary one); 503 when the registry cannot answer. */
  protectionOf(id: string): Promise<ProtectionState | null> {
    const read = async () => {
      const p = await this.requireStore().getProtection(id);
      return p && this.unlocker!.withCounts(p);
    };
    return this.unavailableOnError('read the protection of the share', read());
  }

  /** Unlocking protected links (the share page). */
  get unlock(): ShareUnlock {
    this.requireStore();
    return this.unlocker!;
  }

  /** Readiness (GET /ready): one cheap lookup on the registry's storage; rejects when it cannot be reached. */
  async ping(): Promise<void> {
    await this.requireStore().get('readiness-probe');
  }

  /**
   * The share page and validate report what happened to a protected share: synchronous, never throws, no I/O on the
   * caller's path (aggregated in memory, written in batches). A no-op with the registry disabled.
   */
  recordAccess(event: ShareAccessEvent): void {
    this.trail.record(event);
  }

  /**
   * The access trail of a share (the caller has checked it may see it). What this instance still holds is written
   * first, so the answer includes every event recorded here before the request.
   */
  async accessOf(id: string): Promise<ShareAccessView> {
    const store = this.requireStore();
    await this.trail.flush();
    const { retentionDays, recentEvents } = this.config.trail;
    const since = new Date(Date.now() - retentionDays * 86_400_000);
    const summary = await this.unavailableOnError('read the access trail', store.accessOf(id, recentEvents, since));
    return toAccessView(summary, { recentLimit: recentEvents, retentionDays });
  }

  // Administration

  list(query: ShareQuery): Promise<SharePage> {
    return this.unavailableOnError('list the shares', this.requireStore().list(query, new Date()));
  }

  /** The share, or 404 (also for a share outside `ownerUserId`'s, so as not to tell it exists). */
  async get(id: string, ownerUserId?: string): Promise<ShareRecord> {
    const share = await this.unavailableOnError('read the share', this.requireStore().get(id));
    if (!share || (ownerUserId !== undefined && share.creator?.userId !== ownerUserId)) {
      throw new NotFoundError(`no share with the id "${id}"`);
    }
    return share;
  }

  async revoke(id: string, by: string, ownerUserId?: string): Promise<ShareRecord> {
    const reason = notRevocableReason(await this.get(id, ownerUserId));
    if (reason) throw new ConflictError(reason);
    const share = (await this.unavailableOnError('revoke the share', this.admin!.revoke(id, by)))!;
    this.revoked.add({ id: share.id, tokenHash: share.tokenHash, expiresAt: share.expiresAt?.getTime() ?? null });
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
      if (!owned) throw new NotFoundError('no share of yours was created with this token');
    }
    try {
      const share = await this.unavailableOnError('revoke the token', this.admin!.revokeToken(token, by));
      this.revoked.add({ id: share.id, tokenHash: share.tokenHash, expiresAt: share.expiresAt?.getTime() ?? null });
      this.logRevoked(share, by);
      return share;
    } catch (err) {
      if (err instanceof TokenNotRecognisedError) throw new InvalidInputError([err.message]);
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
      if (err instanceof DomainError || err instanceof TokenNotRecognisedError) throw err;
      this.logger.error(`could not ${what}: ${err instanceof Error ? err.message : String(err)}`);
      throw new UnavailableError(`the share registry could not ${what}; try again later`);
    }
  }

  private requireStore(): ShareStore {
    if (!this.config.enabled) {
      throw new UnavailableError('the share registry is disabled on this service (ENABLE_SHARES_REGISTRY=false)');
    }
    if (!this.store) throw new UnavailableError('the share registry is not open yet');
    return this.store;
  }
}
