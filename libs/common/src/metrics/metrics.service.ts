import { Global, Injectable, Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { BoundCounter, BoundHistogram } from './bound-metrics';

/** The outbound peers whose calls are counted. */
export type Peer = 'keycloak' | 'meddream';

/** Seconds: from sub-millisecond (validate, get-profile from memory) to the peers' timeouts. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The service's Prometheus metrics, on a registry of its own (one per application, so that several apps in one
 * process, as in the e2e tests, do not collide). Labels carry route patterns, statuses and fixed reasons only, never
 * a raw URL, a token or a user name, so that their number stays bounded.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new BoundCounter(
    'orthanc_auth_http_requests_total',
    'HTTP requests answered, by method, route pattern and status code',
    ['method', 'route', 'status'],
    this.registry,
  );

  readonly httpDuration = new BoundHistogram(
    'orthanc_auth_http_request_duration_seconds',
    'Time to answer an HTTP request, by method and route pattern',
    ['method', 'route'],
    LATENCY_BUCKETS,
    this.registry,
  );

  readonly validations = new BoundCounter(
    'orthanc_auth_token_validations_total',
    'Share-token validations (POST /tokens/validate), by decision and the reason of a denial',
    ['decision', 'reason'],
    this.registry,
  );

  readonly peerRequests = new BoundCounter(
    'orthanc_auth_peer_requests_total',
    'Calls to Keycloak and MedDream, by peer, operation and outcome (ok or error)',
    ['peer', 'operation', 'outcome'],
    this.registry,
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'orthanc_auth_' });
  }

  /** Counts one call to a peer (not on a hot path: the label set is looked up per call). */
  peerCall(peer: Peer, operation: string, ok: boolean): void {
    this.peerRequests.bind(peer, operation, ok ? 'ok' : 'error').inc();
  }

  /** Runs `call` and counts its outcome (a rejection is an error). */
  async countPeerCall<T>(peer: Peer, operation: string, call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.peerCall(peer, operation, true);
      return result;
    } catch (err) {
      this.peerCall(peer, operation, false);
      throw err;
    }
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

/** Global: the peer clients of the libraries take MetricsService as an optional dependency. */
@Global()
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
