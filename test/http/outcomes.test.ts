// POST /api/v1/outcomes in-process: validation per event, attribution, dedup, batch limits.
import { describe, expect, it } from 'vitest';
import { apiExperiment, testApp } from '../helpers/app.js';

interface OutcomeAnswer {
  accepted: number;
  duplicates: number;
  unattributed: number;
  held: number;
  queued: number;
  rejected: { index: number; code: string; message: string }[];
}

async function setup(settings = {}, now?: () => number) {
  const t = await testApp(
    [
      apiExperiment(),
      apiExperiment({
        id: 'other',
        route: { path: '/other' },
        metrics: [{ name: 'click', type: 'binomial' }],
      }),
      apiExperiment({ id: 'old', route: { path: '/old' }, status: 'stopped' }),
    ],
    settings,
    now ? { now } : {},
  );
  for (const user of ['u1', 'u2']) {
    await t.post('/api/v1/assign', { experiment: 'exp', user_id: user });
  }
  await t.post('/api/v1/assign', { experiment: 'other', user_id: 'u1' });
  return t;
}

const read = (t: Awaited<ReturnType<typeof setup>>, experiment: string) =>
  t.store.readAggregates({
    experiment,
    arms: ['control', 'treatment'],
    metrics: [
      { name: 'click', type: 'binomial' },
      { name: 'revenue', type: 'continuous' },
    ],
  });

describe('POST /api/v1/outcomes', () => {
  it('stores the valid events of a batch and rejects the bad ones by index', async () => {
    const t = await setup();
    const res = await t.post('/api/v1/outcomes', [
      { user_id: 'u1', metric: 'revenue', value: 10 },
      { user_id: 'u1', metric: 'revenue', value: Number.NaN },
      { metric: 'click' },
      { user_id: 'u2', metric: 'nope' },
      { user_id: 'u2', metric: 'click', value: 2 },
      { user_id: 'u2', metric: 'revenue' },
      { user_id: 'u2', metric: 'click', experiment: 'old' },
      { user_id: 'u2', metric: 'click', valeu: 1 },
      'not an object',
      { user_id: 'u2', metric: 'revenue', value: 2.5, timestamp: '2026-11-27T10:00:00Z' },
    ]);
    expect(res.status).toBe(202);
    const body = (await res.json()) as OutcomeAnswer;
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'invalid_event'], // NaN arrives as null in JSON
      [2, 'invalid_event'],
      [3, 'unknown_metric'],
      [4, 'invalid_value'],
      [5, 'invalid_value'],
      [6, 'unknown_experiment'],
      [7, 'invalid_event'],
      [8, 'invalid_event'],
    ]);
    expect(body.rejected[1]!.message).toContain('user_id');
    expect(body.rejected[6]!.message).toContain('valeu');
    const agg = await read(t, 'exp');
    const revenue = agg.arms
      .map((a) => a.metrics.revenue!.sum + a.metrics.revenue!.users * a.metrics.revenue!.shift)
      .reduce((x, y) => x + y, 0);
    expect(revenue).toBe(12.5);
  });

  it('attributes to every experiment tracking the metric the user was exposed in, or only the named one', async () => {
    const t = await setup();
    const both = (await (
      await t.post('/api/v1/outcomes', { user_id: 'u1', metric: 'click' })
    ).json()) as OutcomeAnswer;
    expect(both.accepted).toBe(1);
    const sum = async (exp: string) =>
      (await read(t, exp)).arms.reduce((n, a) => n + a.metrics.click!.sum, 0);
    expect(await sum('exp')).toBe(1);
    expect(await sum('other')).toBe(1);
    await t.post('/api/v1/outcomes', { user_id: 'u2', metric: 'click', experiment: 'other' });
    expect(await sum('other')).toBe(1); // u2 was never exposed in "other"
  });

  it('counts a retried event_id once and holds an unexposed user’s outcome, unattributed after the grace period', async () => {
    let clock = 1_700_000_000_000;
    const t = await setup({ attributionGraceSeconds: 60 }, () => clock);
    const event = { user_id: 'u1', metric: 'revenue', value: 4, event_id: 'evt-1' };
    const first = (await (await t.post('/api/v1/outcomes', [event, event])).json()) as OutcomeAnswer;
    expect(first).toMatchObject({ accepted: 1, duplicates: 1 });
    const again = (await (await t.post('/api/v1/outcomes', event)).json()) as OutcomeAnswer;
    expect(again).toMatchObject({ accepted: 0, duplicates: 1 });
    const stranger = (await (
      await t.post('/api/v1/outcomes', { user_id: 'ghost', metric: 'click' })
    ).json()) as OutcomeAnswer;
    expect(stranger).toMatchObject({ accepted: 0, held: 1, unattributed: 0 });
    expect((await read(t, 'exp')).heldUsers).toBe(1);
    clock += 61_000;
    const after = await read(t, 'exp');
    expect(after.unattributed).toEqual({ click: 1, revenue: 0 });
    expect(after.heldUsers).toBe(0);
  });

  it('rejects a single bad event by index 0, like a batch', async () => {
    const t = await setup();
    const res = await t.post('/api/v1/outcomes', { user_id: 'u1', metric: 'nope' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as OutcomeAnswer;
    expect(body).toMatchObject({ accepted: 0, rejected: [{ index: 0, code: 'unknown_metric' }] });
  });

  it('answers 400 for a non-JSON body, an empty batch or a wrong shape', async () => {
    const t = await setup();
    const cases: [unknown, string][] = [
      ['{"user_id":', 'invalid_json'],
      [[], 'validation_failed'],
      ['42', 'validation_failed'],
    ];
    for (const [body, code] of cases) {
      const res = await t.post('/api/v1/outcomes', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
  });

  it('enforces the batch limit with 413', async () => {
    const t = await setup({ outcomeBatchLimit: 3 });
    const res = await t.post(
      '/api/v1/outcomes',
      Array.from({ length: 4 }, () => ({ user_id: 'u1', metric: 'click' })),
    );
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      'ABGATE_OUTCOME_BATCH_LIMIT',
    );
  });
});

describe('POST /api/v1/outcomes edges', () => {
  it('accepts a batch of exactly the limit', async () => {
    const t = await setup({ outcomeBatchLimit: 3 });
    const res = await t.post(
      '/api/v1/outcomes',
      Array.from({ length: 3 }, () => ({ user_id: 'u1', metric: 'click' })),
    );
    expect(res.status).toBe(202);
  });

  it('rejects runaway values, far-future timestamps and blank users, keeping the rest', async () => {
    const t = await setup();
    const res = await t.post('/api/v1/outcomes', [
      { user_id: 'u1', metric: 'revenue', value: 1e200 },
      { user_id: 'u1', metric: 'revenue', value: 3, timestamp: '2999-01-01T00:00:00Z' },
      { user_id: '   ', metric: 'click' },
      { user_id: ' u2 ', metric: 'revenue', value: 3, timestamp: Date.now() - 1000 },
    ]);
    const body = (await res.json()) as OutcomeAnswer;
    expect(body.rejected.map((r) => [r.index, r.code])).toEqual([
      [0, 'invalid_event'],
      [1, 'invalid_event'],
      [2, 'invalid_event'],
    ]);
    expect(body.accepted).toBe(1); // " u2 " is u2
    const agg = await read(t, 'exp');
    expect(agg.arms.every((a) => Number.isFinite(a.metrics.revenue!.sumSquares))).toBe(true);
  });
});
