// The gateway measures the built-in guardrails itself: per exposed user and assigned arm, whether any
// request failed (5xx, timeout, connection error, also when control answered in its place) and the
// mean upstream latency; coalesced per user in memory, written on a timer, on size and on shutdown.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { GuardrailCoalescer, armOutcome } from '../../src/gateway/guardrail-coalescer.js';
import type { GuardrailObservation } from '../../src/store/event-store.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { buildReport } from '../../src/reports/build-report.js';
import { twoArmExperiment } from '../helpers/experiments.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { deadUrl, startUpstream, type TestUpstream } from '../helpers/upstream.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function upstreams(): Promise<[TestUpstream, TestUpstream]> {
  const a = await startUpstream('control');
  const b = await startUpstream('treatment');
  closers.push(a.close, b.close);
  return [a, b];
}

async function gatewayWith(doc: unknown, flushMs: number, store = new MemoryEventStore()) {
  const gw: TestGateway = await startGateway([doc], { guardrailFlushMs: flushMs }, { store });
  closers.push(gw.close);
  return { gw, store };
}

async function call(gw: TestGateway, path: string, user: string) {
  const res = await request(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'x-user-id': user },
    body: '{}',
  });
  await res.body.dump();
  const assigned = (res.headers['x-abgate-assigned-arm'] ?? res.headers['x-abgate-arm']) as string;
  return { status: res.statusCode, assigned };
}

function metricArms(report: Awaited<ReturnType<typeof buildReport>>, metric: string) {
  const m = report.metrics.find((x) => x.name === metric)!;
  return Object.fromEntries(m.arms.map((a) => [a.arm, { n: a.n, mean: a.mean }]));
}

async function pollUntil<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('armOutcome', () => {
  it('counts the assigned arm only: its failure, even when control answered, and its time', () => {
    const fellBack = armOutcome('treatment', [
      { arm: 'treatment', result: '5xx', ms: 12 },
      { arm: 'control', result: '2xx', ms: 30 },
    ]);
    expect(fellBack).toEqual({ failed: true, ms: 12 });
    expect(armOutcome('treatment', [{ arm: 'treatment', result: 'timeout', ms: 500 }])).toEqual({
      failed: true,
      ms: 500,
    });
    expect(armOutcome('treatment', [{ arm: 'treatment', result: 'unavailable', ms: 1 }])?.failed).toBe(true);
    expect(armOutcome('treatment', [{ arm: 'treatment', result: '4xx', ms: 3 }])).toEqual({
      failed: false,
      ms: 3,
    });
  });

  it('says nothing when the arm was never tried or the client left first', () => {
    expect(armOutcome('treatment', undefined)).toBeUndefined();
    expect(armOutcome('treatment', [{ arm: 'control', result: '2xx', ms: 3 }])).toBeUndefined();
    expect(armOutcome('treatment', [{ arm: 'treatment', result: 'cancelled', ms: 3 }])).toBeUndefined();
  });
});

describe('GuardrailCoalescer', () => {
  it('measures only the sampled share of users, the same users every time', () => {
    const out: GuardrailObservation[] = [];
    const c = new GuardrailCoalescer(
      { recordGuardrail: (o) => out.push(o) },
      { flushMs: 0, samplePercent: 10 },
    );
    const users = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
    for (const u of users) c.observe('exp', 1, 'control', u, [{ arm: 'control', result: '2xx', ms: 1 }]);
    c.flush();
    const first = new Set(out.map((o) => o.userId));
    // 10% of 20,000 within ±5 standard deviations (binomial sd ≈ 42).
    expect(first.size).toBeGreaterThan(2000 - 212);
    expect(first.size).toBeLessThan(2000 + 212);
    out.length = 0;
    for (const u of users) c.observe('exp', 1, 'treatment', u, [{ arm: 'treatment', result: '2xx', ms: 1 }]);
    c.flush();
    expect(new Set(out.map((o) => o.userId))).toEqual(first); // the same users, whatever the arm
  });

  it('writes one observation per user and arm per flush, with the sum of latencies and any error', () => {
    const out: GuardrailObservation[] = [];
    const c = new GuardrailCoalescer({ recordGuardrail: (o) => out.push(o) }, { flushMs: 0, now: () => 7 });
    c.observe('exp', 1, 'treatment', 'u1', [{ arm: 'treatment', result: '2xx', ms: 10 }]);
    c.observe('exp', 1, 'treatment', 'u1', [{ arm: 'treatment', result: '5xx', ms: 30 }]);
    c.observe('exp', 1, 'treatment', 'u1', [{ arm: 'treatment', result: '2xx', ms: 20 }]);
    c.observe('exp', 1, 'control', 'u2', [{ arm: 'control', result: '2xx', ms: 5 }]);
    c.observe('exp', 2, 'control', 'u2', [{ arm: 'control', result: '2xx', ms: 6 }]);
    expect(out).toHaveLength(0);
    expect(c.flush()).toBe(3);
    expect(out).toEqual([
      {
        experiment: 'exp',
        phase: 1,
        arm: 'treatment',
        userId: 'u1',
        errors: 1,
        latencyMs: 60,
        requests: 3,
        timestamp: 7,
      },
      {
        experiment: 'exp',
        phase: 1,
        arm: 'control',
        userId: 'u2',
        errors: 0,
        latencyMs: 5,
        requests: 1,
        timestamp: 7,
      },
      {
        experiment: 'exp',
        phase: 2,
        arm: 'control',
        userId: 'u2',
        errors: 0,
        latencyMs: 6,
        requests: 1,
        timestamp: 7,
      },
    ]);
    expect(c.flush()).toBe(0);
  });

  it('flushes early once it holds maxEntries users, so its memory stays bounded', () => {
    const out: GuardrailObservation[] = [];
    const c = new GuardrailCoalescer(
      { recordGuardrail: (o) => out.push(o) },
      { flushMs: 0, maxEntries: 100 },
    );
    for (let i = 0; i < 250; i++)
      c.observe('exp', 1, 'control', `u${i}`, [{ arm: 'control', result: '2xx', ms: 1 }]);
    expect(out).toHaveLength(200);
    expect(c.size).toBe(50);
    c.close();
    expect(out).toHaveLength(250);
  });
});

describe('the gateway records guardrails', () => {
  it('counts a failed treatment against treatment although control answered (fallback), on the flush timer', async () => {
    const [control, treatment] = await upstreams();
    const doc = twoArmExperiment('exp', [control.url, treatment.url], {
      arms: [
        { name: 'control', upstream: control.url },
        { name: 'treatment', upstream: treatment.url, fallback: 'control' },
      ],
      guardrails: [{ metric: 'abgate_errors', max_increase: 0.01 }],
    });
    const { gw, store } = await gatewayWith(doc, 50);
    const byArm: Record<string, number> = { control: 0, treatment: 0 };
    for (let i = 0; i < 60; i++) {
      // /fail/treatment: the treatment upstream answers 500, control answers 201.
      for (let k = 0; k < 2; k++) {
        const r = await call(gw, '/exp/fail/treatment', `user-${i}`);
        expect(r.status).toBe(201); // the client never sees the treatment's failure
        if (k === 0) byArm[r.assigned]!++;
      }
    }
    expect(byArm.control).toBeGreaterThan(5);
    expect(byArm.treatment).toBeGreaterThan(5);
    const def = gw.gateway.services.catalog.byId.get('exp')!.definition;
    const report = await pollUntil(
      () => buildReport(def, store, Date.now),
      (r) =>
        metricArms(r, 'abgate_errors').treatment?.n === byArm.treatment &&
        metricArms(r, 'abgate_errors').control?.n === byArm.control,
    );
    const errors = metricArms(report, 'abgate_errors');
    expect(errors).toEqual({
      control: { n: byArm.control, mean: 0 },
      treatment: { n: byArm.treatment, mean: 1 },
    });
    const latency = metricArms(report, 'abgate_latency_ms');
    expect(latency.control!.n).toBe(byArm.control);
    expect(latency.treatment!.n).toBe(byArm.treatment);
    expect(latency.control!.mean).toBeGreaterThan(0);
    expect(latency.treatment!.mean).toBeGreaterThan(0);
    const g = report.guardrails.find((x) => x.metric === 'abgate_errors')!;
    expect(g.estimate).toBe(1);
    // Control's /metrics agree: the failure is the treatment's.
    const metrics = await (await request(`${gw.url}/metrics`)).body.text();
    expect(metrics).toMatch(/abgate_fallbacks_total\{experiment="exp",arm="treatment"\} \d+/);
  });

  it('counts a connection error and a timeout of the assigned arm as errors (no fallback: the client gets the error)', async () => {
    const [control] = await upstreams();
    const dead = await deadUrl();
    const doc = twoArmExperiment('exp', [control.url, dead], {
      arms: [
        { name: 'control', upstream: control.url, timeout_ms: 100 },
        { name: 'treatment', upstream: dead },
      ],
    });
    const { gw, store } = await gatewayWith(doc, 600_000);
    const seen: Record<string, string> = {};
    for (let i = 0; i < 30; i++) {
      // /slow/400 on control: past its 100 ms timeout.
      const r = await call(gw, '/exp/slow/300', `user-${i}`);
      seen[`user-${i}`] = r.assigned;
      expect(r.status).toBe(r.assigned === 'treatment' ? 502 : 504);
    }
    expect(gw.gateway.services.guardrails.size).toBe(30);
    gw.gateway.services.guardrails.flush();
    const def = gw.gateway.services.catalog.byId.get('exp')!.definition;
    const errors = metricArms(await buildReport(def, store, Date.now), 'abgate_errors');
    const n = (arm: string) => Object.values(seen).filter((a) => a === arm).length;
    expect(errors).toEqual({
      control: { n: n('control'), mean: 1 },
      treatment: { n: n('treatment'), mean: 1 },
    });
  });

  it('flushes what is pending when the gateway shuts down, before the store closes', async () => {
    const [control, treatment] = await upstreams();
    const store = new MemoryEventStore();
    const doc = twoArmExperiment('exp', [control.url, treatment.url]);
    const gw = await startGateway([doc], { guardrailFlushMs: 600_000 }, { store });
    for (let i = 0; i < 20; i++) await call(gw, '/exp/x', `user-${i}`);
    const def = gw.gateway.services.catalog.byId.get('exp')!.definition;
    const before = metricArms(await buildReport(def, store, Date.now), 'abgate_latency_ms');
    expect((before.control?.n ?? 0) + (before.treatment?.n ?? 0)).toBe(0);
    await gw.close();
    const after = metricArms(await buildReport(def, store, Date.now), 'abgate_latency_ms');
    expect((after.control?.n ?? 0) + (after.treatment?.n ?? 0)).toBe(20);
  });

  it('records nothing for users outside the experiment (not enrolled, forced): they are no exposures', async () => {
    const [control, treatment] = await upstreams();
    const doc = twoArmExperiment('exp', [control.url, treatment.url], { traffic: 0 });
    const { gw } = await gatewayWith(doc, 600_000);
    for (let i = 0; i < 10; i++) await call(gw, '/exp/x', `user-${i}`);
    const res = await request(`${gw.url}/exp/x`, {
      method: 'POST',
      headers: { 'x-user-id': 'qa', 'x-abgate-force-arm': 'treatment' },
      body: '{}',
    });
    await res.body.dump();
    expect(res.statusCode).toBe(201);
    expect(gw.gateway.services.guardrails.size).toBe(0);
  });
});
