// KServe v2 / Open Inference Protocol behind an experiment: only inference calls are predictions;
// health and metadata calls go to control without a user id and without an exposure.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { twoArmExperiment } from '../helpers/experiments.js';

let v1: TestUpstream;
let v2: TestUpstream;
let gw: TestGateway;
let plain: TestGateway;
const store = new MemoryEventStore();

beforeAll(async () => {
  v1 = await startUpstream('v1');
  v2 = await startUpstream('v2');
  gw = await startGateway(
    [
      {
        id: 'ranker',
        status: 'running',
        route: {
          path: '/v2/models/ranker',
          predict: { methods: ['post'], paths: ['/infer', '/versions/*/infer'] },
        },
        // Everyone lands in treatment, so an answer from v1 can only be a pass-through to control.
        arms: [
          { name: 'control', weight: 0.0001, upstream: `${v1.url}/v2/models/ranker` },
          { name: 'treatment', weight: 0.9999, upstream: `${v2.url}/v2/models/ranker` },
        ],
      },
    ],
    {},
    { store },
  );
  plain = await startGateway([twoArmExperiment('models', [v1.url, v2.url])]);
});
afterAll(async () => {
  await gw.close();
  await plain.close();
  await v1.close();
  await v2.close();
});

async function call(base: string, method: string, path: string, headers: Record<string, string> = {}) {
  const res = await request(`${base}${path}`, {
    method,
    headers,
    ...(method === 'POST' ? { body: '{"inputs":[]}' } : {}),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

async function exposures(): Promise<number> {
  const agg = await store.readAggregates({
    experiment: 'ranker',
    arms: ['control', 'treatment'],
    metrics: [],
  });
  return agg.arms.reduce((n, a) => n + a.exposures, 0);
}

describe('route.predict', () => {
  it('passes model readiness and metadata to control without a user id and without an exposure', async () => {
    for (const path of ['/v2/models/ranker/ready', '/v2/models/ranker']) {
      const r = await call(gw.url, 'GET', path);
      expect(r.status, path).toBe(201);
      expect(r.body.upstream).toBe('v1');
      expect(r.body.url).toBe(path);
      expect(r.headers['x-abgate-arm']).toBe('control');
    }
    // A GET to the inference path is not a prediction either (methods: [POST]).
    expect((await call(gw.url, 'GET', '/v2/models/ranker/infer')).body.upstream).toBe('v1');
    expect(await exposures()).toBe(0);
  });

  it('treats inference calls as predictions: a user id is needed and the call is an exposure', async () => {
    const missing = await call(gw.url, 'POST', '/v2/models/ranker/infer');
    expect(missing.status).toBe(400);
    expect((missing.body.error as { code: string }).code).toBe('missing_unit');
    for (const path of ['/v2/models/ranker/infer', '/v2/models/ranker/versions/3/infer']) {
      const r = await call(gw.url, 'POST', path, { 'x-user-id': `user-${path.length}` });
      expect(r.status, path).toBe(201);
      expect(r.body.upstream).toBe('v2');
      expect(r.headers['x-abgate-arm']).toBe('treatment');
    }
    expect(await exposures()).toBe(2);
  });

  it('counts pass-through calls apart from the arms in /metrics', async () => {
    const text = await (await request(`${gw.url}/metrics`)).body.text();
    expect(text).toMatch(/^abgate_passthrough_requests_total\{experiment="ranker",status_class="2xx"\} 3$/m);
    expect(text).not.toMatch(/^abgate_requests_total\{experiment="ranker",arm="control"/m);
  });
});

describe('Open Inference Protocol server health', () => {
  it('answers /v2/health/live and /v2/health/ready when an experiment route is under /v2', async () => {
    expect(await call(gw.url, 'GET', '/v2/health/live')).toMatchObject({ status: 200, body: { live: true } });
    expect(await call(gw.url, 'GET', '/v2/health/ready')).toMatchObject({
      status: 200,
      body: { ready: true },
    });
  });

  it('is not there otherwise', async () => {
    const r = await call(plain.url, 'GET', '/v2/health/ready');
    expect(r.status).toBe(404);
    expect((r.body.error as { message: string }).message).toContain('no experiment route is under /v2/');
  });
});
