// Builds the Redis EventStore from settings (kept apart so the in-memory path never loads ioredis).
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.js';
import type { EventStore } from './event-store.js';
import { slotDir } from './journal/dir-lock.js';
import { importV1Journal } from './journal/import-v1.js';
import { StoreLog } from './store-log.js';

export interface RedisStoreWiring {
  /** The journal slot this process writes: 0 for a single gateway, the worker's slot under --workers. */
  readonly slot: number;
  readonly logger: Logger;
  /** Milliseconds between reminders while Redis stays unreachable. @default 60000 */
  readonly reminderMs?: number;
}

export async function createRedisEventStore(
  settings: Settings,
  wiring: RedisStoreWiring,
): Promise<EventStore> {
  const { RedisEventStore } = await import('./redis/redis-event-store.js');
  const dir = slotDir(settings.journalDir, wiring.slot);
  if (wiring.slot === 0) {
    const imported = importV1Journal(settings.journalDir, dir);
    if (imported > 0)
      wiring.logger.info({ files: imported }, 'imported the journal of abgate v1; it replays first');
  }
  const log = new StoreLog(wiring.logger, { reminderMs: wiring.reminderMs });
  return new RedisEventStore({
    journalDir: dir,
    url: settings.redisUrl,
    clusterNodes: settings.redisCluster?.split(','),
    dedupWindowSeconds: settings.dedupWindowSeconds,
    attributionGraceMs: settings.attributionGraceSeconds * 1000,
    queueLimit: settings.queueLimit,
    streamMaxLen: settings.streamMaxLen,
    fsyncIntervalMs: settings.journalFsyncMs,
    waitReplicas: settings.redisWaitReplicas,
    onError: log.error,
    onStateChange: log.state,
  });
}
