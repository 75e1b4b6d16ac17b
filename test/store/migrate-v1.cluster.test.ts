// abgate v1 keys → v2 on a Redis Cluster: the SCAN for v1 keys visits every master, the writes stay in
// the experiment's slot (the scenarios: migrate-v1.suite.ts).
import { Cluster } from 'ioredis';
import { parseClusterNodes } from '../../src/store/redis/store-client.js';
import { useRedisCluster } from '../setup/redis-cluster.js';
import { describeV1Migration } from './migrate-v1.suite.js';

const redis = useRedisCluster();

describeV1Migration('migrating abgate v1 keys on Redis Cluster', {
  client: () => new Cluster(parseClusterNodes(redis.cluster().seedSpec)),
  connection: () => ({ clusterNodes: redis.seedNodes() }),
  uniquePrefix: () => redis.uniquePrefix(),
});
