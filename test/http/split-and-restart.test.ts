// Done-when checks of the gateway core: 10,000 random users split by the weights, and
// assignments survive a gateway restart (assignment is a pure function of salt and user).
import { randomUUID } from 'node:crypto';
import jstatPkg from 'jstat';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

const { jStat } = jstatPkg;
let a: TestUpstream;
let b: TestUpstream;
let c: TestUpstream;

const doc = () => ({
  id: 'three-way',
  status: 'running',
  route: { path: '/predict' },
  arms: [
    { name: 'control', weight: 2, upstream: a.url },
    { name: 'small', weight: 1, upstream: b.url },
    { name: 'large', weight: 5, upstream: c.url },
  ],
});

beforeAll(async () => {
  [a, b, c] = await Promise.all([startUpstream('control'), startUpstream('small'), startUpstream('large')]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close(), c.close()]);
});

describe('traffic split', () => {
  it('splits 10,000 random users within the chi-square bound of the weights, every response tagged', async () => {
    const gw = await startGateway([doc()]);
    const dispatcher = new Agent({ connections: 32 });
    const counts: Record<string, number> = { control: 0, small: 0, large: 0 };
    const users = Array.from({ length: 10_000 }, () => randomUUID());
    try {
      for (let i = 0; i < users.length; i += 200) {
        await Promise.all(
          users.slice(i, i + 200).map(async (user) => {
            const res = await request(`${gw.url}/predict`, { headers: { 'x-user-id': user }, dispatcher });
            const body = (await res.body.json()) as { upstream: string };
            expect(res.statusCode).toBe(201);
            expect(res.headers['x-abgate-experiment']).toBe('three-way');
            expect(typeof res.headers['x-request-id']).toBe('string');
            const arm = String(res.headers['x-abgate-arm']);
            expect(body.upstream).toBe(arm);
            counts[arm]!++;
          }),
        );
      }
    } finally {
      await dispatcher.close();
      await gw.close();
    }
    const n = users.length;
    const expected = { control: (n * 2) / 8, small: n / 8, large: (n * 5) / 8 };
    const chi2 = Object.entries(expected).reduce((s, [arm, e]) => s + (counts[arm]! - e) ** 2 / e, 0);
    // Random (unseeded) ids: p < 1e-6 happens by chance once in a million runs.
    const p = 1 - jStat.chisquare.cdf(chi2, 2);
    expect(p, JSON.stringify(counts)).toBeGreaterThan(1e-6);
  });

  it('keeps every user in the same arm across a gateway restart', async () => {
    const users = Array.from({ length: 300 }, (_, i) => `restart-user-${i}`);
    const armsOf = async () => {
      const gw = await startGateway([doc()]);
      try {
        return await Promise.all(
          users.map(async (user) => {
            const res = await request(`${gw.url}/predict`, { headers: { 'x-user-id': user } });
            await res.body.dump();
            return String(res.headers['x-abgate-arm']);
          }),
        );
      } finally {
        await gw.close();
      }
    };
    const first = await armsOf();
    const second = await armsOf();
    expect(second).toEqual(first);
    expect(new Set(first).size).toBe(3);
  });
});
