// The EventStore contract against RedisEventStore, for any Redis: a single server or a cluster.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { RedisEventStore, type RedisEventStoreOptions } from '../../src/store/redis/redis-event-store.js';
import { describeEventStoreContract } from './event-store.contract.js';

/** Where the store connects: `url` or `clusterNodes`, and a key prefix of its own. */
export type RedisTarget = () => Pick<RedisEventStoreOptions, 'url' | 'clusterNodes' | 'keyPrefix'>;

export function describeRedisStoreContract(name: string, target: RedisTarget): void {
  describeEventStoreContract(name, async (options) => {
    const journalDir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
    let ahead = 0;
    // Redis stays up: statuses must be final, so wait for them however slow the machine is.
    const store = new RedisEventStore({
      ...target(),
      journalDir,
      outcomeWaitMs: 60_000,
      sweepIntervalMs: 50,
      now: () => Date.now() + ahead,
      attributionGraceMs: options?.attributionGraceMs ?? 60_000,
      ...(options?.dedupWindowSeconds === undefined
        ? {}
        : { dedupWindowSeconds: options.dedupWindowSeconds }),
    });
    return {
      store,
      settle: async () => {
        expect(await store.flush(10_000)).toBe(true);
      },
      dispose: async () => {
        expect(await store.close()).toEqual({ unsaved: 0 });
        // Everything applied: the journal keeps nothing but the writer's identity.
        expect(readdirSync(journalDir)).toEqual(['writer.json']);
        rmSync(journalDir, { recursive: true, force: true });
      },
      // Marker TTLs and the grace period run on the server's clock: wait for real.
      elapse: (ms) => new Promise((r) => setTimeout(r, ms)),
      advanceClock: (ms) => {
        ahead += ms;
      },
    };
  });
}
