// Prediction traffic through a real gateway to real loopback upstreams: what must pass through unchanged.
import { Readable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { testApp } from '../helpers/app.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

let control: TestUpstream;
let treatment: TestUpstream;
let gw: TestGateway;
const store = new MemoryEventStore();

function experiment(overrides: Record<string, unknown> = {}) {
  return {
    id: 'ranker',
    status: 'running',
    route: { path: '/models/ranker' },
    arms: [
      { name: 'control', weight: 1, upstream: `${control.url}/v1` },
      { name: 'treatment', weight: 1, upstream: `${treatment.url}/v2/` },
    ],
    metrics: [{ name: 'click', type: 'binomial' }],
    ...overrides,
  };
}

beforeAll(async () => {
  control = await startUpstream('control');
  treatment = await startUpstream('treatment');
  gw = await startGateway(
    [
      experiment(),
      {
        ...experiment({ id: 'by-cookie', route: { path: '/cookie' }, unit: { cookie: 'uid' } }),
      },
      { ...experiment({ id: 'by-query', route: { path: '/query' }, unit: { query: 'user' } }) },
    ],
    {},
    { store },
  );
});
afterAll(async () => {
  await gw.close();
  await control.close();
  await treatment.close();
});

describe('proxy pass-through', () => {
  it('streams status, headers and a 1 MiB body byte for byte, and tags the response', async () => {
    const body = randomBytes(1024 * 1024);
    const res = await request(`${gw.url}/models/ranker/score/deep?x=1&y=%20z`, {
      method: 'PUT',
      headers: { 'x-user-id': 'alice', 'content-type': 'application/octet-stream', 'x-client': 'abc' },
      body,
    });
    const json = (await res.body.json()) as Record<string, unknown> & { headers: Record<string, string> };
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-custom-response']).toBe('kept');
    expect(res.headers['x-abgate-experiment']).toBe('ranker');
    const arm = res.headers['x-abgate-arm'];
    expect(['control', 'treatment']).toContain(arm);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.upstream).toBe(arm);
    expect(json.method).toBe('PUT');
    expect(json.url).toBe(arm === 'control' ? '/v1/score/deep?x=1&y=%20z' : '/v2/score/deep?x=1&y=%20z');
    expect(json.bodyBytes).toBe(body.length);
    expect(json.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(json.headers['x-client']).toBe('abc');
    expect(json.headers['x-user-id']).toBe('alice');
    expect(json.headers['x-request-id']).toBe(res.headers['x-request-id']);
    expect(json.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('streams a 1 MiB response byte for byte without buffering it', async () => {
    const started = performance.now();
    const res = await request(`${gw.url}/models/ranker/stream`, { headers: { 'x-user-id': 'streamer' } });
    let firstAt = 0;
    let bytes = 0;
    const hash = createHash('sha256');
    for await (const chunk of res.body) {
      if (firstAt === 0) firstAt = performance.now() - started;
      bytes += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
    }
    const total = performance.now() - started;
    expect(bytes).toBe(1 << 20);
    const expected = createHash('sha256')
      .update(Buffer.alloc(1 << 19, 97))
      .update(Buffer.alloc(1 << 19, 98));
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
    // The upstream pauses 300 ms between halves: the first bytes must arrive before that pause ends.
    expect(total - firstAt).toBeGreaterThan(200);
  });

  it('puts a UTF-8 user id in a header in the same arm as the assignment API', async () => {
    const t = await testApp([experiment()]);
    for (const user of ['josé', 'müller', 'ü1', 'ü2', '用户', 'zoë']) {
      const res = await request(`${gw.url}/models/ranker`, {
        headers: { 'x-user-id': Buffer.from(user).toString('latin1') },
      });
      await res.body.dump();
      const assigned = (await (
        await t.post('/api/v1/assign', { experiment: 'ranker', user_id: user })
      ).json()) as { arm: string };
      expect(res.headers['x-abgate-arm'], user).toBe(assigned.arm);
    }
  });

  it('keeps the client request id', async () => {
    const res = await request(`${gw.url}/models/ranker`, {
      headers: { 'x-user-id': 'bob', 'x-request-id': 'req-123' },
    });
    await res.body.dump();
    expect(res.headers['x-request-id']).toBe('req-123');
  });

  it('drops hop-by-hop headers both ways and keeps repeated headers', async () => {
    // node:http, because undici will not send a Connection header that lists other headers.
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${gw.url}/models/ranker/hop`, {
        headers: {
          'x-user-id': 'carol',
          connection: 'keep-alive, x-private',
          'x-private': 'secret',
          te: 'trailers',
        },
      });
      req.on('response', resolve).on('error', reject).end();
    });
    let text = '';
    for await (const chunk of res) text += String(chunk);
    expect(text).toBe('hop');
    expect(res.headers['x-secret-hop']).toBeUndefined();
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    const upstream = res.headers['x-abgate-arm'] === 'control' ? control : treatment;
    const seen = upstream.received.at(-1)!;
    expect(seen.headers['x-private']).toBeUndefined();
    expect(seen.headers['te']).toBeUndefined();
  });

  it('streams a chunked request body of unknown length', async () => {
    const chunks = [randomBytes(1000), randomBytes(5000)];
    async function* gen() {
      for (const c of chunks) yield c;
    }
    const res = await request(`${gw.url}/models/ranker`, {
      method: 'POST',
      headers: { 'x-user-id': 'dan' },
      body: Readable.from(gen()),
    });
    const json = (await res.body.json()) as { bodyBytes: number };
    expect(res.statusCode).toBe(201);
    expect(json.bodyBytes).toBe(6000);
  });

  it('reads the unit from a cookie or a query parameter', async () => {
    const a = await request(`${gw.url}/cookie`, { headers: { cookie: 'other=1; uid=erin' } });
    await a.body.dump();
    expect(a.statusCode).toBe(201);
    const b = await request(`${gw.url}/query?user=erin`);
    await b.body.dump();
    expect(b.statusCode).toBe(201);
    // Same salt rules differ per experiment id, so only check both were exposed under their id.
    const [cookieAgg, queryAgg] = await Promise.all([
      store.readAggregates({ experiment: 'by-cookie', arms: ['control', 'treatment'], metrics: [] }),
      store.readAggregates({ experiment: 'by-query', arms: ['control', 'treatment'], metrics: [] }),
    ]);
    expect(cookieAgg.arms.reduce((n, a) => n + a.exposures, 0)).toBe(1);
    expect(queryAgg.arms.reduce((n, a) => n + a.exposures, 0)).toBe(1);
  });

  it('is sticky: the same user always gets the same arm', async () => {
    const arms = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await request(`${gw.url}/models/ranker`, { headers: { 'x-user-id': 'sticky-user' } });
      await res.body.dump();
      arms.add(String(res.headers['x-abgate-arm']));
    }
    expect(arms.size).toBe(1);
  });

  it('serves a forced arm, marks it and records no exposure', async () => {
    const before = await store.readAggregates({
      experiment: 'ranker',
      arms: ['control', 'treatment'],
      metrics: [],
    });
    for (const arm of ['control', 'treatment']) {
      const res = await request(`${gw.url}/models/ranker`, {
        headers: { 'x-user-id': `qa-${arm}`, 'x-abgate-force-arm': arm },
      });
      const json = (await res.body.json()) as { upstream: string; headers: Record<string, string> };
      expect(res.headers['x-abgate-arm']).toBe(arm);
      expect(res.headers['x-abgate-forced']).toBe('1');
      expect(json.upstream).toBe(arm);
      expect(json.headers['x-abgate-force-arm']).toBeUndefined();
    }
    const after = await store.readAggregates({
      experiment: 'ranker',
      arms: ['control', 'treatment'],
      metrics: [],
    });
    expect(after).toEqual(before);
  });
});
