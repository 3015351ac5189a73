import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CoreConfig, errorBody, sendError } from '@app/common';
import { decideWriteGuard, TokensService, writeGuardInput } from '@app/tokens';
import type { WriteGuardConfig } from './write-guard.config';

/** The path of the write guard (after URL_PREFIX), on its own listener. */
const WRITE_GUARD_PATH = '/write-guard';

/** nginx forwards the client's headers to the subrequest: as large as its large_client_header_buffers allow. */
const MAX_HEADER_BYTES = 128 * 1024;

const ALLOWED = '{"allowed":true}';
const REFUSED =
  'a share token may not write: this request would change data in Orthanc (PUT, DELETE, or a POST such as modify, anonymize, merge, split)';

const listeners = new WeakMap<object, Server>();

/**
 * The write guard the reverse proxy consults with `auth_request` before passing a request to Orthanc
 * (docs/PROTOCOL.md section 12): the proxy's subrequest carries the original request's headers (its credentials:
 * `token`, `api-key`, `Authorization: Bearer`...) plus `X-Original-Method` and `X-Original-URI` (which holds a
 * `?token=` argument). It answers 403 when the request is a write carrying a share token of this service, and 200
 * `{"allowed": true}` otherwise (users and api-keys go on to the plugin's own checks); 400 naming the header when the
 * proxy did not send its two headers once each (nginx then fails the request: a misconfigured proxy fails closed).
 *
 * How it is reached: a plain fastify route next to validate, answered only on a listener of its own
 * (WRITE_GUARD_PORT, WRITE_GUARD_HOST; off by default) that serves nothing else and asks no credentials, so the
 * proxy's configuration holds no secret and the original `Authorization` header reaches the guard untouched. The
 * route does not exist on the service's main port (404). Its answer says nothing the proxy's own answer does not.
 */
export function registerWriteGuardRoute(app: NestFastifyApplication, core: CoreConfig, config: WriteGuardConfig): void {
  if (config.port === undefined) return;
  const fastify = app.getHttpAdapter().getInstance();
  const tokens = app.get(TokensService);
  const logger = new Logger('WriteGuard');
  const url = `${core.prefix}${WRITE_GUARD_PATH}`;
  const fromGuardListener = new WeakSet<IncomingMessage>();
  const isShareToken = (raw: string) => tokens.isShareToken(raw);

  fastify.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url,
    handler(request: FastifyRequest, reply: FastifyReply) {
      if (!fromGuardListener.has(request.raw)) {
        reply.callNotFound();
        return reply;
      }
      const rawHeaders = request.raw.rawHeaders;
      const input = writeGuardInput(rawHeaders);
      if (!input.ok) {
        logger.warn(`refused a subrequest without its headers (${input.error}): check the proxy's guard location`);
        sendError(reply, errorBody(400, input.error));
        return reply;
      }
      const decision = decideWriteGuard({ method: input.method, uri: input.uri, rawHeaders }, isShareToken);
      if (!decision.allowed) {
        sendError(reply, errorBody(403, REFUSED));
        return reply;
      }
      return reply.type('application/json; charset=utf-8').send(ALLOWED);
    },
  });

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req: IncomingMessage, res: ServerResponse) => {
    const q = req.url?.indexOf('?') ?? -1;
    const path = q < 0 ? req.url : req.url?.slice(0, q);
    if (path !== url) {
      // Only the guard is served here.
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(errorBody(404, `only ${url} is served on this listener`)));
      return;
    }
    fromGuardListener.add(req);
    fastify.routing(req, res);
  });
  listeners.set(app, server);

  // Listens when the service does (before its main port), so that a port in use is a start-up error.
  fastify.addHook('onReady', async () => {
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error) =>
        reject(
          new Error(
            `the write guard cannot listen on ${config.host}:${config.port} (WRITE_GUARD_HOST, WRITE_GUARD_PORT): ${err.message}`,
          ),
        );
      server.once('error', failed);
      server.listen(config.port, config.host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    logger.log(`write guard listening on http://${address.address}:${address.port}${url}`);
  });
  // Stopping: no new subrequest is taken, the ones in flight finish with the service's.
  fastify.addHook('preClose', (done) => {
    if (server.listening) server.close();
    server.closeIdleConnections();
    done();
  });
  fastify.addHook('onClose', (_instance, done) => {
    server.closeAllConnections();
    done();
  });
}

/** Where the write guard listens (port 0 in WRITE_GUARD_PORT picks a free one), or null when it is off. */
export function writeGuardAddress(app: NestFastifyApplication): AddressInfo | null {
  const server = listeners.get(app);
  const address = server?.listening ? server.address() : null;
  return address && typeof address === 'object' ? address : null;
}
