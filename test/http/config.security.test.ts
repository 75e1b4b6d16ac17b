// Configuration mistakes through the real gateway: credentials in upstream URLs stay hidden, and an
// upstream that points back at a gateway (directly or through another one) is stopped with 508.
import { createServer } from 'node:net';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { createGateway, type Gateway } from '../../src/server.js';
import { MAX_HOPS } from '../../src/security/hops.js';
import { createServices } from '../../src/services.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { experimentsFrom, startGateway, type TestGateway } from '../helpers/gateway.js';
import { twoArmExperiment } from '../helpers/experiments.js';
import { startUpstream } from '../helpers/upstream.js';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('credentials in upstream URLs', () => {
  const PASSWORD = 'hunter2-pa55word';
  const KEY = 'sk-live-0123456789';
  const READ = 'read-token-0123456789abcdef';
  let gw: TestGateway;

  it('are redacted in the definition, and no GET endpoint shows them', async () => {
    gw = await startGateway(
      [
        twoArmExperiment('secret', [`http://svc:${PASSWORD}@127.0.0.1:9/a`, `https://${KEY}@127.0.0.1:9/b`], {
          metrics: [{ name: 'click', type: 'binomial' }],
        }),
      ],
      { apiToken: READ },
      { store: new MemoryEventStore() },
    );
    closers.push(() => gw.close());
    const get = async (path: string) => {
      const res = await request(`${gw.url}${path}`, { headers: { authorization: `Bearer ${READ}` } });
      return { status: res.statusCode, text: await res.body.text() };
    };
    const def = await get('/api/v1/experiments/secret');
    expect(def.status).toBe(200);
    const arms = (JSON.parse(def.text) as { arms: { upstream: string }[] }).arms;
    expect(arms.map((a) => a.upstream)).toEqual([
      'http://svc:***@127.0.0.1:9/a',
      'https://***@127.0.0.1:9/b',
    ]);
    for (const path of [
      '/api/v1/experiments',
      '/api/v1/experiments/secret',
      '/api/v1/experiments/secret/report',
      '/api/v1/experiments/secret/report?format=csv',
      '/reports/secret',
      '/readyz',
      '/metrics',
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.text, path).not.toContain(PASSWORD);
      expect(r.text, path).not.toContain(KEY);
    }
  });
});

/** A port nothing listens on yet, so an experiment can point at a gateway before it starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A gateway on `port` whose experiment at `/<id>` sends both arms to `upstream`. */
async function gatewayOn(port: number, id: string, upstream: string): Promise<Gateway> {
  const services = await createServices(
    loadSettings({}, { logLevel: 'silent' }),
    experimentsFrom([twoArmExperiment(id, [upstream, upstream])]),
    { logger: pino({ level: 'silent' }), processMetrics: false, store: new MemoryEventStore() },
  );
  const gateway = createGateway(services);
  await gateway.listen(port, '127.0.0.1');
  closers.push(async () => {
    await gateway.close(2_000);
  });
  return gateway;
}

/** Requests the gateway served on experiment `id` (abgate_requests_total), once `expected` were counted. */
async function servedOnce(gateway: Gateway, id: string, expected: number): Promise<number> {
  const count = async () => {
    const text = await gateway.services.metrics.render();
    let n = 0;
    for (const m of text.matchAll(/^abgate_requests_total\{([^}]*)\} (\d+)$/gm)) {
      if (m[1]!.includes(`experiment="${id}"`)) n += Number(m[2]);
    }
    return n;
  };
  // A request is counted when its response has ended, which may be just after the client saw it.
  const deadline = Date.now() + 5_000;
  let n = await count();
  while (n < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    n = await count();
  }
  return n;
}

const predict = async (url: string, headers: Record<string, string> = {}) => {
  const res = await request(url, { headers: { 'x-user-id': 'u1', ...headers } });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
};

describe('loops', () => {
  it('stops an upstream that points back at the same gateway after one hop (508)', async () => {
    const port = await freePort();
    const gateway = await gatewayOn(port, 'self', `http://127.0.0.1:${port}/self`);
    const r = await predict(`http://127.0.0.1:${port}/self`);
    expect(r.status).toBe(508);
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'loop_detected' } });
    expect(await servedOnce(gateway, 'self', 2)).toBe(2);
  });

  it('stops a loop through another gateway', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = await gatewayOn(portA, 'a', `http://127.0.0.1:${portB}/b`);
    const b = await gatewayOn(portB, 'b', `http://127.0.0.1:${portA}/a`);
    const r = await predict(`http://127.0.0.1:${portA}/a`);
    expect(r.status).toBe(508);
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'loop_detected' } });
    expect([await servedOnce(a, 'a', 2), await servedOnce(b, 'b', 1)]).toEqual([2, 1]);
  });

  it(`passes its id on to the upstream, and refuses a request that went through ${MAX_HOPS} gateways`, async () => {
    const model = await startUpstream('model');
    closers.push(() => model.close());
    const gw = await startGateway([twoArmExperiment('hops', [model.url, model.url])]);
    closers.push(() => gw.close());

    const direct = await predict(`${gw.url}/hops`);
    expect(direct.status).toBe(201);
    const own = (JSON.parse(direct.text) as { headers: Record<string, string> }).headers['x-abgate-via'];
    expect(own).toMatch(/^[0-9a-f]{12}$/);

    const earlier = Array.from({ length: MAX_HOPS - 1 }, (_, i) => `gw${i}`);
    const chained = await predict(`${gw.url}/hops`, { 'x-abgate-via': earlier.join(', ') });
    expect(chained.status).toBe(201);
    expect((JSON.parse(chained.text) as { headers: Record<string, string> }).headers['x-abgate-via']).toBe(
      [...earlier, own].join(', '),
    );

    const before = model.received.length;
    const tooMany = await predict(`${gw.url}/hops`, { 'x-abgate-via': [...earlier, 'gw9'].join(', ') });
    expect(tooMany.status).toBe(508);
    expect(JSON.parse(tooMany.text)).toMatchObject({ error: { code: 'loop_detected' } });
    expect(model.received.length).toBe(before);
  });
});
