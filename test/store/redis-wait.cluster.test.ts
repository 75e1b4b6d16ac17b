// WAIT on a Redis Cluster goes to the master that took the batch: with that master's only replica
// down, its writes stay journaled (outcomes answered 'queued') although other masters have replicas;
// once the replica is back they are applied, once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisEventStore } from '../../src/store/redis/redis-event-store.js';
import { useRedisCluster } from '../setup/redis-cluster.js';

const redis = useRedisCluster();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const QUERY = { experiment: 'exp-w', arms: ['a'], metrics: [{ name: 'm', type: 'continuous' as const }] };
const outcome = (userId: string, value: number) => ({
  userId,
  metric: 'm',
  value,
  timestamp: 1,
  targets: [{ experiment: 'exp-w', metricType: 'continuous' as const }],
});

describe('ABGATE_REDIS_WAIT_REPLICAS on Redis Cluster', () => {
  it('waits for a replica of the master of the batch', async () => {
    const cluster = redis.cluster();
    const keyPrefix = redis.uniquePrefix();
    const journalDir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
    dirs.push(journalDir);
    const store = new RedisEventStore({
      clusterNodes: cluster.seedNodes,
      keyPrefix,
      journalDir,
      waitReplicas: 1,
      outcomeWaitMs: 2000,
    });
    try {
      // Connected first: an outcome sent while the cluster client is still connecting may be answered
      // from the journal (`queued`), which is right but not what this test is about.
      for (let i = 0; i < 500 && !store.status().connected; i++) await new Promise((r) => setTimeout(r, 10));
      store.recordExposure({ experiment: 'exp-w', arm: 'a', userId: 'w1', timestamp: 1 });
      expect(await store.recordOutcomes([outcome('w1', 2)])).toEqual(['accepted']);

      const master = await cluster.masterOf(`${keyPrefix}:{exp-w}:meta`);
      const [replica] = await cluster.replicasOf(master);
      await cluster.server(replica!).kill();
      // Applied on the master, but no replica of it confirms: kept in the journal, answered 'queued'.
      expect(await store.recordOutcomes([outcome('w1', 3)])).toEqual(['queued']);
      expect(store.status().queueDepth).toBeGreaterThan(0);

      await cluster.revive(replica!);
      expect(await store.flush(20_000)).toBe(true);
      const agg = await store.readAggregates(QUERY);
      // Re-sent while waiting for the replica, yet applied once.
      expect(agg.arms[0]!.metrics.m!.sum + agg.arms[0]!.metrics.m!.shift).toBe(5);
    } finally {
      await store.close();
    }
  });
});
