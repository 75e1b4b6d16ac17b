// /metrics in Prometheus format and the one-line-per-request log, through a real gateway.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { deadUrl, startUpstream, type TestUpstream } from '../helpers/upstream.js';

let up: TestUpstream;
let gw: TestGateway;
const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString().split('\n'))
      if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});

beforeAll(async () => {
  up = await startUpstream('up');
  const dead = await deadUrl();
  gw = await startGateway(
    [
      {
        id: 'm',
        status: 'running',
        route: { path: '/m' },
        metrics: [{ name: 'click', type: 'binomial' }],
        arms: [
          { name: 'control', weight: 0.0001, upstream: up.url },
          { name: 'treatment', weight: 0.9999, upstream: dead, fallback: 'control' },
        ],
      },
    ],
    { logSampleRate: 0 },
    { logger: pino({ level: 'info' }, sink), processMetrics: true },
  );
});
afterAll(async () => {
  await gw.close();
  await up.close();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await request(`${gw.url}${path}`, { headers });
  return { status: res.statusCode, text: await res.body.text(), headers: res.headers };
}

describe('/metrics', () => {
  it('counts requests, fallbacks, exposures, upstream latency and outcomes without user ids', async () => {
    for (let i = 0; i < 3; i++) await get('/m', { 'x-user-id': `secret-user-${i}` });
    await get('/m'); // missing unit → 400
    await request(`${gw.url}/api/v1/outcomes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { user_id: 'secret-user-0', metric: 'click' },
        { user_id: 'nobody', metric: 'click' },
        { user_id: 'x', metric: 'nope' },
      ]),
    }).then((r) => r.body.dump());
    const m = await get('/metrics');
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toContain('text/plain');
    expect(m.text).toContain('abgate_requests_total{experiment="m",arm="control",status_class="2xx"} 3');
    expect(m.text).toContain('abgate_requests_total{experiment="m",arm="none",status_class="4xx"} 1');
    expect(m.text).toContain('abgate_fallbacks_total{experiment="m",arm="treatment"} 3');
    expect(m.text).toContain('abgate_exposures_total{experiment="m",arm="treatment"} 3');
    expect(m.text).toMatch(/abgate_upstream_duration_seconds_count\{experiment="m",arm="control"\} 3/);
    expect(m.text).toContain('abgate_outcomes_total{result="accepted"} 1');
    expect(m.text).toContain('abgate_outcomes_total{result="held"} 1'); // "nobody" was never exposed: held for the grace period
    expect(m.text).toContain('abgate_outcomes_total{result="rejected"} 1');
    expect(m.text).toMatch(/abgate_event_queue_depth 0/);
    expect(m.text).toMatch(/abgate_store_connected 1/);
    expect(m.text).toMatch(/abgate_process_resident_memory_bytes \d+/);
    expect(m.text).not.toContain('secret-user');
  });
});

describe('request log', () => {
  it('writes one wide line per failed request even when successes are not sampled', async () => {
    lines.length = 0;
    await get('/m', { 'x-user-id': 'ok-user', 'x-request-id': 'ok-1' });
    await get('/m', { 'x-request-id': 'bad-1' });
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.find((l) => l.request_id === 'ok-1')).toBeUndefined(); // sample rate 0
    const bad = lines.filter((l) => l.request_id === 'bad-1');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ experiment: 'm', status: 400, error_code: 'missing_unit', method: 'GET' });
    expect(typeof bad[0]!.total_ms).toBe('number');
  });

  it('logs a client that gives up as 499, not as a failure of the arm', async () => {
    lines.length = 0;
    const aborted = request(`${gw.url}/m/slow/1000`, {
      headers: { 'x-user-id': 'impatient', 'x-request-id': 'gone-1' },
      signal: AbortSignal.timeout(150),
    });
    await expect(aborted).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 1200));
    const line = lines.find((l) => l.request_id === 'gone-1');
    expect(line).toMatchObject({ status: 499, error_code: 'client_closed' });
    const m = await get('/metrics');
    expect(m.text).not.toMatch(/abgate_requests_total\{experiment="m",arm="[a-z]+",status_class="5xx"\}/);
  });
});
