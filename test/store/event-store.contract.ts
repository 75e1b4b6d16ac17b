// The behaviour every EventStore must have (the memory store is the reference); run per implementation.
import { afterEach, describe, expect, it } from 'vitest';
import type {
  AggregateQuery,
  EventStore,
  MetricAggregate,
  MetricType,
  OutcomeRecord,
  OutcomeTarget,
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
}

export interface ContractStoreOptions {
  /** How long an event_id is remembered. */
  readonly dedupWindowSeconds?: number;
}

const ZERO: MetricAggregate = { users: 0, sum: 0, sumSquares: 0, converted: 0 };

const target = (experiment: string, metricType: MetricType = 'continuous'): OutcomeTarget => ({
  experiment,
  metricType,
});

function outcome(
  userId: string,
  metric: string,
  value: number,
  targets: readonly OutcomeTarget[],
  eventId?: string,
): OutcomeRecord {
  return { userId, metric, value, targets, eventId, timestamp: 1_700_000_000_000 };
}

/** Per-arm aggregates computed directly from each user's final value (not via the store's update rule). */
function expectedAggregates(
  armOf: ReadonlyMap<string, string>,
  userTotals: ReadonlyMap<string, number>,
): Map<string, MetricAggregate> {
  const byArm = new Map<string, { users: number; sum: number; sumSquares: number; converted: number }>();
  for (const [user, total] of userTotals) {
    const arm = armOf.get(user)!;
    const a = byArm.get(arm) ?? { users: 0, sum: 0, sumSquares: 0, converted: 0 };
    a.users += 1;
    a.sum += total;
    a.sumSquares += total * total;
    byArm.set(arm, a);
  }
  return byArm;
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
        s.store.recordExposure({ experiment: 'exp-count', arm, userId: user, timestamp: 1 });
      }
      const agg = await read(s, { experiment: 'exp-count', arms: ['a', 'b'], metrics: [] });
      expect(agg.experiment).toBe('exp-count');
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
        s.store.recordExposure({ experiment: exp, arm, userId: user, timestamp: 1 });
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
      expect(agg.arms[0]!.metrics.revenue).toEqual({ users: 1, sum: 5, sumSquares: 25, converted: 0 });
      expect(agg.arms[1]!.metrics.revenue).toEqual(ZERO);
      expect(agg.arms[2]!.metrics.revenue).toEqual(ZERO);
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
        s.store.recordExposure({ experiment: exp, arm, userId: user, timestamp: 1 });
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
      expect(agg.arms[0]!.metrics.signup).toEqual({ users: 3, sum: 2, sumSquares: 2, converted: 2 });
      expect(agg.arms[1]!.metrics.signup).toEqual({ users: 1, sum: 1, sumSquares: 1, converted: 1 });
    });

    it('aggregates a continuous metric per user exactly (sum of events, squared per-user totals)', async () => {
      const s = await open();
      const exp = 'exp-continuous';
      const rnd = seededRandom(42);
      const armOf = new Map<string, string>();
      for (let i = 0; i < 40; i++) {
        const arm = rnd.pick(['a', 'b']);
        armOf.set(`user-${i}`, arm);
        s.store.recordExposure({ experiment: exp, arm, userId: `user-${i}`, timestamp: i });
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
      const expected = expectedAggregates(armOf, totals);
      const agg = await read(s, {
        experiment: exp,
        arms: ['a', 'b'],
        metrics: [{ name: 'revenue', type: 'continuous' }],
      });
      for (const arm of agg.arms) {
        expect(arm.metrics.revenue).toEqual({ ...(expected.get(arm.arm) ?? ZERO), converted: 0 });
      }
    });

    it('aggregates arbitrary real values to within rounding', async () => {
      const s = await open();
      const exp = 'exp-real';
      const rnd = seededRandom(7);
      const armOf = new Map<string, string>();
      for (let i = 0; i < 20; i++) {
        armOf.set(`r-${i}`, i % 2 ? 'a' : 'b');
        s.store.recordExposure({
          experiment: exp,
          arm: armOf.get(`r-${i}`)!,
          userId: `r-${i}`,
          timestamp: i,
        });
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
      const expected = expectedAggregates(armOf, totals);
      const agg = await read(s, {
        experiment: exp,
        arms: ['a', 'b'],
        metrics: [{ name: 'latency', type: 'continuous' }],
      });
      for (const arm of agg.arms) {
        const got = arm.metrics.latency!;
        const want = expected.get(arm.arm)!;
        expect(got.users).toBe(want.users);
        expect(Math.abs(got.sum - want.sum)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want.sum)));
        expect(Math.abs(got.sumSquares - want.sumSquares)).toBeLessThanOrEqual(1e-9 * want.sumSquares);
      }
    });

    it('counts an event_id once, across calls and within one batch; events without id always count', async () => {
      const s = await open();
      const exp = 'exp-dedup';
      s.store.recordExposure({ experiment: exp, arm: 'a', userId: 'u1', timestamp: 1 });
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
      expect(agg.arms[0]!.metrics.m).toEqual({ users: 1, sum: 23, sumSquares: 23 * 23, converted: 0 });
    });

    it('forgets an event_id once the dedup window has passed', async () => {
      const s = await open({ dedupWindowSeconds: 1 });
      const exp = 'exp-window';
      s.store.recordExposure({ experiment: exp, arm: 'a', userId: 'u1', timestamp: 1 });
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
      expect(agg.arms[0]!.metrics.m).toEqual({ users: 1, sum: 5, sumSquares: 25, converted: 0 });
    });

    it('remembers event_ids per experiment', async () => {
      const s = await open();
      s.store.recordExposure({ experiment: 'exp-d1', arm: 'a', userId: 'u1', timestamp: 1 });
      s.store.recordExposure({ experiment: 'exp-d2', arm: 'a', userId: 'u1', timestamp: 1 });
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

    it('reports outcomes of users never exposed in a target experiment as unattributed, by metric', async () => {
      const s = await open();
      s.store.recordExposure({ experiment: 'exp-other', arm: 'a', userId: 'elsewhere', timestamp: 1 });
      const t = [target('exp-unattr')];
      expect(
        await s.store.recordOutcomes([
          outcome('nobody', 'clicks', 1, t),
          outcome('elsewhere', 'clicks', 1, t),
          outcome('nobody', 'clicks', 1, [], 'no-target'),
          outcome('nobody', 'views', 3, t, 'v1'),
          outcome('nobody', 'views', 3, t, 'v1'),
        ]),
      ).toEqual(['unattributed', 'unattributed', 'unattributed', 'unattributed', 'duplicate']);
      await s.settle();
      const unattributed = await s.store.readUnattributed();
      expect(unattributed.clicks).toBe(3);
      expect(unattributed.views).toBe(1);
      const agg = await read(s, {
        experiment: 'exp-unattr',
        arms: ['a'],
        metrics: [{ name: 'clicks', type: 'continuous' }],
      });
      expect(agg.arms[0]).toEqual({ arm: 'a', exposures: 0, metrics: { clicks: ZERO } });
    });

    it('counts an outcome in every target experiment the user was exposed in', async () => {
      const s = await open();
      s.store.recordExposure({ experiment: 'exp-ma', arm: 'a', userId: 'both', timestamp: 1 });
      s.store.recordExposure({ experiment: 'exp-mb', arm: 'y', userId: 'both', timestamp: 1 });
      s.store.recordExposure({ experiment: 'exp-ma', arm: 'b', userId: 'only-a', timestamp: 1 });
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
      const one = { users: 1, sum: 1, sumSquares: 1, converted: 1 };
      expect(a.arms.map((x) => x.metrics.buy)).toEqual([one, one]);
      expect(b.arms[0]!.metrics.buy).toEqual(one);
      expect((await s.store.readUnattributed()).buy ?? 0).toBe(0);
    });

    it('applies an outcome after an exposure recorded just before it', async () => {
      const s = await open();
      const exp = 'exp-order';
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < 50; i++) {
        s.store.recordExposure({ experiment: exp, arm: i % 2 ? 'a' : 'b', userId: `o-${i}`, timestamp: i });
        pending.push(s.store.recordOutcomes([outcome(`o-${i}`, 'm', 1, [target(exp, 'binomial')])]));
      }
      expect((await Promise.all(pending)).flat()).toEqual(Array(50).fill('accepted'));
      const agg = await read(s, {
        experiment: exp,
        arms: ['a', 'b'],
        metrics: [{ name: 'm', type: 'binomial' }],
      });
      expect(agg.arms.map((a) => a.metrics.m!.converted)).toEqual([25, 25]);
    });

    it('returns zeros for unknown experiments, arms and metrics', async () => {
      const s = await open();
      s.store.recordExposure({ experiment: 'exp-known', arm: 'a', userId: 'u', timestamp: 1 });
      const metrics = [
        { name: 'nothing', type: 'binomial' as const },
        { name: 'nada', type: 'continuous' as const },
      ];
      const known = await read(s, { experiment: 'exp-known', arms: ['a', 'ghost'], metrics });
      expect(known.arms).toEqual([
        { arm: 'a', exposures: 1, metrics: { nothing: ZERO, nada: ZERO } },
        { arm: 'ghost', exposures: 0, metrics: { nothing: ZERO, nada: ZERO } },
      ]);
      const unknown = await read(s, { experiment: 'exp-unknown', arms: ['x'], metrics: [] });
      expect(unknown).toEqual({
        experiment: 'exp-unknown',
        multipleArmUsers: 0,
        arms: [{ arm: 'x', exposures: 0, metrics: {} }],
      });
    });
  });
}
