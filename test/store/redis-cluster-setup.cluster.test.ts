// The cluster test setup itself: a real 3 + 3 cluster starts, routes keys and survives a master kill.
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { useRedisCluster } from '../setup/redis-cluster.js';

const redis = useRedisCluster();

describe('useRedisCluster', () => {
  it('starts 3 masters and 3 replicas and promotes a replica when a master is killed', async () => {
    const cluster = redis.cluster();
    expect(cluster.ports).toHaveLength(6);
    expect(await cluster.masterPorts()).toHaveLength(3);
    const client = new Cluster(
      cluster.seedNodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })),
    );
    try {
      await client.set('{a}:x', '1');
      await client.wait(1, 1000);
      const killed = await cluster.killMasterOf('{a}:x');
      const masters = await cluster.masterPorts();
      expect(masters).toHaveLength(3);
      expect(masters).not.toContain(killed);
      expect(await cluster.masterOf('{a}:x')).not.toBe(killed);
      await cluster.revive(killed);
      expect(await cluster.masterPorts()).not.toContain(killed);
    } finally {
      client.disconnect();
    }
  });
});
