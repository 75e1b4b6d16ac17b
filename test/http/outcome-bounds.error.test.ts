// Per-metric min/max through the real gateway: an implausible value is rejected by index with the bound
// it broke, the rest of the batch is stored, and the global |value| ≤ 1e12 rule still holds.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { NO_UPSTREAMS, twoArmExperiment } from '../helpers/experiments.js';

const store = new MemoryEventStore();
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway(
    [
      twoArmExperiment('shop', NO_UPSTREAMS, {
        metrics: [
          { name: 'revenue', type: 'continuous', min: 0, max: 10_000 },
          { name: 'click', type: 'binomial' },
        ],
      }),
      // Tracks revenue too, without bounds.
      twoArmExperiment('loose', NO_UPSTREAMS, { metrics: [{ name: 'revenue', type: 'continuous' }] }),
      twoArmExperiment('free', NO_UPSTREAMS, { metrics: [{ name: 'spend', type: 'continuous' }] }),
    ],
    {},
    { store },
  );
  for (const [experiment, user] of [
    ['shop', 'u1'],
    ['shop', 'u2'],
    ['loose', 'u3'],
    ['free', 'u4'],
  ]) {
    const r = await post('/api/v1/assign', { experiment, user_id: user });
    expect(r.status).toBe(200);
  }
});
afterAll(() => gw.close());

interface Answer {
  accepted: number;
  unattributed: number;
  rejected: { index: number; code: string; message: string }[];
}

async function post(path: string, body: unknown) {
  const res = await request(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, json: (await res.body.json()) as Answer };
}

async function revenueSum(experiment: string): Promise<number> {
  const agg = await store.readAggregates({
    experiment,
    arms: ['control', 'treatment'],
    metrics: [{ name: 'revenue', type: 'continuous' }],
  });
  // Shifted sums back to Σx.
  return agg.arms.reduce(
    (n, a) => n + a.metrics.revenue!.sum + a.metrics.revenue!.users * a.metrics.revenue!.shift,
    0,
  );
}

describe('metric bounds', () => {
  it('rejects values outside min/max by index, naming the bound, and stores the rest', async () => {
    const r = await post('/api/v1/outcomes', [
      { user_id: 'u1', metric: 'revenue', value: 12.5, experiment: 'shop' },
      { user_id: 'u1', metric: 'revenue', value: 1e12, experiment: 'shop' },
      { user_id: 'u2', metric: 'revenue', value: -5, experiment: 'shop' },
      { user_id: 'u2', metric: 'revenue', value: 10_000, experiment: 'shop' },
      { user_id: 'u2', metric: 'revenue', value: 0, experiment: 'shop' },
      { user_id: 'u2', metric: 'click', experiment: 'shop' },
    ]);
    expect(r.status).toBe(202);
    expect(r.json.accepted).toBe(4);
    expect(r.json.rejected).toEqual([
      {
        index: 1,
        code: 'invalid_value',
        message: 'metric "revenue": value 1000000000000 is above the max of 10000 set by experiment "shop"',
      },
      {
        index: 2,
        code: 'invalid_value',
        message: 'metric "revenue": value -5 is below the min of 0 set by experiment "shop"',
      },
    ]);
    expect(await revenueSum('shop')).toBe(12.5 + 10_000 + 0);
  });

  it('applies the bounds of every experiment an unnamed event would count in, and only the named one otherwise', async () => {
    const unnamed = await post('/api/v1/outcomes', { user_id: 'u3', metric: 'revenue', value: 50_000 });
    expect(unnamed.json.rejected).toMatchObject([{ index: 0, code: 'invalid_value' }]);
    expect(unnamed.json.rejected[0]!.message).toContain('set by experiment "shop"');
    expect(await revenueSum('loose')).toBe(0);

    const named = await post('/api/v1/outcomes', {
      user_id: 'u3',
      metric: 'revenue',
      value: 50_000,
      experiment: 'loose',
    });
    expect(named.json).toMatchObject({ accepted: 1, rejected: [] });
    expect(await revenueSum('loose')).toBe(50_000);
  });

  it('keeps the global |value| ≤ 1e12 rule for metrics without bounds', async () => {
    const r = await post('/api/v1/outcomes', [
      { user_id: 'u4', metric: 'spend', value: 2e12 },
      { user_id: 'u4', metric: 'spend', value: 1e12 },
    ]);
    expect(r.json.accepted).toBe(1);
    expect(r.json.rejected).toMatchObject([{ index: 0, code: 'invalid_event' }]);
    expect(r.json.rejected[0]!.message).toContain('1000000000000');
  });
});
