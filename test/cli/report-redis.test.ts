// `abgate report <id> --redis`: reads the sufficient statistics straight from Redis and shows the
// same numbers as the report built from an in-memory store fed the same events (report-from-redis.suite.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { experimentsDir, NO_UPSTREAMS, twoArmExperiment } from '../helpers/experiments.js';
import { RedisServer } from '../setup/redis-server.js';
import { reportFromRedisCases } from './report-from-redis.suite.js';

let redis: RedisServer;
let dir: string;
beforeAll(async () => {
  redis = await RedisServer.start();
  dir = await experimentsDir([twoArmExperiment('from-redis', NO_UPSTREAMS)]);
}, 60_000);
afterAll(() => redis?.dispose());

describe('abgate report --redis', () => {
  reportFromRedisCases(() => ({ store: { url: redis.url }, cliArgs: ['--redis', redis.url] }));

  it('fails clearly when Redis cannot be reached', async () => {
    const r = await runCli(['report', 'from-redis', '--redis', 'redis://127.0.0.1:1', '--experiments', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'cannot connect to Redis at 127.0.0.1:1: connection refused (ECONNREFUSED): is it running, on this host and port?',
    );
  });
});
