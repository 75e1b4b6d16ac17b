// Runs the EventStore contract against RedisEventStore on a real Redis Cluster (3 masters + 3 replicas).
import { useRedisCluster } from '../setup/redis-cluster.js';
import { describeRedisStoreContract } from './redis-contract.js';

const redis = useRedisCluster();

describeRedisStoreContract('RedisEventStore on Redis Cluster', () => ({
  clusterNodes: redis.seedNodes(),
  keyPrefix: redis.uniquePrefix(),
}));
