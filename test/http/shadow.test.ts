// Shadow arms: a copy of each request goes to the shadow's upstream after the served answer started;
// its answer is measured, never returned, never waited for; copies past the concurrency are dropped.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { experimentSchema } from '../../src/config/experiment-schema.js';
import { twoArmExperiment } from '../helpers/experiments.js';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { startModel } from '../rollout/model-upstream.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** A shadow model that answers after `delayMs`; records what it received and when it answered. */
async function slowShadow(delayMs: number) {
  const received: { headers: Record<string, unknown>; body: string }[] = [];
  let answered = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      setTimeout(() => {
        answered++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"shadow":true}');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    answered: () => answered,
  };
}

async function until(ok: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function setup(shadowDelayMs: number, settings: Record<string, unknown> = {}) {
  const control = await startUpstream('control');
  const treatment = await startUpstream('treatment');
  closers.push(control.close, treatment.close);
  const shadow = await slowShadow(shadowDelayMs);
  const doc = twoArmExperiment('exp', [control.url, treatment.url], {
    arms: [
      { name: 'control', upstream: control.url },
      { name: 'treatment', upstream: treatment.url },
      { name: 'candidate', upstream: shadow.url, shadow: true, timeout_ms: 5000 },
    ],
  });
  const gw = await startGateway([doc], settings);
  closers.push(gw.close);
  const metrics = async () => (await (await request(`${gw.url}/metrics`)).body.text()) as string;
  return { gw, shadow, metrics };
}

describe('shadow arms', () => {
  it('answers the client from its arm before the 2 s shadow has answered, and records the shadow', async () => {
    const { gw, shadow, metrics } = await setup(2000);
    const res = await request(`${gw.url}/exp/predict`, {
      method: 'POST',
      headers: { 'x-user-id': 'u1', 'content-type': 'application/json' },
      body: '{"features":[1,2,3]}',
    });
    const body = (await res.body.json()) as { upstream: string };
    // The served answer is complete while the shadow is still thinking.
    expect(shadow.answered()).toBe(0);
    expect(['control', 'treatment']).toContain(body.upstream);
    expect(res.headers['x-abgate-arm']).toBe(body.upstream);
    await until(() => shadow.received.length === 1);
    expect(shadow.received[0]!.body).toBe('{"features":[1,2,3]}');
    expect(shadow.received[0]!.headers).toMatchObject({
      'x-abgate-shadow': '1',
      'x-abgate-arm': 'candidate',
    });
    await until(async () =>
      /abgate_shadow_requests_total\{experiment="exp",arm="candidate",result="2xx"\} 1/.test(await metrics()),
    );
    expect(shadow.answered()).toBe(1);
  });

  it('drops copies past ABGATE_SHADOW_CONCURRENCY and counts them; clients are unaffected', async () => {
    const { gw, shadow, metrics } = await setup(1000, { shadowConcurrency: 1 });
    const statuses = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const res = await request(`${gw.url}/exp/x`, {
          method: 'POST',
          headers: { 'x-user-id': `u${i}` },
          body: '{}',
        });
        await res.body.dump();
        return res.statusCode;
      }),
    );
    expect(statuses).toEqual([201, 201, 201]);
    await until(async () =>
      /abgate_shadow_dropped_total\{experiment="exp",arm="candidate"\} 2/.test(await metrics()),
    );
    await until(() => shadow.answered() === 1);
    expect(shadow.received).toHaveLength(1);
  });

  it('compares a sample of shadow answers with the served one, counting matches and mismatches', async () => {
    const { gw, metrics } = await setup(10, { shadowCompareRate: 1 });
    for (let i = 0; i < 3; i++) {
      const res = await request(`${gw.url}/exp/x`, {
        method: 'POST',
        headers: { 'x-user-id': `u${i}` },
        body: '{}',
      });
      await res.body.dump();
    }
    // The shadow answers {"shadow":true}, the served arms echo the request: every comparison differs.
    await until(async () =>
      /abgate_shadow_compared_total\{experiment="exp",arm="candidate",result="mismatch"\} 3/.test(
        await metrics(),
      ),
    );
    const same = await Promise.all([startModel(), startModel(), startModel()]);
    closers.push(...same.map((m) => m.close));
    const doc = twoArmExperiment('same', [same[0]!.url, same[1]!.url], {
      arms: [
        { name: 'control', upstream: same[0]!.url },
        { name: 'treatment', upstream: same[1]!.url },
        { name: 'candidate', upstream: same[2]!.url, shadow: true },
      ],
    });
    const gw2 = await startGateway([doc], { shadowCompareRate: 1 });
    closers.push(gw2.close);
    for (let i = 0; i < 2; i++) {
      const res = await request(`${gw2.url}/same`, {
        method: 'POST',
        headers: { 'x-user-id': `u${i}` },
        body: '{}',
      });
      expect(await res.body.text()).toBe('{"score":0.5}'); // the client's body is intact
    }
    await until(async () =>
      /abgate_shadow_compared_total\{experiment="same",arm="candidate",result="match"\} 2/.test(
        await (await request(`${gw2.url}/metrics`)).body.text(),
      ),
    );
  });

  it('keeps shadow arms out of allocation and reports', async () => {
    const { gw } = await setup(10);
    const report = (await (await request(`${gw.url}/api/v1/experiments/exp/report`)).body.json()) as {
      arms: { name: string }[];
      srm: { mismatch: boolean | null };
    };
    expect(report.arms.map((a) => a.name)).toEqual(['control', 'treatment']);
  });
});

describe('shadow arm schema', () => {
  const doc = (candidate: Record<string, unknown>) =>
    twoArmExperiment('exp', undefined, {
      arms: [
        { name: 'control', upstream: 'http://127.0.0.1:9/a' },
        { name: 'treatment', upstream: 'http://127.0.0.1:9/b' },
        { name: 'candidate', upstream: 'http://127.0.0.1:9/c', shadow: true, ...candidate },
      ],
    });
  const problems = (d: unknown) => {
    const r = experimentSchema.safeParse(d);
    return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
  };

  it('mirrors every served arm by default, or the ones named', () => {
    expect(experimentSchema.parse(doc({})).shadow_arms).toEqual([
      expect.objectContaining({ name: 'candidate', shadows: ['control', 'treatment'] }),
    ]);
    expect(experimentSchema.parse(doc({ shadows: ['treatment'] })).shadow_arms[0]!.shadows).toEqual([
      'treatment',
    ]);
    expect(experimentSchema.parse(doc({})).arms.map((a) => a.name)).toEqual(['control', 'treatment']);
  });

  it.each([
    [{ weight: 1 }, /arms\.2\.weight: a shadow arm gets no users/],
    [{ control: true }, /arms\.2\.control: control serves users; it cannot be a shadow/],
    [{ fallback: 'control' }, /arms\.2\.fallback: a shadow arm never answers a client/],
    [{ shadows: ['nope'] }, /arms\.2\.shadows: "nope" is not an arm that serves users/],
  ])('refuses %j', (candidate, message) => {
    expect(problems(doc(candidate))).toMatch(message);
  });

  it('refuses weight 0 on a served arm and shadows on a served arm', () => {
    const d = twoArmExperiment('exp', undefined, {
      arms: [
        { name: 'control', upstream: 'http://127.0.0.1:9/a', weight: 0 },
        { name: 'treatment', upstream: 'http://127.0.0.1:9/b', shadows: ['control'] },
      ],
    });
    expect(problems(d)).toMatch(/arms\.0\.weight: must be above 0/);
    expect(problems(d)).toMatch(/arms\.1\.shadows: only for shadow arms/);
  });
});
