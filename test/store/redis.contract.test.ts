// Runs the EventStore contract against RedisEventStore on a real redis-server.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { RedisEventStore } from '../../src/store/redis/redis-event-store.js';
import { useSharedRedis } from '../setup/shared-redis.js';
import { describeEventStoreContract } from './event-store.contract.js';

const redis = useSharedRedis();

describeEventStoreContract('RedisEventStore', async (options) => {
  const journalDir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
  // Redis stays up: statuses must be final, so wait for them however slow the machine is.
  const store = new RedisEventStore({
    url: redis.url(),
    keyPrefix: redis.uniquePrefix(),
    journalDir,
    outcomeWaitMs: 60_000,
    ...options,
  });
  return {
    store,
    settle: async () => {
      expect(await store.flush(10_000)).toBe(true);
    },
    dispose: async () => {
      await store.close();
      expect(readdirSync(journalDir)).toEqual([]);
      rmSync(journalDir, { recursive: true, force: true });
    },
    // Marker TTLs run on the server's clock: wait for real.
    elapse: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
});
