// The canary lease and progress, the same contract on both stores: one holder at a time, renewal only
// by the holder, takeover once a lease expired, progress written only by the holder.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { RolloutProgress } from '../../src/core/rollout.js';
import {
  defineRolloutCommands,
  RedisRolloutStore,
  type RolloutRedisCommands,
} from '../../src/control/rollout-redis-store.js';
import { MemoryRolloutStore, type RolloutStore } from '../../src/control/rollout-store.js';
import { useSharedRedis } from '../setup/shared-redis.js';

const redis = useSharedRedis();
const clients: Redis[] = [];
afterAll(() => clients.forEach((c) => c.disconnect()));

const step: RolloutProgress = { state: 'stepping', stepIndex: 1, stepStartedAt: 1000, lastCheck: null };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const stores: [string, () => { store: RolloutStore; expire: (ms: number) => Promise<void> }][] = [
  [
    'memory',
    () => {
      let now = 0;
      return {
        store: new MemoryRolloutStore(() => now),
        expire: async (ms) => {
          now += ms;
        },
      };
    },
  ],
  [
    'redis',
    () => {
      const client = new Redis(redis.url());
      clients.push(client);
      defineRolloutCommands(client);
      return {
        store: new RedisRolloutStore(client as unknown as RolloutRedisCommands, {
          prefix: redis.uniquePrefix(),
        }),
        expire: (ms) => sleep(ms),
      };
    },
  ],
];

describe.each(stores)('%s rollout store', (_, make) => {
  it('lets one owner hold the lease, renew it, and nobody else take it until it expires', async () => {
    const { store, expire } = make();
    expect(await store.acquire('exp', 'a', 200)).toBe(true);
    expect(await store.acquire('exp', 'b', 200)).toBe(false);
    expect(await store.holder('exp')).toBe('a');
    expect(await store.acquire('exp', 'a', 200)).toBe(true); // renewal
    await expire(300);
    expect(await store.holder('exp')).toBeNull();
    expect(await store.acquire('exp', 'b', 200)).toBe(true);
    // The old holder can neither renew nor release the new holder's lease.
    expect(await store.acquire('exp', 'a', 200)).toBe(false);
    await store.release('exp', 'a');
    expect(await store.holder('exp')).toBe('b');
    await store.release('exp', 'b');
    expect(await store.holder('exp')).toBeNull();
  });

  it('keeps progress per experiment, written only by the lease holder', async () => {
    const { store } = make();
    expect(await store.read('exp')).toBeUndefined();
    expect(await store.write('exp', 'a', step)).toBe(false);
    await store.acquire('exp', 'a', 5000);
    expect(await store.write('exp', 'a', step)).toBe(true);
    expect(await store.write('exp', 'b', { ...step, stepIndex: 3 })).toBe(false);
    expect(await store.read('exp')).toEqual(step);
    expect(await store.read('other')).toBeUndefined();
  });
});

describe('redis rollout store keys', () => {
  it('carry the experiment hash tag, so one experiment is one Cluster slot', async () => {
    const client = new Redis(redis.url());
    clients.push(client);
    defineRolloutCommands(client);
    const prefix = redis.uniquePrefix();
    const store = new RedisRolloutStore(client as unknown as RolloutRedisCommands, { prefix });
    await store.acquire('ranker', 'a', 5000);
    await store.write('ranker', 'a', step);
    expect((await client.keys(`${prefix}:*`)).sort()).toEqual([
      `${prefix}:{ranker}:rollout:lease`,
      `${prefix}:{ranker}:rollout:state`,
    ]);
  });
});
