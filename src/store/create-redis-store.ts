// Builds the Redis EventStore from settings (kept apart so the in-memory path never loads ioredis).
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.js';
import type { EventStore } from './event-store.js';
import { slotDir } from './journal/dir-lock.js';
import { importV1Journal } from './journal/import-v1.js';
import { StoreLog } from './store-log.js';
import type { MigratedExperiment } from './redis/migrate-v1.js';

const MIGRATION_RETRY_MS = 5000;

/**
 * Migrates experiments that still have abgate v1 keys (once, whichever gateway comes first), retrying
 * while Redis is unreachable. Writes to such an experiment wait meanwhile (the apply script refuses them).
 */
async function migrateAll(
  settings: Settings,
  experiments: readonly MigratedExperiment[],
  logger: Logger,
  reminderMs: number,
  retryMs: number,
): Promise<void> {
  const { migrateExperiment } = await import('./redis/migrate-v1.js');
  const { KeyLayout } = await import('./redis/key-layout.js');
  const { closeQuietly, oneShotClient } = await import('./redis/store-client.js');
  const keys = new KeyLayout();
  const pending = [...experiments];
  let failures = 0;
  let remindedAt = 0;
  while (pending.length > 0) {
    const client = oneShotClient(settings.redisUrl, { clusterNodes: settings.redisCluster });
    try {
      await client.connect();
      while (pending.length > 0) {
        const exp = pending[0]!;
        if ((await migrateExperiment(client, keys, exp)) === 'migrated') {
          logger.info({ experiment: exp.id }, "migrated the experiment's abgate v1 data to phase 1");
        }
        pending.shift();
      }
    } catch (err) {
      // Like the store's own log: the first failure, then a reminder now and then, not every retry.
      failures += 1;
      if (failures === 1 || Date.now() - remindedAt >= reminderMs) {
        remindedAt = Date.now();
        logger.warn(
          { error: (err as Error).message, failures },
          `v1 data migration failed; retrying every ${retryMs / 1000} s`,
        );
      } else {
        logger.debug({ failures }, 'v1 data migration retry failed');
      }
      await new Promise((r) => setTimeout(r, retryMs).unref());
    } finally {
      await closeQuietly(client);
    }
  }
  if (failures > 0) logger.info({ failures }, 'v1 data migration done after retries');
}

export interface RedisStoreWiring {
  /** The journal slot this process writes: 0 for a single gateway, the worker's slot under --workers. */
  readonly slot: number;
  readonly logger: Logger;
  /** Experiments whose abgate v1 keys, if any, are migrated to the v2 layout at start. @default [] */
  readonly experiments?: readonly MigratedExperiment[];
  /** Milliseconds between reminders while Redis stays unreachable. @default 60000 */
  readonly reminderMs?: number;
  /** Milliseconds between attempts of the v1 migration while Redis is unreachable. @default 5000 */
  readonly migrationRetryMs?: number;
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
  if (wiring.experiments && wiring.experiments.length > 0)
    void migrateAll(
      settings,
      wiring.experiments,
      wiring.logger,
      wiring.reminderMs ?? 60_000,
      wiring.migrationRetryMs ?? MIGRATION_RETRY_MS,
    );
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
