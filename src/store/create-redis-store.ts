// Builds the Redis EventStore from settings (kept apart so the in-memory path never loads ioredis).
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.js';
import type { EventStore } from './event-store.js';

export async function createRedisEventStore(settings: Settings, logger: Logger): Promise<EventStore> {
  const { RedisEventStore } = await import('./redis/redis-event-store.js');
  const store = new RedisEventStore({
    url: settings.redisUrl!,
    dedupWindowSeconds: settings.dedupWindowSeconds,
    replayWindowSeconds: settings.replayWindowSeconds,
    queueLimit: settings.queueLimit,
    journalDir: settings.journalDir,
    streamMaxLen: settings.streamMaxLen,
    onError: (err: unknown) => logger.warn({ err }, 'event store error'),
  });
  return store;
}
