import { FastifyAdapter } from '@nestjs/platform-fastify';
import { GracefulStop, STOPPING_MESSAGE } from './graceful-stop';

describe('GracefulStop', () => {
  it('counts requests in flight, answers new ones 503 with Connection: close once stopping, and resolves when idle', async () => {
    const fastify = new FastifyAdapter().getInstance(); // the instance the application runs on
    const stop = new GracefulStop(fastify);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    fastify.get('/slow', async () => {
      await held;
      return { done: true };
    });
    fastify.get('/fast', async () => ({ ok: true }));
    await fastify.ready();
    try {
      expect((await fastify.inject({ method: 'GET', url: '/fast' })).statusCode).toBe(200);
      expect(stop.requestsInFlight).toBe(0);

      const slow = fastify.inject({ method: 'GET', url: '/slow' });
      await new Promise((r) => setImmediate(r));
      expect(stop.requestsInFlight).toBe(1);

      let idle = false;
      const stopped = stop.begin().then(() => (idle = true));
      expect(stop.isStopping).toBe(true);
      const late = await fastify.inject({ method: 'GET', url: '/fast' });
      expect(late.statusCode).toBe(503);
      expect(late.headers.connection).toBe('close');
      expect(late.json()).toEqual({ statusCode: 503, error: 'Service Unavailable', message: [STOPPING_MESSAGE] });
      expect(idle).toBe(false);

      release();
      expect((await slow).json()).toEqual({ done: true });
      await stopped;
      expect(stop.requestsInFlight).toBe(0);
    } finally {
      await fastify.close();
    }
  });

  it('begin() resolves at once when nothing is in flight', async () => {
    const fastify = new FastifyAdapter().getInstance(); // the instance the application runs on
    const stop = new GracefulStop(fastify);
    await fastify.ready();
    await expect(stop.begin()).resolves.toBeUndefined();
    await fastify.close();
  });
});
