// Runs the EventStore contract against RedisEventStore on a real redis-server.
import { useSharedRedis } from '../setup/shared-redis.js';
import { describeRedisStoreContract } from './redis-contract.js';

const redis = useSharedRedis();

describeRedisStoreContract('RedisEventStore', () => ({ url: redis.url(), keyPrefix: redis.uniquePrefix() }));
