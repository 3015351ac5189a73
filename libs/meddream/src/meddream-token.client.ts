import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DomainError, MetricsService } from '@app/common';
import { medDreamConfig, MedDreamConfig } from './meddream.config';

/** The longest answer taken as a token: a MedDream token is short; anything longer is an error page. */
const MAX_TOKEN_LENGTH = 8192;

/** The request body of the MedDream token service: one item per study, all stored in Orthanc. */
export function tokenRequestBody(studyUids: string[]): { items: { studies: { study: string; storage: string } }[] } {
  return { items: studyUids.map((study) => ({ studies: { study, storage: 'Orthanc' } })) };
}

/** The URL without credentials or query, fit for a log line. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

/** fetch() hides the socket error in `cause`: ECONNREFUSED says more than "fetch failed". */
function errorDetail(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

async function readCapped(response: Response, limit: number): Promise<string | null> {
  if (!response.body) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The only code that talks to the MedDream token service. A token is the trimmed text of a 2xx answer; anything
 * else (an error status, a timeout, a refused connection, an empty or oversized body) is a 502/504 and is never
 * used as a token. Tokens are never logged.
 */
@Injectable()
export class MedDreamTokenClient {
  private readonly logger = new Logger(MedDreamTokenClient.name);

  constructor(
    @Inject(medDreamConfig.KEY) private readonly config: MedDreamConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  async requestToken(studyUids: string[]): Promise<string> {
    const url = this.config.tokenServiceUrl;
    if (!url)
      throw new DomainError('upstream-failed', 'MedDream is not configured: MEDDREAM_TOKEN_SERVICE_URL is not set');
    const where = redactUrl(url);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.config.timeoutMs);
    try {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/plain, */*' },
          body: JSON.stringify(tokenRequestBody(studyUids)),
          redirect: 'manual',
          signal: controller.signal,
        });
      } catch (err) {
        throw this.failure(controller.signal.aborted, `could not be reached (${errorDetail(err)})`, where);
      }
      if (response.status < 200 || response.status >= 300) {
        await response.body?.cancel().catch(() => undefined);
        throw this.failure(false, `answered HTTP ${response.status}`, where);
      }
      let text: string | null;
      try {
        text = await readCapped(response, MAX_TOKEN_LENGTH);
      } catch (err) {
        throw this.failure(controller.signal.aborted, `broke off its answer (${errorDetail(err)})`, where);
      }
      if (text === null)
        throw this.failure(false, `answered more than ${MAX_TOKEN_LENGTH} bytes, which is not a token`, where);
      const token = text.trim();
      if (!token) throw this.failure(false, 'answered an empty body instead of a token', where);
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
      if (/[\s\x00-\x1f\x7f]/.test(token))
        throw this.failure(
          false,
          'answered a body that is not a token (it contains spaces or control characters)',
          where,
        );
      this.metrics?.peerCall('meddream', 'token', true);
      return token;
    } finally {
      clearTimeout(timer);
    }
  }

  private failure(timedOut: boolean, what: string, where: string): DomainError {
    this.metrics?.peerCall('meddream', 'token', false);
    if (timedOut) {
      const message = `The MedDream token service did not answer within ${this.config.timeoutMs} ms`;
      this.logger.warn(`${message} (${where})`);
      return new DomainError('upstream-timeout', message);
    }
    const message = `The MedDream token service ${what}`;
    this.logger.warn(`${message} (${where})`);
    return new DomainError('upstream-failed', message);
  }
}
