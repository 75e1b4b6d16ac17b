// Changing an experiment never drops or fails a request already in flight: it finishes on the snapshot
// it started with; the next request sees the change.
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { twoArmExperiment } from '../helpers/experiments.js';

const TOKEN = 'in-flight-admin-token-0123456789';
let control: TestUpstream;
let treatment: TestUpstream;
let gw: TestGateway;

beforeAll(async () => {
  [control, treatment] = await Promise.all([startUpstream('control'), startUpstream('treatment')]);
  gw = await startGateway([twoArmExperiment('m', [control.url, treatment.url])], { adminToken: TOKEN });
});
afterAll(async () => {
  await gw.close();
  await Promise.all([control.close(), treatment.close()]);
});

const change = async (body: unknown) => {
  const res = await request(`${gw.url}/api/v1/experiments/m`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.body.dump();
  return res.statusCode;
};

describe('in-flight requests across live changes', () => {
  it('finishes 40 slow requests in flight during conclude, each on the arm it started with', async () => {
    const agent = new Agent({ connections: 64 });
    try {
      const users = Array.from({ length: 40 }, (_, i) => `slow-${i}`);
      // Their arms before the change, from quick requests.
      const armOf = new Map<string, string>();
      for (const u of users) {
        const r = await request(`${gw.url}/m`, { headers: { 'x-user-id': u }, dispatcher: agent });
        await r.body.dump();
        armOf.set(u, String(r.headers['x-abgate-arm']));
      }
      expect(new Set(armOf.values())).toEqual(new Set(['control', 'treatment']));
      const inFlight = users.map((u) =>
        request(`${gw.url}/m/slow/400`, { headers: { 'x-user-id': u }, dispatcher: agent }),
      );
      // The requests are at the upstreams (each one records what it received) before the change.
      const received = () => control.received.length + treatment.received.length;
      const target = received() + users.length;
      while (received() < target) await new Promise((r) => setTimeout(r, 5));
      expect(await change({ status: 'concluded', winner: 'treatment' })).toBe(200);
      const answers = await Promise.all(inFlight);
      for (const [i, res] of answers.entries()) {
        expect(res.statusCode).toBe(201);
        const body = (await res.body.json()) as { upstream: string };
        expect(res.headers['x-abgate-arm']).toBe(armOf.get(users[i]!));
        expect(body.upstream).toBe(armOf.get(users[i]!));
      }
      const after = await request(`${gw.url}/m`, { headers: { 'x-user-id': users[0]! }, dispatcher: agent });
      await after.body.dump();
      expect(after.headers['x-abgate-arm']).toBe('treatment');
    } finally {
      await agent.close();
    }
  });
});
