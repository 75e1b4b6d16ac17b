// The live-control HTTP API in-process: PATCH with If-Match and its errors, history, admin tokens,
// reports per phase, /readyz and /metrics.
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { testApp, apiExperiment } from '../helpers/app.js';
import { startGateway } from '../helpers/gateway.js';

const ADMIN = 'admin-token-0123456789abcdef';
const BOT = 'bot-token-0123456789abcdef00';
const READ = 'read-token-0123456789';
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function app(settings: Record<string, unknown> = {}, docs: unknown[] = [apiExperiment()]) {
  const t = await testApp(docs, { adminToken: `${ADMIN},canary-bot:${BOT}`, ...settings });
  const patch = (id: string, body: unknown, headers: Record<string, string> = auth(ADMIN)) =>
    t.app.request(`/api/v1/experiments/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const get = (path: string, headers: Record<string, string> = auth(ADMIN)) =>
    t.app.request(path, { headers });
  return { ...t, patch, get };
}

describe('PATCH /api/v1/experiments/:id', () => {
  it('ramps traffic, answers the new state with its ETag, and records who and why', async () => {
    const { patch, get, services } = await app();
    const before = await get('/api/v1/experiments/exp');
    expect(before.headers.get('etag')).toBe('"1"');
    expect(await before.json()).toMatchObject({
      id: 'exp',
      traffic: 100,
      live: { version: 1, synced: true },
    });

    const res = await patch(
      'exp',
      { traffic: 50, reason: 'ramp to half' },
      { ...auth(ADMIN), 'if-match': '"1"' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"2"');
    expect(await res.json()).toMatchObject({
      id: 'exp',
      status: 'running',
      traffic: 50,
      changed: true,
      live: { version: 2, traffic: 50, phase: 1, conflicts: [{ field: 'traffic', live: 50, file: 100 }] },
    });
    expect(services.catalog.routes.match('/exp')!.experiment.definition.traffic).toBe(50);

    const history = (await (await get('/api/v1/experiments/exp/history')).json()) as {
      history: Record<string, unknown>[];
    };
    expect(history.history.map((h) => [h.version, h.actor, h.source, h.reason])).toEqual([
      [1, 'file', 'file', 'loaded from test-0.yaml'],
      [2, 'admin', 'api', 'ramp to half'],
    ]);
    expect(history.history[1]).toMatchObject({
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      changes: ['traffic'],
      before: { traffic: 100 },
      after: { traffic: 50 },
    });
  });

  it('names the actor by the token label, never by the token', async () => {
    const { patch, get } = await app();
    expect((await patch('exp', { status: 'paused' }, auth(BOT))).status).toBe(200);
    const text = await (await get('/api/v1/experiments/exp/history')).text();
    expect(JSON.parse(text).history[1].actor).toBe('canary-bot');
    expect(text).not.toContain(BOT);
    expect(text).not.toContain(ADMIN);
  });

  it('answers 412 to a stale If-Match and changes nothing', async () => {
    const { patch, get } = await app();
    await patch('exp', { traffic: 40 });
    const res = await patch('exp', { traffic: 60 }, { ...auth(ADMIN), 'if-match': '"1"' });
    expect(res.status).toBe(412);
    expect(await res.json()).toMatchObject({ error: { code: 'version_mismatch', current_version: 2 } });
    expect(await (await get('/api/v1/experiments/exp')).json()).toMatchObject({ traffic: 40 });
    for (const ifMatch of ['2', 'W/"2"', '*']) {
      const ok = await patch('exp', { traffic: 40 }, { ...auth(ADMIN), 'if-match': ifMatch });
      expect(ok.status).toBe(200);
    }
  });

  it('lets exactly one of concurrent PATCHes with the same If-Match win', async () => {
    const { patch } = await app();
    const results = await Promise.all(
      [10, 20, 30, 40].map((traffic) => patch('exp', { traffic }, { ...auth(ADMIN), 'if-match': '"1"' })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 412, 412, 412]);
  });

  it.each([
    [{ traffic: 150 }, 400, 'validation_failed', 'traffic: must be a number from 0 to 100'],
    [{ traffic: '50' }, 400, 'validation_failed', 'traffic'],
    [{ weights: { nope: 2 } }, 400, 'unknown_arm', 'no arm "nope"'],
    [{ weights: { treatment: 0 } }, 400, 'validation_failed', 'positive'],
    [{ status: 'concluded' }, 400, 'validation_failed', 'winner: required'],
    [{ status: 'concluded', winner: 'nobody' }, 400, 'unknown_arm', 'winner: no arm'],
    [{ winner: 'control' }, 400, 'validation_failed', 'only goes with status concluded'],
    [{ status: 'draft' }, 409, 'invalid_transition', 'cannot change status from running to draft'],
    [{ status: 'finished' }, 400, 'validation_failed', 'status'],
    [{ reason: 'just because' }, 400, 'validation_failed', 'nothing to change'],
    [{ traffic: 5, colour: 'red' }, 400, 'validation_failed', 'colour'],
    ['{"traffic":', 400, 'invalid_json', 'not valid JSON'],
    ['[]', 400, 'validation_failed', ''],
  ] as const)('refuses %j with %i %s', async (body, status, code, message) => {
    const { patch, get } = await app();
    const res = await patch('exp', body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: { code: string; message: string; request_id: string } };
    expect(json.error).toMatchObject({ code, message: expect.stringContaining(message) });
    expect(json.error.request_id).toEqual(expect.any(String));
    expect((await get('/api/v1/experiments/exp')).headers.get('etag')).toBe('"1"');
  });

  it('refuses moves the lifecycle forbids with 409, and an unknown experiment with 404', async () => {
    const { patch } = await app();
    expect((await patch('exp', { status: 'rolled_back' })).status).toBe(200);
    const traffic = await patch('exp', { traffic: 20 });
    expect(traffic.status).toBe(409);
    expect(await traffic.json()).toMatchObject({ error: { code: 'invalid_transition' } });
    expect((await patch('exp', { status: 'paused' })).status).toBe(409);
    const missing = await patch('ghost', { traffic: 5 });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'experiment_not_found' } });
  });

  it('refuses a bad If-Match header with 400', async () => {
    const { patch } = await app();
    const res = await patch('exp', { traffic: 5 }, { ...auth(ADMIN), 'if-match': '"1", "2"' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'bad_request', message: expect.stringContaining('If-Match') },
    });
  });

  it('refuses to start an experiment on a path another one serves (409)', async () => {
    const { patch } = await app({}, [
      apiExperiment(),
      apiExperiment({ id: 'next', status: 'draft', route: { path: '/exp' } }),
    ]);
    const res = await patch('next', { status: 'running' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'route_conflict' } });
  });

  it('answers 405 naming PATCH where it is allowed', async () => {
    const { app: a } = await app();
    const res = await a.request('/api/v1/experiments', { method: 'PATCH', headers: auth(ADMIN) });
    expect(res.status).toBe(405);
    const put = await a.request('/api/v1/experiments/exp', { method: 'PUT', headers: auth(ADMIN) });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, PATCH');
  });
});

describe('admin token (security)', () => {
  it('needs the admin token: none → 401, wrong → 401, the read token → 403', async () => {
    const { patch } = await app({ apiToken: READ });
    const none = await patch('exp', { traffic: 5 }, {});
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await patch('exp', { traffic: 5 }, auth('x'.repeat(28)))).status).toBe(401);
    const reader = await patch('exp', { traffic: 5 }, auth(READ));
    expect(reader.status).toBe(403);
    expect(await reader.json()).toMatchObject({
      error: { code: 'forbidden', message: expect.stringContaining('read') },
    });
  });

  it('lets the admin token and the read token read, and nobody else', async () => {
    const { get } = await app({ apiToken: READ });
    for (const path of [
      '/api/v1/experiments/exp',
      '/api/v1/experiments/exp/history',
      '/api/v1/experiments/exp/report',
    ]) {
      expect((await get(path, auth(ADMIN))).status).toBe(200);
      expect((await get(path, auth(READ))).status).toBe(200);
      expect((await get(path, {})).status).toBe(401);
    }
  });

  it('without ABGATE_ADMIN_TOKEN, refuses changes from anywhere but the gateway machine (403)', async () => {
    const { app: a } = await testApp([apiExperiment()]);
    const res = await a.request('/api/v1/experiments/exp', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ traffic: 5 }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: { code: 'forbidden', message: expect.stringContaining('ABGATE_ADMIN_TOKEN') },
    });
  });

  it('without ABGATE_ADMIN_TOKEN, accepts loopback clients as "local", but not forwarded ones', async () => {
    const gw = await startGateway([apiExperiment()]);
    try {
      const send = (headers: Record<string, string>) =>
        request(`${gw.url}/api/v1/experiments/exp`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ status: 'paused', reason: 'local test' }),
        });
      const forwarded = await send({ 'x-forwarded-for': '203.0.113.9' });
      expect(forwarded.statusCode).toBe(403);
      await forwarded.body.dump();
      const local = await send({});
      expect(local.statusCode).toBe(200);
      await local.body.dump();
      const history = (await (await request(`${gw.url}/api/v1/experiments/exp/history`)).body.json()) as {
        history: { actor: string }[];
      };
      expect(history.history.at(-1)?.actor).toBe('local');
    } finally {
      await gw.close();
    }
  });

  it.each([
    ['short', 'ABGATE_ADMIN_TOKEN: must be at least 16 characters'],
    ['ops:short', 'at least 16 characters'],
    ['bad label!:0123456789abcdef', 'label must be'],
    ['pa$$word-0123456789', 'must be a bearer token'],
    [',', 'names no token'],
  ])('refuses ABGATE_ADMIN_TOKEN=%j at start-up', async (value, message) => {
    const { loadSettings } = await import('../../src/config/settings.js');
    expect(() => loadSettings({ ABGATE_ADMIN_TOKEN: value })).toThrow(message);
  });
});

describe('reports, probes and metrics under live control', () => {
  it('keeps exposures and outcomes per phase; the report shows the current phase or ?phase=N', async () => {
    const { patch, get, post } = await app({}, [apiExperiment({ traffic: 100 })]);
    const assign = async (user: string) =>
      (await (await post('/api/v1/assign', { experiment: 'exp', user_id: user })).json()) as { arm: string };
    for (let i = 0; i < 40; i++) await assign(`p1-${i}`);
    expect((await patch('exp', { weights: { treatment: 3 }, reason: 'more treatment' })).status).toBe(200);
    for (let i = 0; i < 10; i++) await assign(`p2-${i}`);
    // A phase-1 user seen again is a new exposure in phase 2 (the repeat-exposure cache is per phase).
    await assign('p1-1');
    const outcome = await post('/api/v1/outcomes', { user_id: 'p2-0', metric: 'click' });
    expect(await outcome.json()).toMatchObject({ accepted: 1 });
    // A phase-1 user's outcome does not count in phase 2: held for a phase-2 exposure that may follow.
    expect(await (await post('/api/v1/outcomes', { user_id: 'p1-0', metric: 'click' })).json()).toMatchObject(
      { accepted: 0, held: 1 },
    );

    const current = (await (await get('/api/v1/experiments/exp/report')).json()) as {
      arms: { name: string; weight: number; exposures: number }[];
      state: Record<string, unknown>;
    };
    expect(current.arms.reduce((n, a) => n + a.exposures, 0)).toBe(11);
    expect(current.arms.map((a) => [a.name, a.weight])).toEqual([
      ['control', 1],
      ['treatment', 3],
    ]);
    expect(current.state).toMatchObject({
      status: 'running',
      phase: 2,
      current_phase: 2,
      version: 2,
      since: expect.any(String),
      phase_started_at: expect.any(String),
      phase_ended_at: null,
    });

    const first = (await (await get('/api/v1/experiments/exp/report?phase=1')).json()) as {
      arms: { weight: number; exposures: number }[];
      state: Record<string, unknown>;
    };
    expect(first.arms.reduce((n, a) => n + a.exposures, 0)).toBe(40);
    expect(first.arms.map((a) => a.weight)).toEqual([1, 1]);
    expect(first.state).toMatchObject({ phase: 1, current_phase: 2, phase_ended_at: expect.any(String) });

    const html = await (await get('/reports/exp?phase=1')).text();
    expect(html).toContain('phase 1 of 2 (an earlier allocation)');
    expect(await (await get('/reports/exp')).text()).toMatch(/State: running since [^<]*phase 2 of 2, since/);

    for (const bad of ['0', 'x', '3', '1.5']) {
      const res = await get(`/api/v1/experiments/exp/report?phase=${bad}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'bad_request' } });
    }
  });

  it('answers assignments of a concluded experiment with the winner and records no exposure', async () => {
    const { patch, post, get } = await app();
    await post('/api/v1/assign', { experiment: 'exp', user_id: 'before' });
    expect((await patch('exp', { status: 'concluded', winner: 'treatment' })).status).toBe(200);
    for (let i = 0; i < 20; i++) {
      const res = await post('/api/v1/assign', { experiment: 'exp', user_id: `u${i}` });
      expect(await res.json()).toEqual({ experiment: 'exp', arm: 'treatment', in_experiment: false });
    }
    const report = (await (await get('/api/v1/experiments/exp/report')).json()) as {
      arms: { exposures: number }[];
      state: Record<string, unknown>;
    };
    expect(report.arms.reduce((n, a) => n + a.exposures, 0)).toBe(1);
    expect(report.state).toMatchObject({ status: 'concluded', winner: 'treatment' });
    expect(
      await (await post('/api/v1/outcomes', { user_id: 'before', metric: 'click' })).json(),
    ).toMatchObject({
      rejected: [{ code: 'unknown_metric' }],
    });
  });

  it('shows live state, conflicts and file errors in /readyz and /metrics', async () => {
    const { patch, get } = await app();
    await patch('exp', { traffic: 30 });
    const ready = (await (await get('/readyz')).json()) as { live: Record<string, unknown> };
    expect(ready.live).toMatchObject({
      backend: 'memory',
      connected: true,
      file_errors: [],
      experiments: {
        exp: {
          version: 2,
          status: 'running',
          traffic: 30,
          phase: 1,
          synced: true,
          conflicts: [{ field: 'traffic', live: 30, file: 100 }],
        },
      },
    });
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/^abgate_experiment_file_errors 0$/m);
    expect(metrics).toMatch(/^abgate_experiment_conflicts 1$/m);
    expect(metrics).toMatch(/^abgate_experiment_version\{experiment="exp"\} 2$/m);
    expect(metrics).toMatch(/^abgate_experiment_traffic_percent\{experiment="exp"\} 30$/m);
    expect(metrics).toMatch(/^abgate_live_state_connected 1$/m);
  });
});
