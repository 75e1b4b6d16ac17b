// GET /api/v1/openapi.json describes every /api/v1 route of the app, with the schemas the
// endpoints validate with; and CORS on the outcome endpoint when ABGATE_CORS_ORIGINS allows it.
import { describe, expect, it } from 'vitest';
import { apiExperiment, testApp } from '../helpers/app.js';

interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
}

describe('GET /api/v1/openapi.json', () => {
  it('describes every /api/v1 route and method of the app', async () => {
    const { app } = await testApp([apiExperiment()]);
    const res = await app.request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as OpenApi;
    expect(doc.openapi).toBe('3.1.0');
    const routes = app.routes
      // Middleware (app.use, or a guard on a wildcard such as PATCH /api/v1/experiments/*) is no endpoint.
      .filter((r) => r.path.startsWith('/api/v1/') && r.method !== 'ALL' && !r.path.endsWith('*'))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
    expect(routes.length).toBeGreaterThanOrEqual(6);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual([...new Set(routes)].sort());
  });

  it('uses the request schemas the endpoints validate with', async () => {
    const { app } = await testApp([apiExperiment()], { outcomeBatchLimit: 50 });
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as OpenApi;
    const event = doc.components.schemas.OutcomeEvent!;
    expect(event.required).toEqual(['user_id', 'metric']);
    expect(Object.keys(event.properties!).sort()).toEqual(
      ['event_id', 'experiment', 'metric', 'timestamp', 'user_id', 'value'].sort(),
    );
    expect(JSON.stringify(doc.paths['/api/v1/outcomes'])).toContain('"maxItems":50');
    expect(doc.components.schemas.Experiment!.required).toEqual(
      expect.arrayContaining(['id', 'status', 'route', 'arms']),
    );
    const assign = JSON.stringify(doc.paths['/api/v1/assign']!.post!.requestBody);
    expect(assign).toContain('"user_id"');
    expect(assign).toContain('"additionalProperties":false');
  });
});

describe('CORS on POST /api/v1/outcomes', () => {
  const origin = 'https://shop.example';

  it('sends no CORS headers by default', async () => {
    const { app, post } = await testApp([apiExperiment()]);
    const res = await post('/api/v1/outcomes', { user_id: 'u', metric: 'click' }, { origin });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await app.request('/api/v1/outcomes', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers preflights and posts from the configured origins only', async () => {
    const { app, post } = await testApp([apiExperiment()], {
      corsOrigins: `${origin},http://localhost:5173`,
    });
    const preflight = await app.request('/api/v1/outcomes', {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const res = await post('/api/v1/outcomes', { user_id: 'u', metric: 'click' }, { origin });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    const other = await post(
      '/api/v1/outcomes',
      { user_id: 'u', metric: 'click' },
      { origin: 'https://evil.example' },
    );
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // Only the outcome endpoint is shared.
    const list = await app.request('/api/v1/experiments', { headers: { origin } });
    expect(list.headers.get('access-control-allow-origin')).toBeNull();
  });
});
