import { Registry } from 'prom-client';
import { BoundCounter, BoundHistogram } from './bound-metrics';

describe('bound metrics', () => {
  it('expose counters and cumulative histograms in the Prometheus text format', async () => {
    const registry = new Registry();
    const requests = new BoundCounter('t_requests_total', 'requests', ['route', 'status'], registry);
    const duration = new BoundHistogram('t_duration_seconds', 'latency', ['route'], [0.01, 0.1], registry);
    const ok = requests.bind('/a', '200');
    ok.inc();
    ok.inc();
    requests.bind('/a', '404').inc();
    expect(requests.bind('/a', '200')).toBe(ok);
    const d = duration.bind('/a');
    for (const v of [0.005, 0.05, 0.5]) d.observe(v);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE t_requests_total counter');
    expect(text).toContain('t_requests_total{route="/a",status="200"} 2');
    expect(text).toContain('t_requests_total{route="/a",status="404"} 1');
    expect(text).toContain('# TYPE t_duration_seconds histogram');
    expect(text).toContain('t_duration_seconds_bucket{le="0.01",route="/a"} 1');
    expect(text).toContain('t_duration_seconds_bucket{le="0.1",route="/a"} 2');
    expect(text).toContain('t_duration_seconds_bucket{le="+Inf",route="/a"} 3');
    expect(text).toContain('t_duration_seconds_sum{route="/a"} 0.555');
    expect(text).toContain('t_duration_seconds_count{route="/a"} 3');
    expect(() => requests.bind('/a')).toThrow(/2 label values/);
  });
});
