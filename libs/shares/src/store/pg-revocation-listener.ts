import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { PG_TIMEOUT_MS, REVOCATION_CHANNEL } from './pg-share.store';

/** How the listening connection shows in pg_stat_activity. */
const LISTENER_APPLICATION_NAME = 'orthanc-auth-revocations';

export interface RevocationNotice {
  id: string;
  tokenHash: string;
  /** Epoch ms; null when the share never expires or the notice came from an earlier version (kept until restart). */
  expiresAt: number | null;
}

/**
 * A dedicated connection LISTENing for revocations made by any replica. On connection loss it reconnects (1 s, then
 * doubling up to 30 s) and calls `onReconnect` so that the owner resyncs what it may have missed meanwhile.
 */
export class PgRevocationListener {
  private readonly logger = new Logger(PgRevocationListener.name);
  private client: Client | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private delay = 1000;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly onNotice: (n: RevocationNotice) => void,
    private readonly onReconnect: () => void,
  ) {}

  async start(): Promise<void> {
    await this.connect(false);
  }

  private async connect(reconnecting: boolean): Promise<void> {
    const client = new Client({
      connectionString: this.url,
      connectionTimeoutMillis: PG_TIMEOUT_MS,
      keepAlive: true,
      query_timeout: PG_TIMEOUT_MS,
      application_name: LISTENER_APPLICATION_NAME,
    });
    client.on('notification', (msg) => {
      if (msg.channel !== REVOCATION_CHANNEL || !msg.payload) return;
      try {
        const n = JSON.parse(msg.payload) as Partial<RevocationNotice>;
        if (typeof n.id === 'string' && typeof n.tokenHash === 'string') {
          const expiresAt = typeof n.expiresAt === 'number' && Number.isFinite(n.expiresAt) ? n.expiresAt : null;
          this.onNotice({ id: n.id, tokenHash: n.tokenHash, expiresAt });
        }
      } catch {
        this.logger.warn('ignored a malformed revocation notice');
      }
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection closed')));
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      if (!reconnecting) throw err;
      this.schedule();
      return;
    }
    this.client = client;
    this.delay = 1000;
    if (reconnecting) {
      this.logger.log('revocation listener reconnected');
      this.onReconnect();
    }
  }

  private lost(client: Client, err: Error): void {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    this.logger.warn(`revocation listener lost its connection (${err.message}); reconnecting`);
    client.end().catch(() => undefined);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.retryTimer) return;
    const delay = this.delay;
    this.delay = Math.min(this.delay * 2, 30_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect(true);
    }, delay);
    this.retryTimer.unref();
  }

  get connected(): boolean {
    return this.client !== null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }
}
