import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '@app/common';

export const STOPPING_MESSAGE = 'the service is stopping: send the request again (another instance will answer it)';

/**
 * The graceful stop (SIGTERM/SIGINT, main.ts): the socket keeps listening while the requests in flight finish, and
 * every request that arrives meanwhile, on a new connection or a kept-alive one, is answered at once with a 503 JSON
 * error and `Connection: close` (a load balancer retries it elsewhere, a client reconnects), before any other hook
 * (credentials, body parsing) runs. Only once nothing is in flight does main.ts close the application.
 *
 * Requests are counted from their first hook to the close of their response (answered, or the connection dropped).
 */
export class GracefulStop {
  private stopping = false;
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  constructor(fastify: FastifyInstance) {
    fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      if (this.stopping) {
        // Not counted: answered here, it keeps nothing waiting.
        reply.header('connection', 'close').code(503).send(errorBody(503, STOPPING_MESSAGE));
        return;
      }
      this.inFlight++;
      reply.raw.once('close', () => this.finished());
      done();
    });
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Requests being served now (not counting the 503s of a stop). */
  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** From now on new requests get the 503; resolves when no request is in flight any more. */
  begin(): Promise<void> {
    this.stopping = true;
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private finished(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.stopping) for (const wake of this.waiters.splice(0)) wake();
  }
}
