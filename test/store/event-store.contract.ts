// The behaviour every EventStore must have (the memory store is the reference); run per implementation.
// Expected values are computed here from each user's final value, not through the stores' update rule,
// and compared through quantities that do not depend on the shift a store chose (Σx and Σ(x − mean)²).
import { afterEach, describe, expect, it } from 'vitest';
import type {
  AggregateQuery,
  EventStore,
  MetricType,
  MomentSums,
  OutcomeRecord,
  OutcomeTarget,
  RatioSums,
} from '../../src/store/event-store.js';
import { seededRandom } from './seeded-random.js';

export interface StoreUnderTest {
  readonly store: EventStore;
  /** Resolves once every write made so far is visible to reads. */
  settle(): Promise<void>;
  /** Releases the store and whatever it holds. */
  dispose(): Promise<void>;
  /** Lets `ms` of the store's time pass (a fake clock, or real waiting). */
  elapse(ms: number): Promise<void>;
  /** Moves the store's clock (days, grace periods) `ms` ahead without waiting; TTLs in Redis do not move. */
  advanceClock(ms: number): void;
}

export interface ContractStoreOptions {
  /** How long an event_id is remembered. */
  readonly dedupWindowSeconds?: number;
  /** How long an outcome without exposure is held. @default 60000 in these tests */
  readonly attributionGraceMs?: number;
}

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

const target = (
  experiment: string,
  metricType: MetricType = 'continuous',
  extra: Partial<OutcomeTarget> = {},
): OutcomeTarget => ({
  experiment,
  metricType,
  ...extra,
});

function outcome(
  userId: string,
  metric: string,
  value: number,
  targets: readonly OutcomeTarget[],
  eventId?: string,
  timestamp = T0,
): OutcomeRecord {
  return { userId, metric, value, targets, eventId, timestamp };
}

/** What a MomentSums says, whatever its shift: users with a value, Σx and Σ(x − mean)². */
function moments(m: MomentSums) {
  return {
    users: m.users,
    total: m.sum + m.users * m.shift,
    centered: m.users > 0 ? m.sumSquares - (m.sum * m.sum) / m.users : 0,
  };
}

/** The same, straight from the values. */
function momentsOf(values: readonly number[]) {
  const total = values.reduce((a, b) => a + b, 0);
  const mean = values.length > 0 ? total / values.length : 0;
  return { users: values.length, total, centered: values.reduce((a, x) => a + (x - mean) ** 2, 0) };
}

function expectMoments(got: MomentSums | undefined, values: readonly number[], relTol = 0) {
  const g = moments(got!);
  const w = momentsOf(values);
  expect(g.users).toBe(w.users);
  if (relTol === 0) {
    expect(g.total).toBe(w.total);
    expect(g.centered).toBe(w.centered);
  } else {
    expect(Math.abs(g.total - w.total)).toBeLessThanOrEqual(relTol * Math.max(1, Math.abs(w.total)));
    expect(Math.abs(g.centered - w.centered)).toBeLessThanOrEqual(relTol * Math.max(1e-300, w.centered));
  }
}

/** Ratio sums as raw Σn, Σd, Σ(n−n̄)², Σ(d−d̄)², Σ(n−n̄)(d−d̄) over the users in the ratio. */
function ratioMoments(r: RatioSums) {
  const m = r.users;
  return {
    users: m,
    n: r.sumN + m * r.shiftN,
    d: r.sumD + m * r.shiftD,
    nn: r.sumNN - (r.sumN * r.sumN) / m,
    dd: r.sumDD - (r.sumD * r.sumD) / m,
    nd: r.sumND - (r.sumN * r.sumD) / m,
  };
}

export function describeEventStoreContract(
  name: string,
  makeStore: (options?: ContractStoreOptions) => Promise<StoreUnderTest>,
): void {
  describe(`EventStore contract: ${name}`, () => {
    let opened: StoreUnderTest[] = [];
    const open = async (options?: ContractStoreOptions) => {
      const s = await makeStore(options);
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      const toClose = opened;
      opened = [];
      for (const s of toClose) expect(s.store.status().failedEvents).toBe(0);
      await Promise.all(toClose.map((s) => s.dispose()));
    });

    const read = async (s: StoreUnderTest, query: AggregateQuery) => {
      await s.settle();
      return s.store.readAggregates(query);
    };
    const expose = (s: StoreUnderTest, experiment: string, arm: string, userId: string, extra = {}) =>
      s.store.recordExposure({ experiment, arm, userId, timestamp: T0, ...extra });

    it('counts unique exposures per arm', async () => {
      const s = await open();
      for (const [user, arm] of [
        ['u1', 'a'],
        ['u2', 'a'],
        ['u3', 'a'],
        ['u4', 'b'],
        ['u5', 'b'],
        ['u1', 'a'],
        ['u1', 'a'],
        ['u4', 'b'],
      ] as const) {
        expose(s, 'exp-count', arm, user);
      }
      const agg = await read(s, { experiment: 'exp-count', arms: ['a', 'b'], metrics: [] });
      expect(agg.experiment).toBe('exp-count');
      expect(agg.phase).toBe(1);
      expect(agg.arms.map((a) => [a.arm, a.exposures])).toEqual([
        ['a', 3],
        ['b', 2],
      ]);
      expect(agg.multipleArmUsers).toBe(0);
    });

    it('keeps a user in the first arm seen and counts users seen in several arms once', async () => {
      const s = await open();
      const exp = 'exp-first';
      for (const [user, arm] of [
        ['u1', 'a'],
        ['u1', 'b'],
        ['u1', 'c'],
        ['u1', 'b'],
        ['u2', 'b'],
        ['u2', 'b'],
        ['u3', 'c'],
        ['u3', 'a'],
      ] as const) {
        expose(s, exp, arm, user);
      }
      expect(await s.store.recordOutcomes([outcome('u1', 'revenue', 5, [target(exp)])])).toEqual([
        'accepted',
      ]);
      const agg = await read(s, {
        experiment: exp,
        arms: ['a', 'b', 'c'],
        metrics: [{ name: 'revenue', type: 'continuous' }],
      });
      expect(agg.arms.map((a) => a.exposures)).toEqual([1, 1, 1]);
      expect(agg.multipleArmUsers).toBe(2);
      expectMoments(agg.arms[0]!.metrics.revenue, [5]);
      expectMoments(agg.arms[1]!.metrics.revenue, []);
    });

    it('never lets a forced request set an arm; a forced user in another arm is a multiple-arm user', async () => {
      const s = await open();
      const exp = 'exp-forced';
      expose(s, exp, 'b', 'qa', { forced: true }); // no arm recorded
      expose(s, exp, 'a', 'real');
      expose(s, exp, 'b', 'real', { forced: true }); // saw b, counted in a: contaminated
      expose(s, exp, 'a', 'same');
      expose(s, exp, 'a', 'same', { forced: true });
      const agg = await read(s, { experiment: exp, arms: ['a', 'b'], metrics: [] });
      expect(agg.arms.map((a) => a.exposures)).toEqual([2, 0]);
      expect(agg.multipleArmUsers).toBe(1);
    });

    it('aggregates a binomial metric per user: value 0 records the user, a user converts once', async () => {
      const s = await open();
      const exp = 'exp-binomial';
      for (const [user, arm] of [
        ['u1', 'a'],
        ['u2', 'a'],
        ['u3', 'a'],
        ['u4', 'b'],
      ] as const) {
        expose(s, exp, arm, user);
      }
      const t = [target(exp, 'binomial')];
      const events = [
        ['u1', 0],
        ['u1', 0],
        ['u1', 1],
        ['u1', 1],
        ['u1', 0],
        ['u2', 0],
        ['u3', 1],
        ['u3', 1],
        ['u4', 0],
        ['u4', 1],
      ] as const;
      const statuses = await s.store.recordOutcomes(events.map(([u, v]) => outcome(u, 'signup', v, t)));
      expect(statuses).toEqual(events.map(() => 'accepted'));
      const agg = await read(s, {
        experiment: exp,
        arms: ['a', 'b'],
        metrics: [{ name: 'signup', type: 'binomial' }],
      });
      // Binomial sums are exact counts: no shift.
      expect(agg.arms[0]!.metrics.signup).toEqual({ users: 3, shift: 0, sum: 2, sumSquares: 2 });
      expect(agg.arms[1]!.metrics.signup).toEqual({ users: 1, shift: 0, sum: 1, sumSquares: 1 });
    });

    it('aggregates a continuous metric per user exactly (sum of events per user)', async () => {
      const s = await open();
      const exp = 'exp-continuous';
      const rnd = seededRandom(42);
      const armOf = new Map<string, string>();
      for (let i = 0; i < 40; i++) {
        const arm = rnd.pick(['a', 'b']);
        armOf.set(`user-${i}`, arm);
        expose(s, exp, arm, `user-${i}`);
      }
      const totals = new Map<string, number>();
      const records: OutcomeRecord[] = [];
      for (let i = 0; i < 400; i++) {
        const user = `user-${rnd.int(0, 39)}`;
        const value = rnd.int(-400, 4000) / 8; // exact in binary: sums are order-independent
        totals.set(user, (totals.get(user) ?? 0) + value);
        records.push(outcome(user, 'revenue', value, [target(exp)]));
      }
      for (let i = 0; i < records.length; i += 97) {
        const statuses = await s.store.recordOutcomes(records.slice(i, i + 97));
        expect(new Set(statuses)).toEqual(new Set(['accepted']));
      }
      const agg = await read(s, {
        experiment: exp,
        arms: ['a', 'b'],
        metrics: [{ name: 'revenue', type: 'continuous' }],
      });
      for (const arm of agg.arms) {
        const values = [...totals].filter(([u]) => armOf.get(u) === arm.arm).map(([, v]) => v);
        expectMoments(arm.metrics.revenue, values, 1e-12);
      }
    });

    it('keeps the variance of large values with a small spread exact (shifted sums)', async () => {
      const s = await open();
      const exp = 'exp-precision';
      const rnd = seededRandom(9);
      const values: number[] = [];
      const records: OutcomeRecord[] = [];
      for (let i = 0; i < 3000; i++) {
        expose(s, exp, 'a', `p-${i}`);
        // Unix-timestamp-like values: 1.7e9 ± 1000, in steps of 1/64 (exact in binary).
        const x = 1.7e9 + Math.round((rnd.next() - 0.5) * 2000 * 64) / 64;
        values.push(x);
        records.push(outcome(`p-${i}`, 'ts', x, [target(exp)]));
      }
      await s.store.recordOutcomes(records);
      const agg = await read(s, {
        experiment: exp,
        arms: ['a'],
        metrics: [{ name: 'ts', type: 'continuous' }],
      });
      const m = agg.arms[0]!.metrics.ts!;
      // Σx² − (Σx)²/n would lose ~all of it here (Σx² ≈ 8.7e21, centered ≈ 1e9): the shift keeps 1e-9.
      expectMoments(m, values, 1e-9);
    });

    it('aggregates arbitrary real values to within rounding', async () => {
      const s = await open();
      const exp = 'exp-real';
      const rnd = seededRandom(7);
      const armOf = new Map<string, string>();
      for (let i = 0; i < 20; i++) {
        armOf.set(`r-${i}`, i % 2 ? 'a' : 'b');
        expose(s, exp, armOf.get(`r-${i}`)!, `r-${i}`);
      }
      const totals = new Map<string, number>();
      const records: OutcomeRecord[] = [];
      for (let i = 0; i < 200; i++) {
        const user = `r-${rnd.int(0, 19)}`;
        const value = (rnd.next() - 0.3) * 1234.567;
        totals.set(user, (totals.get(user) ?? 0) + value);
        records.push(outcome(user, 'latency', value, [target(exp)]));
      }
      await s.store.recordOutcomes(records);
      const agg = await read(s, {
        experiment: exp,
        arms: ['a', 'b'],
        metrics: [{ name: 'latency', type: 'continuous' }],
      });
      for (const arm of agg.arms) {
        const values = [...totals].filter(([u]) => armOf.get(u) === arm.arm).map(([, v]) => v);
        expectMoments(arm.metrics.latency, values, 1e-9);
      }
    });

    it('caps each user at `cap`, applied to the running total (winsorising)', async () => {
      const s = await open();
      const exp = 'exp-cap';
      for (const u of ['w1', 'w2', 'w3']) expose(s, exp, 'a', u);
      const t = [target(exp, 'continuous', { cap: 100 })];
      await s.store.recordOutcomes([
        outcome('w1', 'rev', 60, t),
        outcome('w1', 'rev', 60, t), // 120 → counts 100
        outcome('w2', 'rev', 5000, t), // a whale → 100
        outcome('w2', 'rev', -4950, t), // back to 50: counts 50
        outcome('w3', 'rev', 30, t),
      ]);
      const agg = await read(s, {
        experiment: exp,
        arms: ['a'],
        metrics: [{ name: 'rev', type: 'continuous' }],
      });
      expectMoments(agg.arms[0]!.metrics.rev, [100, 50, 30]);
    });

    it('keeps ratio metrics per user: sums, squares and cross products over users with either part', async () => {
      const s = await open();
      const exp = 'exp-ratio';
      const rnd = seededRandom(3);
      const users = Array.from({ length: 30 }, (_, i) => `q-${i}`);
      for (const u of users) expose(s, exp, 'a', u);
      const ratio = { name: 'rps', numerator: 'revenue', denominator: 'sessions' };
      const link = (role: 'numerator' | 'denominator', other: string, type: MetricType) => [
        { name: 'rps', role, other: { metric: other, type } },
      ];
      const revT = [target(exp, 'continuous', { ratios: link('numerator', 'sessions', 'continuous') })];
      const sesT = [target(exp, 'continuous', { ratios: link('denominator', 'revenue', 'continuous') })];
      const n = new Map<string, number>();
      const d = new Map<string, number>();
      const records: OutcomeRecord[] = [];
      for (let i = 0; i < 150; i++) {
        const u = rnd.pick(users.slice(0, 25)); // the last 5 users have neither: not in the ratio
        if (rnd.next() < 0.4) {
          const v = rnd.int(0, 800) / 4;
          n.set(u, (n.get(u) ?? 0) + v);
          records.push(outcome(u, 'revenue', v, revT));
        } else {
          d.set(u, (d.get(u) ?? 0) + 1);
          records.push(outcome(u, 'sessions', 1, sesT));
        }
      }
      await s.store.recordOutcomes(records);
      const agg = await read(s, {
        experiment: exp,
        arms: ['a'],
        metrics: [
          { name: 'revenue', type: 'continuous' },
          { name: 'sessions', type: 'continuous' },
        ],
        ratios: [ratio],
      });
      const inRatio = users.filter((u) => n.has(u) || d.has(u));
      const ns = inRatio.map((u) => n.get(u) ?? 0);
      const ds = inRatio.map((u) => d.get(u) ?? 0);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const nBar = mean(ns);
      const dBar = mean(ds);
      const got = ratioMoments(agg.arms[0]!.ratios.rps!);
      expect(got.users).toBe(inRatio.length);
      expect(got.n).toBeCloseTo(
        ns.reduce((a, b) => a + b, 0),
        9,
      );
      expect(got.d).toBeCloseTo(
        ds.reduce((a, b) => a + b, 0),
        9,
      );
      expect(got.nn).toBeCloseTo(
        ns.reduce((a, x) => a + (x - nBar) ** 2, 0),
        6,
      );
      expect(got.dd).toBeCloseTo(
        ds.reduce((a, x) => a + (x - dBar) ** 2, 0),
        6,
      );
      expect(got.nd).toBeCloseTo(
        ns.reduce((a, x, i) => a + (x - nBar) * (ds[i]! - dBar), 0),
        6,
      );
    });

    it('records guardrail observations: any error per user, and each user’s mean latency', async () => {
      const s = await open();
      const exp = 'exp-guard';
      expose(s, exp, 'a', 'g1');
      expose(s, exp, 'a', 'g2');
      const obs = (userId: string, errors: 0 | 1, latencyMs: number, requests: number) =>
        s.store.recordGuardrail({
          experiment: exp,
          arm: 'a',
          userId,
          errors,
          latencyMs,
          requests,
          timestamp: T0,
        });
      obs('g1', 0, 30, 2); // two requests: 10 and 20 ms
      obs('g1', 1, 60, 1); // a failed one of 60 ms: mean (10+20+60)/3 = 30
      obs('g2', 0, 8, 1);
      obs('g2', 0, 4, 2); // mean 12/3 = 4
      const agg = await read(s, {
        experiment: exp,
        arms: ['a'],
        metrics: [
          { name: 'abgate_errors', type: 'binomial' },
          { name: 'abgate_latency_ms', type: 'mean' },
        ],
      });
      expect(agg.arms[0]!.metrics.abgate_errors).toEqual({ users: 2, shift: 0, sum: 1, sumSquares: 1 });
      expectMoments(agg.arms[0]!.metrics.abgate_latency_ms, [30, 4]);
    });

    it('counts an event_id once, across calls and within one batch; events without id always count', async () => {
      const s = await open();
      const exp = 'exp-dedup';
      expose(s, exp, 'a', 'u1');
      const t = [target(exp)];
      expect(
        await s.store.recordOutcomes([outcome('u1', 'm', 1, t, 'e1'), outcome('u1', 'm', 1, t, 'e1')]),
      ).toEqual(['accepted', 'duplicate']);
      expect(await s.store.recordOutcomes([outcome('u1', 'm', 7, t, 'e1')])).toEqual(['duplicate']);
      expect(await s.store.recordOutcomes([outcome('u1', 'm', 2, t, 'e2')])).toEqual(['accepted']);
      expect(await s.store.recordOutcomes([outcome('u1', 'm', 10, t), outcome('u1', 'm', 10, t)])).toEqual([
        'accepted',
        'accepted',
      ]);
      const agg = await read(s, {
        experiment: exp,
        arms: ['a'],
        metrics: [{ name: 'm', type: 'continuous' }],
      });
      expectMoments(agg.arms[0]!.metrics.m, [23]);
    });

    it('forgets an event_id once the dedup window has passed', async () => {
      const s = await open({ dedupWindowSeconds: 1 });
      const exp = 'exp-window';
      expose(s, exp, 'a', 'u1');
      const t = [target(exp)];
      expect(await s.store.recordOutcomes([outcome('u1', 'm', 1, t, 'w1')])).toEqual(['accepted']);
      await s.elapse(400);
      expect(await s.store.recordOutcomes([outcome('u1', 'm', 2, t, 'w1')])).toEqual(['duplicate']);
      await s.elapse(1200); // 1.6 s after the first: outside the window
      expect(await s.store.recordOutcomes([outcome('u1', 'm', 4, t, 'w1')])).toEqual(['accepted']);
      expect(await s.store.recordOutcomes([outcome('u1', 'm', 8, t, 'w1')])).toEqual(['duplicate']);
      const agg = await read(s, {
        experiment: exp,
        arms: ['a'],
        metrics: [{ name: 'm', type: 'continuous' }],
      });
      expectMoments(agg.arms[0]!.metrics.m, [5]);
    });

    it('remembers event_ids per experiment', async () => {
      const s = await open();
      expose(s, 'exp-d1', 'a', 'u1');
      expose(s, 'exp-d2', 'a', 'u1');
      expect(await s.store.recordOutcomes([outcome('u1', 'm', 1, [target('exp-d1')], 'same')])).toEqual([
        'accepted',
      ]);
      expect(await s.store.recordOutcomes([outcome('u1', 'm', 1, [target('exp-d2')], 'same')])).toEqual([
        'accepted',
      ]);
      expect(
        await s.store.recordOutcomes([outcome('u1', 'm', 1, [target('exp-d1'), target('exp-d2')], 'same')]),
      ).toEqual(['duplicate']);
    });

    it('holds an outcome that comes before its exposure, and counts it when the exposure arrives', async () => {
      const s = await open();
      const exp = 'exp-held';
      const t = [target(exp, 'continuous')];
      expect(
        await s.store.recordOutcomes([outcome('early', 'rev', 7, t, 'x1'), outcome('early', 'rev', 3, t)]),
      ).toEqual(['held', 'held']);
      expect(await s.store.recordOutcomes([outcome('early', 'rev', 7, t, 'x1')])).toEqual(['duplicate']);
      const before = await read(s, {
        experiment: exp,
        arms: ['a'],
        metrics: [{ name: 'rev', type: 'continuous' }],
      });
      expect(before.heldUsers).toBe(1);
      expectMoments(before.arms[0]!.metrics.rev, []);
      expose(s, exp, 'a', 'early'); // e.g. written late by another gateway
      const after = await read(s, {
        experiment: exp,
        arms: ['a'],
        metrics: [{ name: 'rev', type: 'continuous' }],
      });
      expect(after.heldUsers).toBe(0);
      expect(after.arms[0]!.exposures).toBe(1);
      expectMoments(after.arms[0]!.metrics.rev, [10]);
      expect(after.unattributed.rev).toBe(0);
    });

    it('counts a held outcome as unattributed, by metric, once its grace period is over', async () => {
      const s = await open({ attributionGraceMs: 300 });
      const exp = 'exp-unattr';
      expose(s, 'exp-other', 'a', 'elsewhere');
      const t = [target(exp, 'continuous')];
      expect(
        await s.store.recordOutcomes([
          outcome('nobody', 'clicks', 1, t),
          outcome('elsewhere', 'clicks', 1, t),
          outcome('nobody', 'views', 3, t, 'v1'),
          outcome('nobody', 'views', 3, t, 'v1'),
        ]),
      ).toEqual(['held', 'held', 'held', 'duplicate']);
      await s.elapse(700);
      const metrics = [
        { name: 'clicks', type: 'continuous' as const },
        { name: 'views', type: 'continuous' as const },
      ];
      const agg = await read(s, { experiment: exp, arms: ['a'], metrics });
      expect(agg.unattributed).toEqual({ clicks: 2, views: 1 });
      expect(agg.heldUsers).toBe(0);
      // Too late: the exposure no longer brings them back.
      expose(s, exp, 'a', 'nobody');
      const late = await read(s, { experiment: exp, arms: ['a'], metrics });
      expect(late.arms[0]!.exposures).toBe(1);
      expectMoments(late.arms[0]!.metrics.clicks, []);
      expect(late.unattributed).toEqual({ clicks: 2, views: 1 });
    });

    it('counts an outcome in every target experiment the user was exposed in', async () => {
      const s = await open();
      expose(s, 'exp-ma', 'a', 'both');
      expose(s, 'exp-mb', 'y', 'both');
      expose(s, 'exp-ma', 'b', 'only-a');
      const targets = [target('exp-ma', 'binomial'), target('exp-mb', 'binomial')];
      expect(
        await s.store.recordOutcomes([
          outcome('both', 'buy', 1, targets, 'b1'),
          outcome('only-a', 'buy', 1, targets, 'o1'),
          outcome('both', 'buy', 1, targets, 'b1'),
        ]),
      ).toEqual(['accepted', 'accepted', 'duplicate']);
      const metrics = [{ name: 'buy', type: 'binomial' as const }];
      const a = await read(s, { experiment: 'exp-ma', arms: ['a', 'b'], metrics });
      const b = await read(s, { experiment: 'exp-mb', arms: ['y'], metrics });
      const one = { users: 1, shift: 0, sum: 1, sumSquares: 1 };
      expect(a.arms.map((x) => x.metrics.buy)).toEqual([one, one]);
      expect(b.arms[0]!.metrics.buy).toEqual(one);
      expect(b.heldUsers).toBe(1); // only-a is waiting for an exposure in exp-mb
    });

    it('keeps phases apart: a user exposed in phase 1 only is not in phase 2', async () => {
      const s = await open();
      const exp = 'exp-phases';
      expose(s, exp, 'a', 'old', { phase: 1 });
      expose(s, exp, 'b', 'new', { phase: 2 });
      expose(s, exp, 'a', 'old', { phase: 2 }); // re-bucketed in phase 2: a new, independent exposure
      const t2 = [target(exp, 'binomial', { phase: 2 })];
      expect(
        await s.store.recordOutcomes([outcome('old', 'buy', 1, t2), outcome('new', 'buy', 1, t2)]),
      ).toEqual(['accepted', 'accepted']);
      const metrics = [{ name: 'buy', type: 'binomial' as const }];
      const p1 = await read(s, { experiment: exp, phase: 1, arms: ['a', 'b'], metrics });
      const p2 = await read(s, { experiment: exp, phase: 2, arms: ['a', 'b'], metrics });
      expect(p1.arms.map((a) => [a.exposures, a.metrics.buy!.sum])).toEqual([
        [1, 0],
        [0, 0],
      ]);
      expect(p2.arms.map((a) => [a.exposures, a.metrics.buy!.sum])).toEqual([
        [1, 1],
        [1, 1],
      ]);
    });

    it('keeps the state at the end of each day; the last day is the totals', async () => {
      const s = await open();
      const exp = 'exp-daily';
      const t = [target(exp)];
      const query = {
        experiment: exp,
        arms: ['a', 'b'],
        metrics: [{ name: 'rev', type: 'continuous' as const }],
      };
      await s.settle();
      const first = (await s.store.readDaily(query)).length; // 0: nothing yet
      expose(s, exp, 'a', 'd1');
      await s.store.recordOutcomes([outcome('d1', 'rev', 4, t)]);
      await s.settle();
      s.advanceClock(DAY);
      expose(s, exp, 'a', 'd2');
      await s.store.recordOutcomes([outcome('d1', 'rev', 6, t), outcome('d2', 'rev', 1.5, t)]);
      await s.settle();
      s.advanceClock(2 * DAY); // a day without events in between
      expose(s, exp, 'b', 'd3');
      await s.store.recordOutcomes([outcome('d3', 'rev', 2, t)]);
      await s.settle();
      const days = await s.store.readDaily(query);
      const totals = await s.store.readAggregates(query);
      expect(first).toBe(0);
      expect(days).toHaveLength(3);
      expect(days[1]!.day - days[0]!.day).toBe(1);
      expect(days[2]!.day - days[1]!.day).toBe(2);
      expect(days.map((d) => d.arms.map((a) => a.exposures))).toEqual([
        [1, 0],
        [2, 0],
        [2, 1],
      ]);
      expectMoments(days[0]!.arms[0]!.metrics.rev, [4]);
      expectMoments(days[1]!.arms[0]!.metrics.rev, [10, 1.5]);
      expect(days[2]!.arms).toEqual(totals.arms);
    });

    it('applies an outcome after an exposure recorded just before it', async () => {
      const s = await open();
      const exp = 'exp-order';
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < 50; i++) {
        expose(s, exp, i % 2 ? 'a' : 'b', `o-${i}`);
        pending.push(s.store.recordOutcomes([outcome(`o-${i}`, 'm', 1, [target(exp, 'binomial')])]));
      }
      expect((await Promise.all(pending)).flat()).toEqual(Array(50).fill('accepted'));
      const agg = await read(s, {
        experiment: exp,
        arms: ['a', 'b'],
        metrics: [{ name: 'm', type: 'binomial' }],
      });
      expect(agg.arms.map((a) => a.metrics.m!.sum)).toEqual([25, 25]);
    });

    it('returns zeros for unknown experiments, phases, arms and metrics', async () => {
      const s = await open();
      expose(s, 'exp-known', 'a', 'u');
      const metrics = [
        { name: 'nothing', type: 'binomial' as const },
        { name: 'nada', type: 'continuous' as const },
      ];
      const ZERO = { users: 0, shift: 0, sum: 0, sumSquares: 0 };
      const known = await read(s, { experiment: 'exp-known', arms: ['a', 'ghost'], metrics });
      expect(known.arms).toEqual([
        { arm: 'a', exposures: 1, metrics: { nothing: ZERO, nada: ZERO }, ratios: {} },
        { arm: 'ghost', exposures: 0, metrics: { nothing: ZERO, nada: ZERO }, ratios: {} },
      ]);
      const unknown = await read(s, { experiment: 'exp-unknown', phase: 3, arms: ['x'], metrics: [] });
      expect(unknown).toEqual({
        experiment: 'exp-unknown',
        phase: 3,
        multipleArmUsers: 0,
        arms: [{ arm: 'x', exposures: 0, metrics: {}, ratios: {} }],
        unattributed: {},
        heldUsers: 0,
      });
      expect(await s.store.readDaily({ experiment: 'exp-unknown', arms: ['x'], metrics: [] })).toEqual([]);
    });
  });
}
