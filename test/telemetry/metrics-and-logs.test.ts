// /metrics in Prometheus format and the one-line-per-request log, through a real gateway:
// failed upstream attempts are charged to the arm that was tried, API endpoints are measured,
// the metric types pass `promtool check metrics`, and an expected 503 is logged once.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { deadUrl, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { twoArmExperiment } from '../helpers/experiments.js';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const hasPromtool = spawnSync(PROMTOOL, ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasPromtool) console.warn(`[skip] ${PROMTOOL} not found: the promtool checks of /metrics are skipped`);

let control: TestUpstream;
let treatment: TestUpstream;
let hang: Server;
let gw: TestGateway;
const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString().split('\n'))
      if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});

/** Everyone lands in treatment (9999 of 10000 buckets), which falls back to control. */
function failingTreatment(id: string, treatmentUrl: string, timeoutMs = 10_000) {
  return {
    id,
    status: 'running',
    route: { path: `/${id}` },
    metrics: [{ name: 'click', type: 'binomial' }],
    arms: [
      { name: 'control', weight: 0.0001, upstream: control.url },
      {
        name: 'treatment',
        weight: 0.9999,
        upstream: treatmentUrl,
        timeout_ms: timeoutMs,
        fallback: 'control',
      },
    ],
  };
}

beforeAll(async () => {
  control = await startUpstream('control');
  treatment = await startUpstream('treatment');
  // An upstream that accepts requests and never answers.
  hang = createServer(() => undefined);
  await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
  const hangUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
  gw = await startGateway(
    [
      failingTreatment('slow', hangUrl, 150),
      failingTreatment('dead', await deadUrl()),
      failingTreatment('err', treatment.url),
      twoArmExperiment('ok', [control.url, treatment.url], {
        metrics: [{ name: 'click', type: 'binomial' }],
      }),
    ],
    { logSampleRate: 0 },
    { logger: pino({ level: 'info' }, sink), processMetrics: true },
  );
});
afterAll(async () => {
  await gw.close();
  hang.closeAllConnections();
  hang.close();
  await control.close();
  await treatment.close();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await request(`${gw.url}${path}`, { headers });
  return { status: res.statusCode, text: await res.body.text(), headers: res.headers };
}

/** The value of one sample line, e.g. sample(text, 'abgate_x{a="b"}'); undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics: fallbacks', () => {
  it('charges each failed attempt to the arm that was tried and counts the user in the assigned arm', async () => {
    const n = 3;
    for (let i = 0; i < n; i++) {
      for (const path of ['/slow', '/dead', '/err/fail/treatment']) {
        const r = await get(path, { 'x-user-id': `secret-user-${i}` });
        expect(r.status, path).toBe(201);
        expect(r.headers['x-abgate-fallback']).toBe('1');
      }
    }
    const { text } = await get('/metrics');
    for (const [exp, failure] of [
      ['slow', 'timeout'],
      ['dead', 'unavailable'],
      ['err', '5xx'],
    ] as const) {
      const at = (m: string, labels: string) => sample(text, `${m}{experiment="${exp}",${labels}}`);
      // The users were served (2xx) and stay counted in treatment, the arm they were assigned.
      expect(at('abgate_requests_total', 'arm="treatment",status_class="2xx"'), exp).toBe(n);
      expect(at('abgate_requests_total', 'arm="control",status_class="2xx"'), exp).toBeUndefined();
      expect(at('abgate_fallbacks_total', 'arm="treatment"'), exp).toBe(n);
      expect(at('abgate_upstream_attempts_total', `arm="treatment",result="${failure}"`), exp).toBe(n);
      expect(at('abgate_upstream_attempts_total', 'arm="control",result="2xx"'), exp).toBe(n);
      expect(at('abgate_upstream_duration_seconds_count', 'arm="treatment"'), exp).toBe(n);
      expect(at('abgate_upstream_duration_seconds_count', 'arm="control"'), exp).toBe(n);
    }
    // The 150 ms timeouts are treatment's latency, not control's.
    const slowSum = sample(text, 'abgate_upstream_duration_seconds_sum{experiment="slow",arm="treatment"}')!;
    const controlSum = sample(text, 'abgate_upstream_duration_seconds_sum{experiment="slow",arm="control"}')!;
    expect(slowSum).toBeGreaterThanOrEqual(0.15 * n);
    expect(controlSum).toBeLessThan(slowSum);
    expect(
      sample(text, 'abgate_upstream_duration_seconds_bucket{le="0.1",experiment="slow",arm="treatment"}'),
    ).toBe(0);
    expect(text).not.toContain('secret-user');
  });

  it('always logs a fallback, with its attempts, and samples plain successes away', async () => {
    lines.length = 0;
    await get('/dead', { 'x-user-id': 'u-log', 'x-request-id': 'fb-1' });
    await get('/err', { 'x-user-id': 'u-log', 'x-request-id': 'ok-1' }); // treatment answers: no fallback
    await get('/dead', { 'x-request-id': 'bad-1' }); // missing unit: logged (4xx), no attempts
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.find((l) => l.request_id === 'ok-1')).toBeUndefined(); // sample rate 0
    expect(lines.filter((l) => l.request_id === 'fb-1')).toEqual([
      expect.objectContaining({
        level: 40,
        experiment: 'dead',
        arm: 'treatment',
        served_by: 'control',
        status: 201,
        fallback: true,
        attempts: [
          expect.objectContaining({ arm: 'treatment', result: 'unavailable' }),
          expect.objectContaining({ arm: 'control', result: '2xx' }),
        ],
      }),
    ]);
    expect(lines.filter((l) => l.request_id === 'bad-1')).toEqual([
      expect.objectContaining({ experiment: 'dead', status: 400, error_code: 'missing_unit', method: 'GET' }),
    ]);
  });
});

describe('/metrics: everything else', () => {
  it('measures API endpoints by route pattern, method and status class, and outcomes by experiment', async () => {
    await get('/ok', { 'x-user-id': 'alice' });
    await get('/api/v1/experiments/ok');
    await get('/api/v1/experiments/nope');
    await get('/no/such/path');
    await get('/readyz');
    await request(`${gw.url}/api/v1/outcomes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { user_id: 'alice', metric: 'click', experiment: 'ok' },
        { user_id: 'nobody', metric: 'click', experiment: 'ok' },
        { user_id: 'x', metric: 'nope' },
      ]),
    }).then((r) => r.body.dump());
    const { text } = await get('/metrics');
    const api = (route: string, method: string, cls: string) =>
      sample(text, `abgate_http_requests_total{route="${route}",method="${method}",status_class="${cls}"}`);
    expect(api('/api/v1/experiments/:id', 'GET', '2xx')).toBe(1);
    expect(api('/api/v1/experiments/:id', 'GET', '4xx')).toBe(1);
    expect(api('unmatched', 'GET', '4xx')).toBe(1);
    expect(api('/readyz', 'GET', '2xx')).toBeGreaterThanOrEqual(1);
    expect(api('/api/v1/outcomes', 'POST', '2xx')).toBe(1);
    expect(
      sample(
        text,
        'abgate_http_request_duration_seconds_count{route="/api/v1/outcomes",method="POST",status_class="2xx"}',
      ),
    ).toBe(1);
    expect(sample(text, 'abgate_outcomes_total{experiment="ok",result="accepted"}')).toBe(1);
    expect(sample(text, 'abgate_outcomes_total{experiment="ok",result="held"}')).toBe(1);
    expect(sample(text, 'abgate_outcomes_total{experiment="none",result="rejected"}')).toBe(1);
    const exposed = ['control', 'treatment'].map(
      (arm) => sample(text, `abgate_exposures_total{experiment="ok",arm="${arm}"}`) ?? 0,
    );
    expect(exposed[0]! + exposed[1]!).toBe(1);
  });

  it('exports the split of each experiment for the SRM alert', async () => {
    const { text } = await get('/metrics');
    expect(sample(text, 'abgate_experiment_expected_share{experiment="ok",arm="control"}')).toBe(0.5);
    expect(sample(text, 'abgate_experiment_expected_share{experiment="slow",arm="treatment"}')).toBeCloseTo(
      0.9999,
      10,
    );
    // Every user of "slow" is in treatment, as its weights say: no mismatch.
    const users = sample(text, 'abgate_experiment_users{experiment="slow",arm="treatment"}')!;
    expect(users).toBeGreaterThan(0);
    expect(sample(text, 'abgate_experiment_srm_p_value{experiment="slow"}')).toBeGreaterThan(0.001);
  });

  it('has counters for running totals, unprefixed process metrics and a build info', async () => {
    const { text, headers } = await get('/metrics');
    expect(headers['content-type']).toContain('text/plain');
    for (const name of [
      'abgate_events_replayed_total',
      'abgate_events_failed_total',
      'abgate_store_errors_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} counter`);
      expect(sample(text, name)).toBe(0);
    }
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).not.toMatch(/^abgate_process_/m);
    expect(text).toMatch(
      /^abgate_build_info\{version="\d+\.\d+\.\d+[^"]*",node_version="v\d+[^"]*",commit="[0-9a-f]{40}|unknown"\} 1$/m,
    );
    expect(sample(text, 'abgate_store_connected')).toBe(1);
  });

  it.skipIf(!hasPromtool)('passes promtool check metrics (the abgate_ metrics)', async () => {
    const { text } = await get('/metrics');
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    // prom-client's own nodejs_* gauges end in _total; stock dashboards use those names as they are.
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.startsWith('abgate_'));
    expect(problems).toEqual([]);
  });
});

describe('request log', () => {
  it('logs an expected 503 once, with its error code, as a warning (not a failure)', async () => {
    /** A store whose aggregates cannot be read (Redis down during a report). */
    class UnreadableStore extends MemoryEventStore {
      override readAggregates(): never {
        throw new Error('store down');
      }
    }
    const failing = new UnreadableStore();
    const own: Record<string, unknown>[] = [];
    const out = new Writable({
      write(chunk: Buffer, _e, done) {
        for (const l of chunk.toString().split('\n'))
          if (l.trim()) own.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const g = await startGateway(
      [twoArmExperiment('r')],
      {},
      { store: failing, logger: pino({ level: 'info' }, out) },
    );
    try {
      const res = await request(`${g.url}/api/v1/experiments/r/report`, {
        headers: { 'x-request-id': 'r-503' },
      });
      expect(res.statusCode).toBe(503);
      await res.body.dump();
      await new Promise((r) => setTimeout(r, 50));
      const about = own.filter((l) => JSON.stringify(l).includes('r-503'));
      expect(about).toEqual([
        expect.objectContaining({
          level: 40,
          request_id: 'r-503',
          status: 503,
          error_code: 'store_unavailable',
          route: '/api/v1/experiments/:id/report',
        }),
      ]);
    } finally {
      await g.close();
    }
  });

  it('logs a client that gives up as 499, not as a failure of the arm', async () => {
    lines.length = 0;
    const aborted = request(`${gw.url}/ok/slow/1000`, {
      headers: { 'x-user-id': 'impatient', 'x-request-id': 'gone-1' },
      signal: AbortSignal.timeout(150),
    });
    await expect(aborted).rejects.toThrow();
    const deadline = Date.now() + 5000;
    while (!lines.some((l) => l.request_id === 'gone-1') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const line = lines.find((l) => l.request_id === 'gone-1');
    expect(line).toMatchObject({ status: 499, error_code: 'client_closed' });
    const m = await get('/metrics');
    expect(m.text).not.toMatch(/abgate_requests_total\{experiment="ok",arm="[a-z]+",status_class="5xx"\}/);
    expect(m.text).toMatch(
      /abgate_upstream_attempts_total\{experiment="ok",arm="[a-z]+",result="cancelled"\} 1/,
    );
  });
});
