// RedisEventStore through outages of a whole Redis Cluster (every node frozen, or killed and restarted
// from its AOF): exactly once, as on a single server. A single master's failover: store-failover.cluster.test.ts.
import { describeStoreOutages } from './store-outage.suite.js';
import { useRedisCluster } from '../setup/redis-cluster.js';

const redis = useRedisCluster({ appendOnly: true });

describeStoreOutages('RedisEventStore on Redis Cluster through outages', async () => {
  const cluster = redis.cluster();
  await cluster.waitUntilHealthy();
  const keyPrefix = redis.uniquePrefix();
  return {
    connection: () => ({ clusterNodes: cluster.seedNodes, keyPrefix }),
    freeze: () => cluster.servers.forEach((s) => s.freeze()),
    thaw: () => cluster.servers.forEach((s) => s.thaw()),
    kill: () => Promise.all(cluster.servers.map((s) => s.kill())).then(() => undefined),
    restart: async () => {
      await Promise.all(cluster.servers.map((s) => s.restart()));
      await cluster.waitUntilHealthy();
    },
  };
});
