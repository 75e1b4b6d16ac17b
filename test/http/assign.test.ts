// POST /api/v1/assign in-process: the same arm as the proxy would pick, and an exposure.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decision.js';
import { apiExperiment, testApp } from '../helpers/app.js';

describe('POST /api/v1/assign', () => {
  it('returns the arm, records one exposure per user, and agrees with the allocation', async () => {
    const { post, store, services } = await testApp([apiExperiment()]);
    const res = await post('/api/v1/assign', { experiment: 'exp', user_id: 'alice' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { experiment: string; arm: string; in_experiment: boolean };
    const exp = services.catalog.byId.get('exp')!;
    expect(body).toEqual({
      experiment: 'exp',
      arm: exp.arms[decide(exp.allocation, 'running', 'alice').armIndex]!.name,
      in_experiment: true,
    });
    await post('/api/v1/assign', { experiment: 'exp', user_id: 'alice' });
    const agg = await store.readAggregates({
      experiment: 'exp',
      arms: ['control', 'treatment'],
      metrics: [],
    });
    expect(agg.arms.find((a) => a.arm === body.arm)!.exposures).toBe(1);
    expect(agg.arms.reduce((n, a) => n + a.exposures, 0)).toBe(1);
  });

  it('answers control and in_experiment false outside traffic and when paused, without exposure', async () => {
    const { post, store } = await testApp([
      apiExperiment({ id: 'none', route: { path: '/none' }, traffic: 0 }),
      apiExperiment({ id: 'paused', route: { path: '/paused' }, status: 'paused' }),
    ]);
    for (const experiment of ['none', 'paused']) {
      const body = await (await post('/api/v1/assign', { experiment, user_id: 'bob' })).json();
      expect(body).toEqual({ experiment, arm: 'control', in_experiment: false });
      const agg = await store.readAggregates({ experiment, arms: ['control', 'treatment'], metrics: [] });
      expect(agg.arms.every((a) => a.exposures === 0)).toBe(true);
    }
  });

  it.each([
    [{ experiment: 'nope', user_id: 'u' }, 404, 'experiment_not_found'],
    [{ experiment: 'draft', user_id: 'u' }, 409, 'experiment_not_running'],
    [{ experiment: 'exp' }, 400, 'validation_failed'],
    [{ experiment: 'exp', user_id: '' }, 400, 'validation_failed'],
    [{ experiment: 'exp', user_id: 5 }, 400, 'validation_failed'],
    ['{not json', 400, 'invalid_json'],
    ['', 400, 'invalid_json'],
  ])('rejects %j with %i %s', async (body, status, code) => {
    const { post } = await testApp([
      apiExperiment(),
      apiExperiment({ id: 'draft', route: { path: '/d' }, status: 'draft' }),
    ]);
    const res = await post('/api/v1/assign', body, { 'x-request-id': 'rid-1' });
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: { code: string; message: string; request_id: string } };
    expect(json.error.code).toBe(code);
    expect(json.error.message.length).toBeGreaterThan(5);
    expect(json.error.request_id).toBe('rid-1');
  });

  it('rejects a non-JSON content type with 415 and an oversized body with 413', async () => {
    const { app } = await testApp([apiExperiment()], { maxBodyBytes: 100 });
    const text = await app.request('/api/v1/assign', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(text.status).toBe(415);
    const big = await app.request('/api/v1/assign', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment: 'exp', user_id: 'x'.repeat(200) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });
});

describe('method and auth edges', () => {
  it('answers 405 with Allow for a known path and a wrong method', async () => {
    const { app } = await testApp([apiExperiment()]);
    const res = await app.request('/api/v1/assign');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
    expect((await app.request('/healthz', { method: 'POST' })).status).toBe(405);
  });

  it('answers 401 (not 400) for a malformed Authorization header', async () => {
    const { app } = await testApp([apiExperiment()], { apiToken: 'tok-1.2-0123456789abcdef' });
    for (const authorization of ['Basic dXNlcjpwdw==', 'Bearer', 'Bearer a b']) {
      const res = await app.request('/api/v1/experiments', { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
    expect(
      (
        await app.request('/api/v1/experiments', {
          headers: { authorization: 'bearer tok-1.2-0123456789abcdef' },
        })
      ).status,
    ).toBe(200);
  });
});
