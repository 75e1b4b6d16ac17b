// abgate v1 keys → v2 on a single Redis (the scenarios: migrate-v1.suite.ts).
import { Redis } from 'ioredis';
import { useSharedRedis } from '../setup/shared-redis.js';
import { describeV1Migration } from './migrate-v1.suite.js';

const redis = useSharedRedis();

describeV1Migration('migrating abgate v1 keys', {
  client: () => new Redis(redis.url()),
  connection: () => ({ url: redis.url() }),
  uniquePrefix: () => redis.uniquePrefix(),
});
