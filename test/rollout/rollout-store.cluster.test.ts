// The canary lease and progress on a Redis Cluster: the same store, created as the gateway creates it
// from ABGATE_REDIS_CLUSTER; every key of an experiment carries its hash tag (one slot, scripts allowed).
import { afterAll, expect, it } from 'vitest';
import { createRedisRolloutStore, type RedisRolloutStore } from '../../src/control/rollout-redis-store.js';
import type { RolloutProgress } from '../../src/core/rollout.js';
import { useRedisCluster } from '../setup/redis-cluster.js';

const redis = useRedisCluster({ masters: 3, replicasPerMaster: 0 });
const stores: RedisRolloutStore[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

const step: RolloutProgress = { state: 'stepping', stepIndex: 2, stepStartedAt: 1000, lastCheck: null };

it('takes, renews and hands over the lease, and writes progress for the holder only, on every master', async () => {
  const prefix = redis.uniquePrefix();
  const a = createRedisRolloutStore({ clusterNodes: redis.seedNodes().join(','), prefix });
  const b = createRedisRolloutStore({ clusterNodes: redis.seedNodes().join(','), prefix });
  stores.push(a, b);
  // Enough experiments that their slots fall on every master.
  const ids = Array.from({ length: 12 }, (_, i) => `exp-${i}`);
  for (const id of ids) {
    expect(await a.acquire(id, 'a', 300)).toBe(true);
    expect(await b.acquire(id, 'b', 300)).toBe(false);
    expect(await a.acquire(id, 'a', 300)).toBe(true);
    expect(await b.write(id, 'b', step)).toBe(false);
    expect(await a.write(id, 'a', step)).toBe(true);
  }
  await new Promise((r) => setTimeout(r, 400));
  for (const id of ids) {
    expect(await b.holder(id)).toBeNull();
    expect(await b.acquire(id, 'b', 5000)).toBe(true);
    expect(await b.read(id)).toEqual(step);
    expect(await a.acquire(id, 'a', 5000)).toBe(false);
  }
});
