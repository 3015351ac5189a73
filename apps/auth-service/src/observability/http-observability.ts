import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { CounterSeries, HistogramSeries, MetricsService } from '@app/common';

/** The route label of a request no route matched (never the raw URL: it would make the label set unbounded). */
const UNMATCHED_ROUTE = 'unmatched';

interface RouteSeries {
  duration: HistogramSeries;
  byStatus: Map<number, CounterSeries>;
}

/**
 * Request id, metrics and access log for every route, Nest's and the plain fastify validate route alike, with as
 * little work per request as possible (the validate route is the hot path):
 * - onRequest: echoes the request id (X-Request-Id); the access line and the exception filter's lines carry it as
 *   `reqId` (no AsyncLocalStorage: see request-context.ts);
 * - onResponse: counts the request and observes its latency on series bound once per (method, route pattern,
 *   status) and cached here, so that after the first request of a kind counting is two map lookups and increments; writes the access line at info
 *   (ACCESS_LOG=true) or debug level, or not at all when that level is off.
 */
export function instrumentHttp(
  fastify: FastifyInstance,
  metrics: MetricsService,
  logger: Logger,
  accessLog: boolean,
): void {
  const series = new Map<string, Map<string, RouteSeries>>();
  const seriesOf = (method: string, route: string): RouteSeries => {
    let byRoute = series.get(method);
    if (!byRoute) series.set(method, (byRoute = new Map<string, RouteSeries>()));
    let s = byRoute.get(route);
    if (!s) byRoute.set(route, (s = { duration: metrics.httpDuration.bind(method, route), byStatus: new Map() }));
    return s;
  };
  const accessLevel = accessLog ? 'info' : 'debug';
  const logRequests = logger.isLevelEnabled(accessLevel);

  // Stopping (SIGTERM): fastify answers new requests 503 and Node closes the connections idle at that moment, but a
  // keep-alive connection whose request was in flight stays open once answered (the client keeps it for reuse),
  // which would hold the process until the forced exit. Close idle connections until the server has closed.
  fastify.addHook('preClose', (done) => {
    const server = fastify.server;
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    sweep.unref();
    server.once('close', () => clearInterval(sweep));
    done();
  });

  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('x-request-id', request.id);
    done();
  });

  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const s = seriesOf(request.method, route);
    const status = reply.statusCode;
    let counter = s.byStatus.get(status);
    if (!counter) s.byStatus.set(status, (counter = metrics.httpRequests.bind(request.method, route, String(status))));
    counter.inc();
    const ms = reply.elapsedTime;
    s.duration.observe(ms / 1000);
    if (logRequests) {
      // The route pattern and the path without its query string (a query may carry a token); never headers or body.
      const q = request.url.indexOf('?');
      const path = q < 0 ? request.url : request.url.slice(0, q);
      logger[accessLevel](
        {
          reqId: request.id,
          method: request.method,
          route,
          path: route === UNMATCHED_ROUTE ? unmatchedPath(path) : path,
          status,
          ms: Math.round(ms * 10) / 10,
        },
        'request',
      );
    }
    done();
  });
}

/**
 * The path of a request no route matched is whatever the client typed, a token or an api-key pasted into the URL
 * included (the scrubber only recognises JWTs and configured secrets): only its first segment is logged.
 */
function unmatchedPath(path: string): string {
  const second = path.indexOf('/', 1);
  return second < 0 || second === path.length - 1 ? path : `${path.slice(0, second)}/...`;
}
