// The automated canary end to end: a real gateway on a real Redis (event store, live state, lease),
// real model upstreams, client traffic throughout. Steps are a second long.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/core/lifecycle.js';
import type { Report } from '../../src/reports/build-report.js';
import { RedisServer } from '../setup/redis-server.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { pollUntil, startLoad, startModel, type ModelUpstream } from './model-upstream.js';

let redis: RedisServer;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis.dispose();
});
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

function canary(id: string, control: ModelUpstream, treatment: ModelUpstream, guardrails: unknown[]) {
  return {
    id,
    status: 'running',
    traffic: 0,
    route: { path: `/${id}` },
    planned_users: 200,
    arms: [
      { name: 'control', upstream: control.url },
      // A failing treatment falls back to control: the client never sees its errors.
      { name: 'treatment', upstream: treatment.url, fallback: 'control' },
    ],
    guardrails,
    rollout: { steps: [20, 40, 60], step_interval: '1s', min_users_per_arm: 40 },
  };
}

async function gatewayFor(doc: unknown): Promise<TestGateway> {
  const gw = await startGateway([doc], {
    redisUrl: redis.url,
    journalDir: mkdtempSync(join(tmpdir(), 'abgate-journal-')),
    guardrailFlushMs: 100,
    rolloutLeaseMs: 600,
    liveCheckIntervalMs: 200,
  });
  closers.push(gw.close);
  return gw;
}

async function models(treatment: { failEvery?: number; delayMs?: number }) {
  const c = await startModel();
  const t = await startModel(treatment);
  closers.push(c.close, t.close);
  return [c, t] as const;
}

const report = async (gw: TestGateway, id: string) =>
  (await (await fetch(`${gw.url}/api/v1/experiments/${id}/report`)).json()) as Report;

/** The canary's changes in the history: traffic steps, then the end. */
const rolloutChanges = (history: HistoryEntry[]) => history.filter((h) => h.actor === 'rollout');

async function runUntilEnded(gw: TestGateway, id: string) {
  const load = startLoad(() => gw.url, `/${id}`);
  try {
    const done = await pollUntil(
      () => report(gw, id),
      // Both the experiment and the canary's progress (read after it, so possibly newer) ended.
      (r) =>
        (r.rollout?.state === 'rolled_back' || r.rollout?.state === 'concluded') &&
        r.state.status === r.rollout.state,
      60_000,
      `the rollout of ${id} to end`,
    );
    return { done, load };
  } finally {
    await load.stop();
  }
}

describe('automated canary', () => {
  it('rolls back a treatment that answers 500 to 5% of calls within two checks, with zero failed client requests', async () => {
    const [control, treatment] = await models({ failEvery: 20 });
    const gw = await gatewayFor(
      canary('errors', control, treatment, [{ metric: 'abgate_errors', max_increase: 0.01 }]),
    );
    const { done, load } = await runUntilEnded(gw, 'errors');
    expect(done.rollout!.state).toBe('rolled_back');
    expect(done.state.status).toBe('rolled_back');
    const changes = rolloutChanges(await gw.gateway.services.registry.history('errors'));
    const last = changes[changes.length - 1]!;
    expect(last.after.status).toBe('rolled_back');
    expect(last.reason).toMatch(
      /guardrail abgate_errors maxIncrease breached: estimate [\d.]+, sequential bound [\d.]+ > limit 0\.01/,
    );
    // At most two steps were served before the rollback: it came at the first or second check.
    expect(changes.length - 1).toBeLessThanOrEqual(2);
    expect(done.rollout!.guardrails).toEqual([
      expect.objectContaining({ metric: 'abgate_errors', status: 'breached', limit: 'max_increase 0.01' }),
    ]);
    expect(load.total()).toBeGreaterThan(100);
    expect(load.failed()).toBe(0);
    // Everyone is on control now.
    const res = await fetch(`${gw.url}/errors`, {
      method: 'POST',
      headers: { 'x-user-id': 'after' },
      body: '{}',
    });
    expect(res.headers.get('x-abgate-arm')).toBe('control');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/abgate_rollout_state\{experiment="errors",state="rolled_back"\} 1/);
  });

  it('rolls back a treatment 200 ms slower on the latency guardrail', async () => {
    const [control, treatment] = await models({ delayMs: 200 });
    const gw = await gatewayFor(
      canary('latency', control, treatment, [
        { metric: 'abgate_errors', max_increase: 0.01 },
        { metric: 'abgate_latency_ms', max_relative_increase: 0.5 },
      ]),
    );
    const { done, load } = await runUntilEnded(gw, 'latency');
    expect(done.rollout!.state).toBe('rolled_back');
    const changes = rolloutChanges(await gw.gateway.services.registry.history('latency'));
    expect(changes[changes.length - 1]!.reason).toMatch(
      /guardrail abgate_latency_ms maxRelativeIncrease breached/,
    );
    expect(load.failed()).toBe(0);
  });

  it('walks a healthy treatment through every step and concludes with it as the winner', async () => {
    const [control, treatment] = await models({});
    const gw = await gatewayFor(
      canary('healthy', control, treatment, [{ metric: 'abgate_errors', max_increase: 0.05 }]),
    );
    const { done, load } = await runUntilEnded(gw, 'healthy');
    expect(done.rollout).toMatchObject({
      state: 'concluded',
      step_index: 2,
      driver: null,
      next_check_at: null,
    });
    expect(done.state).toMatchObject({ status: 'concluded', winner: 'treatment' });
    const changes = rolloutChanges(await gw.gateway.services.registry.history('healthy'));
    expect(changes.map((h) => [h.after.status, h.after.traffic])).toEqual([
      ['running', 20],
      ['running', 40],
      ['running', 60],
      ['concluded', 60],
    ]);
    expect(changes[1]!.reason).toMatch(/^step 2 of 3: 40% of users; abgate_errors maxIncrease/);
    expect(done.rollout!.last_check).toMatchObject({ verdict: 'done' });
    expect(load.failed()).toBe(0);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/abgate_rollout_step\{experiment="healthy"\} 2/);
    expect(metrics).toMatch(/abgate_rollout_state\{experiment="healthy",state="concluded"\} 1/);
  });
});
