// The live-backend contract on a real Redis Cluster (3 masters + 3 replicas): compare-and-set scripts
// in one slot per experiment, PUBLISH heard by a subscriber on whichever node it sits.
import { createRedisLiveBackend } from '../../src/control/redis-live-backend.js';
import { useRedisCluster } from '../setup/redis-cluster.js';
import { liveBackendContract } from './live-backend.contract.js';

const redis = useRedisCluster();

liveBackendContract('redis cluster', async () => {
  const prefix = redis.uniquePrefix();
  const clusterNodes = redis.cluster().seedSpec;
  const a = createRedisLiveBackend({ clusterNodes, prefix });
  const b = createRedisLiveBackend({ clusterNodes, prefix });
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
});
