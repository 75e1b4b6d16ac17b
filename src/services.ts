// Builds every service once and hands them to the app: the one place where the gateway is wired.
import cluster from 'node:cluster';
import { pino, type Logger } from 'pino';
import { clusterMetricsFetcher } from './telemetry/cluster-metrics.js';
import type { Settings } from './config/settings.js';
import type { LoadedExperiment } from './config/load-experiments.js';
import { ExperimentCatalog } from './routing/catalog.js';
import { defaultRequestId, type RequestIdGenerator } from './gateway/request-id.js';
import { UpstreamPools, type Upstreams } from './proxy/upstream-pools.js';
import type { EventStore } from './store/event-store.js';
import { MemoryEventStore } from './store/memory-event-store.js';
import { withExposureCache } from './store/exposure-cache.js';
import { createRedisEventStore } from './store/create-redis-store.js';
import { GatewayMetrics } from './telemetry/metrics.js';
import { instrumentStore } from './telemetry/instrumented-store.js';
import { requestLogger } from './telemetry/request-log.js';
import type { RequestObserver } from './telemetry/request-record.js';

export interface Services {
  readonly settings: Settings;
  readonly catalog: ExperimentCatalog;
  readonly store: EventStore;
  readonly upstreams: Upstreams;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly observe: RequestObserver;
  readonly requestId: RequestIdGenerator;
  /** Wall clock (ms since epoch). */
  readonly now: () => number;
}

/** Seams for tests and embedding; every one has a production default. */
export interface ServiceOverrides {
  store?: EventStore;
  upstreams?: Upstreams;
  logger?: Logger;
  requestId?: RequestIdGenerator;
  now?: () => number;
  random?: () => number;
  /** Export Node process metrics. @default true */
  processMetrics?: boolean;
}

export function createLogger(settings: Pick<Settings, 'logLevel'>): Logger {
  // Asynchronous destination: logging must not block the request path. Flushed on shutdown.
  return pino(
    { level: settings.logLevel, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 1, sync: false }),
  );
}

export async function createServices(
  settings: Settings,
  experiments: readonly LoadedExperiment[],
  overrides: ServiceOverrides = {},
): Promise<Services> {
  const logger = overrides.logger ?? createLogger(settings);
  const now = overrides.now ?? Date.now;
  let baseStore = overrides.store;
  if (!baseStore) {
    if (settings.redisUrl) {
      baseStore = await createRedisEventStore(settings, logger);
    } else {
      logger.warn(
        'no REDIS_URL configured: using the embedded in-memory event store; exposures and outcomes are NOT durable and vanish when the gateway stops',
      );
      baseStore = new MemoryEventStore({ dedupWindowMs: settings.dedupWindowSeconds * 1000, now });
    }
  }
  const catalog = new ExperimentCatalog(experiments);
  const metrics = new GatewayMetrics(baseStore, {
    processMetrics: overrides.processMetrics ?? true,
    // Users per arm and the SRM p-value of every experiment that collects, at each scrape.
    experiments: () =>
      catalog
        .list()
        .filter((e) => catalog.isCollecting(e))
        .map((e) => ({ id: e.id, arms: e.definition.arms })),
    ...(cluster.isWorker ? { aggregate: (registry) => clusterMetricsFetcher(registry) } : {}),
  });
  const log = requestLogger(logger, {
    sampleRate: settings.logSampleRate,
    random: overrides.random ?? Math.random,
  });
  return {
    settings,
    catalog,
    // Repeat visits of a user in the same arm never reach the store (see exposure-cache.ts).
    store: instrumentStore(withExposureCache(baseStore), metrics),
    upstreams: overrides.upstreams ?? new UpstreamPools(),
    metrics,
    logger,
    observe: (record) => {
      metrics.observeRequest(record);
      log(record);
    },
    requestId: overrides.requestId ?? defaultRequestId,
    now,
  };
}

/** Releases what the services hold: flushes the store, closes upstream pools, flushes the log. */
export async function closeServices(services: Services): Promise<void> {
  await services.store.close();
  await services.upstreams.close();
  services.logger.flush();
}
