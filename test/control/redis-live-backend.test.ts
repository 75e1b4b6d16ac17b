import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CorruptLiveStateError } from '../../src/control/live-state-codec.js';
import { createRedisLiveBackend } from '../../src/control/redis-live-backend.js';
import { useSharedRedis } from '../setup/shared-redis.js';
import { entryOf, freshId, liveBackendContract, stateOf } from './live-backend.contract.js';

const redis = useSharedRedis();

liveBackendContract('redis', async () => {
  const prefix = redis.uniquePrefix();
  const a = createRedisLiveBackend({ url: redis.url(), prefix });
  const b = createRedisLiveBackend({ url: redis.url(), prefix });
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
});

describe('RedisLiveBackend', () => {
  it('keeps an experiment in one hash slot and the history capped', async () => {
    const prefix = redis.uniquePrefix();
    const backend = createRedisLiveBackend({ url: redis.url(), prefix, historyLimit: 1 });
    const client = new Redis(redis.url());
    try {
      const id = freshId();
      for (let v = 1; v <= 300; v++) {
        expect((await backend.compareAndSet(id, v - 1, stateOf(id, v), entryOf(stateOf(id, v)))).ok).toBe(
          true,
        );
      }
      const keys = (await client.keys(`${prefix}:*`)).sort();
      expect(keys).toEqual([`${prefix}:{${id}}:history`, `${prefix}:{${id}}:live`]);
      expect(await client.hget(`${prefix}:{${id}}:live`, 'version')).toBe('300');
      // MAXLEN ~ trims whole macro nodes: far fewer than 300 remain, the newest always among them.
      const history = await backend.history(id);
      expect(history.length).toBeLessThan(300);
      expect(history.at(-1)?.version).toBe(300);
    } finally {
      client.disconnect();
      await backend.close();
    }
  });

  it('refuses a corrupt stored state with a clear error', async () => {
    const prefix = redis.uniquePrefix();
    const backend = createRedisLiveBackend({ url: redis.url(), prefix });
    const client = new Redis(redis.url());
    try {
      const id = freshId();
      await client.hset(
        `${prefix}:{${id}}:live`,
        'version',
        '3',
        'state',
        '{"experiment":"x","version":"three"}',
      );
      await expect(backend.read(id)).rejects.toThrow(CorruptLiveStateError);
      await expect(backend.read(id)).rejects.toThrow(/live state of ".*" is malformed: version/);
    } finally {
      client.disconnect();
      await backend.close();
    }
  });
});
