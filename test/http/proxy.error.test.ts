// Prediction traffic when things go wrong: slow or dead upstreams, fallback, bad input.
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { deadUrl, startUpstream, type TestUpstream } from '../helpers/upstream.js';

let control: TestUpstream;
let treatment: TestUpstream;
let gw: TestGateway;
let dead: string;
const store = new MemoryEventStore();

const ARMS = ['control', 'treatment'];

beforeAll(async () => {
  control = await startUpstream('control');
  treatment = await startUpstream('treatment');
  dead = await deadUrl();
  const base = { status: 'running', metrics: [] };
  gw = await startGateway(
    [
      {
        ...base,
        id: 'plain',
        route: { path: '/plain' },
        arms: [
          { name: 'control', upstream: control.url, timeout_ms: 300 },
          { name: 'treatment', upstream: treatment.url, timeout_ms: 300 },
        ],
      },
      {
        // Everyone lands in "broken" (weight 9999 of 10000 buckets), which falls back to control.
        ...base,
        id: 'fallback',
        route: { path: '/fallback' },
        arms: [
          { name: 'control', weight: 0.0001, upstream: control.url },
          { name: 'broken', weight: 0.9999, upstream: treatment.url, timeout_ms: 200, fallback: 'control' },
        ],
      },
      {
        ...base,
        id: 'dead-fallback',
        route: { path: '/dead-fallback' },
        arms: [
          { name: 'control', weight: 0.0001, upstream: control.url },
          { name: 'gone', weight: 0.9999, upstream: dead, fallback: 'control' },
        ],
      },
      {
        ...base,
        id: 'dead',
        route: { path: '/dead' },
        arms: [
          { name: 'control', upstream: dead },
          { name: 'treatment', upstream: dead },
        ],
      },
      {
        ...base,
        id: 'anon-ok',
        route: { path: '/anon' },
        missing_unit: 'control',
        arms: [
          { name: 'control', upstream: control.url },
          { name: 'treatment', upstream: treatment.url },
        ],
      },
      {
        ...base,
        id: 'paused',
        status: 'paused',
        route: { path: '/paused' },
        arms: [
          { name: 'control', upstream: control.url },
          { name: 'treatment', upstream: treatment.url },
        ],
      },
      {
        ...base,
        id: 'stopped',
        status: 'stopped',
        route: { path: '/stopped' },
        arms: [
          { name: 'control', upstream: control.url },
          { name: 'treatment', upstream: treatment.url },
        ],
      },
    ],
    { maxBodyBytes: 1024 },
    { store },
  );
});
afterAll(async () => {
  await gw.close();
  await control.close();
  await treatment.close();
});

async function call(path: string, init: Parameters<typeof request>[1] = {}) {
  const res = await request(`${gw.url}${path}`, init);
  const text = await res.body.text();
  let json: { error?: { code: string; message: string; request_id: string } } & Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // not JSON
  }
  return { status: res.statusCode, headers: res.headers, json, text };
}

const exposures = async (experiment: string) =>
  (
    await store.readAggregates({ experiment, arms: ['control', 'treatment', 'broken', 'gone'], metrics: [] })
  ).arms.reduce((n, a) => n + a.exposures, 0);

describe('upstream failures', () => {
  it('answers 504 naming the arm when the upstream is too slow', async () => {
    const r = await call('/plain/slow/2000', { headers: { 'x-user-id': 'u1', 'x-request-id': 'slow-1' } });
    expect(r.status).toBe(504);
    expect(r.json.error?.code).toBe('upstream_timeout');
    expect(r.json.error?.request_id).toBe('slow-1');
    const arm = (r.json.error as { arm?: string }).arm;
    expect(['control', 'treatment']).toContain(arm);
    expect(r.json.error?.message).toBe(`arm "${arm}" did not answer within 300 ms`);
    expect(r.headers['x-abgate-arm']).toBe(arm);
  });

  it('answers 502 naming the arm when the upstream refuses connections', async () => {
    const r = await call('/dead', { headers: { 'x-user-id': 'u1' } });
    expect(r.status).toBe(502);
    expect(r.json.error?.code).toBe('upstream_unavailable');
    expect(r.json.error?.message).toMatch(/arm "(control|treatment)".*ECONNREFUSED/);
  });

  it('passes an upstream 5xx through when no fallback is configured', async () => {
    const r = await call('/plain/status/503', { headers: { 'x-user-id': 'u1' } });
    expect(r.status).toBe(503);
    expect(r.headers['x-abgate-fallback']).toBeUndefined();
  });
});

describe('fallback: control', () => {
  it('retries a 5xx once on control with the same body and marks the response', async () => {
    const body = JSON.stringify({ features: { a: 1 } });
    const r = await call('/fallback/fail/treatment', {
      method: 'POST',
      headers: { 'x-user-id': 'fb-1', 'content-type': 'application/json' },
      body,
    });
    expect(r.status).toBe(201);
    expect(r.headers['x-abgate-fallback']).toBe('1');
    expect(r.headers['x-abgate-arm']).toBe('control');
    expect(r.json.upstream).toBe('control');
    expect(r.json.bodyBytes).toBe(body.length);
    const first = treatment.received.at(-1)!;
    expect(first.url).toBe('/fail/treatment');
    expect(first.bodyBytes).toBe(body.length);
  });

  it('falls back on a timeout and on a refused connection', async () => {
    const slow = await call('/fallback/slow/1000', { headers: { 'x-user-id': 'fb-2' } });
    expect(slow.status).toBe(201);
    expect(slow.headers['x-abgate-fallback']).toBe('1');
    const gone = await call('/dead-fallback', { headers: { 'x-user-id': 'fb-3' } });
    expect(gone.status).toBe(201);
    expect(gone.headers['x-abgate-fallback']).toBe('1');
    expect(gone.json.upstream).toBe('control');
  });

  it('does not fall back on a success or a 4xx', async () => {
    const r = await call('/fallback/status/404', { headers: { 'x-user-id': 'fb-4' } });
    expect(r.status).toBe(404);
    expect(r.headers['x-abgate-arm']).toBe('broken');
    expect(r.headers['x-abgate-fallback']).toBeUndefined();
  });

  it('still rejects an oversized body before proxying', async () => {
    const r = await call('/fallback', {
      method: 'POST',
      headers: { 'x-user-id': 'fb-5' },
      body: 'x'.repeat(2000),
    });
    expect(r.status).toBe(413);
  });
});

describe('bad input', () => {
  it('rejects a request without a user id (400) and names where it was expected', async () => {
    const r = await call('/plain');
    expect(r.status).toBe(400);
    expect(r.json.error?.code).toBe('missing_unit');
    expect(r.json.error?.message).toContain('header "x-user-id"');
    expect(r.json.error?.request_id).toBe(r.headers['x-request-id']);
  });

  it('serves control without exposure when missing_unit is control', async () => {
    const before = await exposures('anon-ok');
    const r = await call('/anon');
    expect(r.status).toBe(201);
    expect(r.headers['x-abgate-arm']).toBe('control');
    expect(await exposures('anon-ok')).toBe(before);
  });

  it('rejects an unknown forced arm (400)', async () => {
    const r = await call('/plain', { headers: { 'x-user-id': 'u', 'x-abgate-force-arm': 'nope' } });
    expect(r.status).toBe(400);
    expect(r.json.error?.code).toBe('unknown_arm');
    expect(r.json.error?.message).toContain('control, treatment');
  });

  it('answers 413 for a declared body over the limit and for a chunked one', async () => {
    const declared = await call('/plain', {
      method: 'POST',
      headers: { 'x-user-id': 'u' },
      body: 'x'.repeat(1025),
    });
    expect(declared.status).toBe(413);
    expect(declared.json.error?.code).toBe('payload_too_large');
    async function* chunks() {
      for (let i = 0; i < 10; i++) yield Buffer.alloc(500, 120);
    }
    const chunked = await call('/plain', {
      method: 'POST',
      headers: { 'x-user-id': 'u' },
      body: Readable.from(chunks()),
    });
    expect(chunked.status).toBe(413);
    expect(chunked.json.error?.code).toBe('payload_too_large');
  });

  it('accepts a body exactly at the limit', async () => {
    const r = await call('/plain', { method: 'POST', headers: { 'x-user-id': 'u' }, body: 'x'.repeat(1024) });
    expect(r.status).toBe(201);
    expect(r.json.bodyBytes).toBe(1024);
  });

  it('answers 404 JSON for unknown paths and for stopped experiments', async () => {
    for (const path of ['/nowhere', '/stopped', '/plainer']) {
      const r = await call(path, { headers: { 'x-user-id': 'u' } });
      expect(r.status, path).toBe(404);
      expect(r.json.error?.code).toBe('not_found');
      expect(typeof r.json.error?.request_id).toBe('string');
    }
  });

  it('serves a paused experiment by control and records no exposure', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await call('/paused', { headers: { 'x-user-id': `p${i}` } });
      expect(r.headers['x-abgate-arm']).toBe('control');
    }
    expect(await exposures('paused')).toBe(0);
  });
});

describe('exposures', () => {
  it('counts each in-experiment user once, in the arm that served them', async () => {
    const before = await exposures('plain');
    for (let i = 0; i < 3; i++) {
      for (const u of ['e1', 'e2', 'e3']) await call('/plain', { headers: { 'x-user-id': u } });
    }
    expect(await exposures('plain')).toBe(before + 3);
    const agg = await store.readAggregates({ experiment: 'plain', arms: ARMS, metrics: [] });
    expect(agg.multipleArmUsers).toBe(0);
  });

  it('does not count a request refused for its body size', async () => {
    const before = await exposures('fallback');
    async function* chunks() {
      for (let i = 0; i < 10; i++) yield Buffer.alloc(500, 120);
    }
    const r = await call('/fallback', {
      method: 'POST',
      headers: { 'x-user-id': 'big-body' },
      body: Readable.from(chunks()),
    });
    expect(r.status).toBe(413);
    expect(await exposures('fallback')).toBe(before);
  });
});

describe('request hygiene', () => {
  it('proxies a request sent with Expect: 100-continue', async () => {
    const headers = { 'x-user-id': 'u', expect: '100-continue', 'content-type': 'application/json' };
    const r = await rawGet('/plain', headers, 'POST', '{"a":1}');
    expect(r.status).toBe(201);
    expect(r.json.bodyBytes).toBe(7);
  });

  it("refuses dot segments that could escape the arm's path", async () => {
    for (const path of ['/plain/../secret', '/plain/%2e%2e/secret', '/plain/./x', '/plain/%2E/x']) {
      const r = await rawGet(path, { 'x-user-id': 'u' });
      expect(r.status, path).toBe(400);
      expect(r.json.error.code).toBe('bad_path');
    }
    const fine = await call('/plain/v1.2/file..name', { headers: { 'x-user-id': 'u' } });
    expect(fine.status).toBe(201);
  });

  it('rejects a repeated user id header as ambiguous', async () => {
    const r = await rawGet('/plain', { 'x-user-id': ['u1', 'u2'] });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('ambiguous_unit');
  });

  it('answers JSON for requests Node rejects itself', async () => {
    const r = await rawGet('/plain', { 'x-user-id': 'u', 'x-big': 'y'.repeat(20_000) });
    expect(r.status).toBe(431);
    expect(r.json.error.code).toBe('headers_too_large');
  });

  it('marks the assigned arm when control answered in its place', async () => {
    const r = await call('/fallback/fail/treatment', { headers: { 'x-user-id': 'fb-9' } });
    expect(r.headers['x-abgate-arm']).toBe('control');
    expect(r.headers['x-abgate-assigned-arm']).toBe('broken');
  });
});

/** node:http with a raw path, which sends paths, bodies and repeated headers exactly as given. */
function rawGet(path: string, headers: Record<string, string | string[]>, method = 'GET', body?: string) {
  const { hostname, port } = new URL(gw.url);
  type Answer = { status: number; json: { error: { code: string } } & Record<string, unknown> };
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method, headers });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Answer['json'] }));
    });
    req.end(body);
  });
}
