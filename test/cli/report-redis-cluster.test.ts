// `abgate report <id> --redis-cluster NODES`: the same report from a real Redis Cluster (3 + 3 nodes).
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { experimentsDir, NO_UPSTREAMS, twoArmExperiment } from '../helpers/experiments.js';
import { useRedisCluster } from '../setup/redis-cluster.js';
import { reportFromRedisCases } from './report-from-redis.suite.js';

const redis = useRedisCluster();

describe('abgate report --redis-cluster', () => {
  reportFromRedisCases(() => ({
    store: { clusterNodes: redis.seedNodes() },
    cliArgs: ['--redis-cluster', redis.cluster().seedSpec],
  }));

  it('fails clearly when no seed node can be reached', async () => {
    const dir = await experimentsDir([twoArmExperiment('from-redis', NO_UPSTREAMS)]);
    const r = await runCli(['report', 'from-redis', '--redis-cluster', '127.0.0.1:1', '--experiments', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to the Redis Cluster of 127.0.0.1:1');
  });
});
