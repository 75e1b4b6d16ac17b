// RedisEventStore through real redis-server outages (frozen, killed, down across a restart): exactly once.
// The scenarios are in store-outage.suite.ts (shared with the Redis Cluster run); the volume test is here.
import { afterAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../setup/redis-server.js';
import { useSharedRedis } from '../setup/shared-redis.js';
import { seededRandom } from '../store/seeded-random.js';
import { describeStoreOutages, openStore, tempDir } from './store-outage.suite.js';

const servers: RedisServer[] = [];

afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
});

describeStoreOutages('RedisEventStore through outages', async () => {
  const server = await RedisServer.start({ appendOnly: true });
  servers.push(server);
  return {
    connection: () => ({ url: server.url }),
    freeze: () => server.freeze(),
    thaw: () => server.thaw(),
    kill: () => server.kill(),
    restart: () => server.restart(),
  };
});

describe('RedisEventStore at volume', () => {
  const redis = useSharedRedis();

  it('aggregates 100,000 outcomes of 10,000 users exactly', async () => {
    const journalDir = tempDir();
    // Redis stays up: wait for every answer rather than time out to 'queued'.
    const store = openStore({
      url: redis.url(),
      journalDir,
      keyPrefix: redis.uniquePrefix(),
      outcomeWaitMs: 60_000,
      // A call of 1,000 outcomes on a loaded 2-core machine may take over a second: a timeout would
      // re-send it (counted once, but answered 'queued'), which is not what this test is about.
      commandTimeoutMs: 20_000,
    });
    const rnd = seededRandom(2024);
    const arms = ['control', 'treatment'];
    const armOf: string[] = [];
    for (let u = 0; u < 10_000; u++) {
      armOf.push(rnd.pick(arms));
      store.recordExposure({ experiment: 'exp-volume', arm: armOf[u]!, userId: `v-${u}`, timestamp: u });
    }
    // 10,000 exposures are ten batches ahead: outcomes sent now would be answered 'queued' at once.
    expect(await store.flush(30_000)).toBe(true);
    const spend = new Map<number, number>();
    const converted = new Set<number>();
    const seenConvert = new Set<number>();
    for (let chunk = 0; chunk < 100; chunk++) {
      const records = Array.from({ length: 1000 }, () => {
        const u = rnd.int(0, 9999);
        if (rnd.next() < 0.7) {
          const value = rnd.int(-1600, 16_000) / 16;
          spend.set(u, (spend.get(u) ?? 0) + value);
          return { metric: 'spend', metricType: 'continuous' as const, u, value };
        }
        const value = rnd.next() < 0.2 ? 1 : 0;
        seenConvert.add(u);
        if (value === 1) converted.add(u);
        return { metric: 'convert', metricType: 'binomial' as const, u, value };
      });
      const statuses = await store.recordOutcomes(
        records.map((r) => ({
          userId: `v-${r.u}`,
          metric: r.metric,
          value: r.value,
          timestamp: chunk,
          targets: [{ experiment: 'exp-volume', metricType: r.metricType }],
        })),
      );
      expect(statuses.filter((s) => s !== 'accepted').slice(0, 3), `chunk ${chunk}`).toEqual([]);
    }
    expect(await store.flush(30_000)).toBe(true);

    const agg = await store.readAggregates({
      experiment: 'exp-volume',
      arms,
      metrics: [
        { name: 'spend', type: 'continuous' },
        { name: 'convert', type: 'binomial' },
      ],
    });
    for (const arm of agg.arms) {
      const inArm = (u: number) => armOf[u] === arm.arm;
      const totals = [...spend].filter(([u]) => inArm(u)).map(([, total]) => total);
      const sum = totals.reduce((a, b) => a + b, 0);
      const mean = sum / totals.length;
      const centered = totals.reduce((a, x) => a + (x - mean) ** 2, 0);
      const conv = [...converted].filter(inArm).length;
      expect(arm.exposures).toBe(armOf.filter((a) => a === arm.arm).length);
      const got = arm.metrics.spend!;
      expect(got.users).toBe(totals.length);
      // Σx from the store's mean: exact to rounding (relative 1e-12).
      expect(Math.abs(got.sum + got.users * got.shift - sum)).toBeLessThanOrEqual(1e-12 * Math.abs(sum));
      expect(got.sumSquares - (got.sum * got.sum) / got.users).toBeCloseTo(centered, 3);
      expect(arm.metrics.convert).toEqual({
        users: [...seenConvert].filter(inArm).length,
        shift: 0,
        sum: conv,
        sumSquares: conv,
      });
    }
    expect(store.status().failedEvents).toBe(0);
  });
});
