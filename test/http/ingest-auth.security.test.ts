// ABGATE_INGEST_TOKEN through the real gateway: outcomes and assignments cannot be forged without it,
// and it is a separate door from ABGATE_API_TOKEN (reads).
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { NO_UPSTREAMS, twoArmExperiment } from '../helpers/experiments.js';

const READ = 'read-token-0123456789abcdef';
const INGEST = 'ingest-token-0123456789abcdef';
const EXPERIMENT = twoArmExperiment('exp', NO_UPSTREAMS, {
  metrics: [
    { name: 'click', type: 'binomial' },
    { name: 'revenue', type: 'continuous' },
  ],
});

const store = new MemoryEventStore();
let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway([EXPERIMENT], { apiToken: READ, ingestToken: INGEST }, { store });
});
afterAll(() => gw.close());

async function post(base: string, path: string, body: unknown, token?: string) {
  const res = await request(`${base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    json: JSON.parse(text) as Record<string, unknown>,
  };
}

const totals = async () => {
  const agg = await store.readAggregates({
    experiment: 'exp',
    arms: ['control', 'treatment'],
    metrics: [{ name: 'click', type: 'binomial' }],
  });
  return {
    exposures: agg.arms.reduce((n, a) => n + a.exposures, 0),
    clicks: agg.arms.reduce((n, a) => n + (a.metrics.click?.sum ?? 0), 0),
    unattributed: (agg.unattributed.click ?? 0) + agg.heldUsers,
  };
};

describe('with ABGATE_INGEST_TOKEN set', () => {
  it('refuses outcomes and assignments without it: 401 JSON with WWW-Authenticate, nothing recorded', async () => {
    const before = await totals();
    for (const [path, body] of [
      ['/api/v1/outcomes', [{ user_id: 'forger', metric: 'click' }]],
      ['/api/v1/assign', { experiment: 'exp', user_id: 'forger' }],
    ] as const) {
      const none = await post(gw.url, path, body);
      expect(none.status, path).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="abgate"');
      expect(none.json).toMatchObject({
        error: {
          code: 'unauthorized',
          message: 'this endpoint needs "Authorization: Bearer <ABGATE_INGEST_TOKEN>"',
        },
      });
      for (const wrong of [READ, `${INGEST}x`, INGEST.slice(0, -1)]) {
        const r = await post(gw.url, path, body, wrong);
        expect(r.status, `${path} with ${wrong}`).toBe(401);
        expect(r.headers['www-authenticate']).toBe('Bearer realm="abgate", error="invalid_token"');
      }
    }
    expect(await totals()).toEqual(before);
  });

  it('accepts them with the ingest token', async () => {
    const assign = await post(gw.url, '/api/v1/assign', { experiment: 'exp', user_id: 'real-1' }, INGEST);
    expect(assign.status).toBe(200);
    const outcome = await post(gw.url, '/api/v1/outcomes', [{ user_id: 'real-1', metric: 'click' }], INGEST);
    expect(outcome.status).toBe(202);
    expect(outcome.json).toMatchObject({ accepted: 1, rejected: [] });
  });

  it('keeps the two doors apart: the ingest token does not read, the read token does not write', async () => {
    const read = (token: string) =>
      request(`${gw.url}/api/v1/experiments/exp/report`, { headers: { authorization: `Bearer ${token}` } });
    const withIngest = await read(INGEST);
    await withIngest.body.dump();
    expect(withIngest.statusCode).toBe(401);
    const withRead = await read(READ);
    await withRead.body.dump();
    expect(withRead.statusCode).toBe(200);
    expect((await post(gw.url, '/api/v1/outcomes', { user_id: 'x', metric: 'click' }, READ)).status).toBe(
      401,
    );
  });

  it('cannot be dodged with another spelling of the path', async () => {
    const before = await totals();
    for (const path of [
      '/api/v1/%6futcomes',
      '/api/v1/outcomes/',
      '//api/v1/outcomes',
      '/api/v1//outcomes',
      '/API/v1/outcomes',
      '/api/v1/outcomes;x',
      '/api/v1/outcomes?x=1',
      '/api/v1/%61ssign',
    ]) {
      const r = await post(gw.url, path, [{ user_id: 'forger', metric: 'click' }]);
      expect([401, 404], `${path}: ${r.text}`).toContain(r.status);
    }
    expect(await totals()).toEqual(before);
  });
});

describe('without ABGATE_INGEST_TOKEN', () => {
  it('leaves outcomes and assignments open, and warns when only the read token is set', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const open = await startGateway(
      [EXPERIMENT],
      { apiToken: READ },
      { store: new MemoryEventStore(), logger },
    );
    try {
      expect((await post(open.url, '/api/v1/assign', { experiment: 'exp', user_id: 'u' })).status).toBe(200);
      expect((await post(open.url, '/api/v1/outcomes', { user_id: 'u', metric: 'click' })).status).toBe(202);
      expect(lines.join('')).toContain('ABGATE_API_TOKEN is set but ABGATE_INGEST_TOKEN is not');
    } finally {
      await open.close();
    }
  });
});
