// Builds every service once and hands them to the app: the one place where the gateway is wired.
import cluster from 'node:cluster';
import { pino, type Logger } from 'pino';
import { clusterMetricsFetcher } from './telemetry/cluster-metrics.js';
import type { Settings } from './config/settings.js';
import type { LoadedExperiment } from './config/load-experiments.js';
import type { ExperimentCatalog } from './routing/catalog.js';
import { ExperimentRegistry } from './control/registry.js';
import type { LiveStateBackend } from './control/live-backend.js';
import { MemoryLiveBackend } from './control/memory-live-backend.js';
import { createRedisLiveBackend } from './control/redis-live-backend.js';
import { registerControlMetrics } from './control/control-metrics.js';
import { RolloutDriver } from './control/rollout-driver.js';
import { registerRolloutMetrics } from './control/rollout-metrics.js';
import { MemoryRolloutStore, type RolloutStore } from './control/rollout-store.js';
import { createRedisRolloutStore } from './control/rollout-redis-store.js';
import { GuardrailCoalescer } from './gateway/guardrail-coalescer.js';
import { ShadowMirror } from './gateway/shadow-mirror.js';
import { registerShadowMetrics } from './telemetry/shadow-metrics.js';
import { defaultRequestId, type RequestIdGenerator } from './gateway/request-id.js';
import { UpstreamPools, type Upstreams } from './proxy/upstream-pools.js';
import type { CloseResult, EventStore } from './store/event-store.js';
import { MemoryEventStore } from './store/memory-event-store.js';
import { eventMetricSpecs, ratioMetrics } from './routing/metric-targets.js';
import { createRedisEventStore } from './store/create-redis-store.js';
import { GatewayMetrics } from './telemetry/metrics.js';
import { instrumentStore } from './telemetry/instrumented-store.js';
import { requestLogger } from './telemetry/request-log.js';
import type { RequestObserver } from './telemetry/request-record.js';

export interface Services {
  readonly settings: Settings;
  /** The experiments, live: files overlaid with live state; changes go through `registry.change()`. */
  readonly registry: ExperimentRegistry;
  /** The registry's current snapshot. It changes live: read it once per request and keep that one. */
  readonly catalog: ExperimentCatalog;
  readonly store: EventStore;
  /** The gateway's per-user guardrail measurements on their way to the store (flushed periodically). */
  readonly guardrails: GuardrailCoalescer;
  readonly upstreams: Upstreams;
  /** Copies requests to shadow arms. */
  readonly shadows: ShadowMirror;
  /** Drives the automated canaries (`rollout:`) whose lease this gateway holds. */
  readonly rollouts: RolloutDriver;
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
  /** Where live state is shared. @default Redis when REDIS_URL or ABGATE_REDIS_CLUSTER is set, else in this process */
  liveBackend?: LiveStateBackend;
  /** Where canary leases and progress are shared. @default Redis when REDIS_URL is set, else in this process */
  rolloutStore?: RolloutStore;
  upstreams?: Upstreams;
  logger?: Logger;
  requestId?: RequestIdGenerator;
  now?: () => number;
  random?: () => number;
  /** Export Node process metrics. @default true */
  processMetrics?: boolean;
  /** Journal slot of this process (its worker slot under --workers). @default 0 */
  journalSlot?: number;
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
    if (settings.redisUrl || settings.redisCluster) {
      baseStore = await createRedisEventStore(settings, {
        slot: overrides.journalSlot ?? 0,
        logger,
        experiments: experiments.map(({ definition: d }) => ({
          id: d.id,
          metrics: eventMetricSpecs(d).map(({ spec }) => ({
            name: spec.metric,
            type: spec.type,
            ...(spec.cap === undefined ? {} : { cap: spec.cap }),
          })),
          ratios: ratioMetrics(d),
        })),
      });
    } else {
      logger.warn(
        'no REDIS_URL configured: using the embedded in-memory event store; exposures and outcomes are NOT durable and vanish when the gateway stops',
      );
      baseStore = new MemoryEventStore({
        dedupWindowMs: settings.dedupWindowSeconds * 1000,
        attributionGraceMs: settings.attributionGraceSeconds * 1000,
        now,
      });
    }
  }
  // Set below: the metrics read the current catalog at each scrape.
  const created: { registry?: ExperimentRegistry } = {};
  const metrics = new GatewayMetrics(baseStore, {
    processMetrics: overrides.processMetrics ?? true,
    // Users per arm and the SRM p-value of every experiment that collects, in its current phase.
    experiments: () => {
      const catalog = created.registry?.current();
      if (!catalog) return [];
      return catalog
        .list()
        .filter((e) => catalog.isCollecting(e))
        .map((e) => ({ id: e.id, phase: e.phase, arms: e.definition.arms }));
    },
    ...(cluster.isWorker ? { aggregate: (registry) => clusterMetricsFetcher(registry) } : {}),
  });
  const registry = await ExperimentRegistry.create(experiments, {
    backend: overrides.liveBackend ?? createLiveBackend(settings, logger),
    logger,
    now,
    checkIntervalMs: settings.liveCheckIntervalMs,
  });
  created.registry = registry;
  registerControlMetrics(metrics.registry, registry);
  const store = instrumentStore(baseStore, metrics);
  const rollouts = new RolloutDriver({
    registry,
    store: overrides.rolloutStore ?? createRolloutStore(settings, logger, now),
    events: store,
    logger,
    leaseMs: settings.rolloutLeaseMs,
    now,
  });
  registerRolloutMetrics(metrics.registry, rollouts);
  rollouts.start();
  const log = requestLogger(logger, {
    sampleRate: settings.logSampleRate,
    random: overrides.random ?? Math.random,
  });
  const upstreams = overrides.upstreams ?? new UpstreamPools();
  const shadows = new ShadowMirror({
    metrics: registerShadowMetrics(metrics.registry),
    concurrency: settings.shadowConcurrency,
    compareRate: settings.shadowCompareRate,
    ...(overrides.random ? { random: overrides.random } : {}),
  });
  return {
    settings,
    registry,
    get catalog() {
      return registry.current();
    },
    store,
    guardrails: new GuardrailCoalescer(store, {
      flushMs: settings.guardrailFlushMs,
      samplePercent: settings.guardrailSamplePercent,
      now,
    }),
    upstreams,
    shadows,
    rollouts,
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

function createRolloutStore(settings: Settings, logger: Logger, now: () => number): RolloutStore {
  if (!settings.redisUrl && !settings.redisCluster) return new MemoryRolloutStore(now);
  // The live state's Redis: the lease and progress keys carry the experiment's hash tag.
  return createRedisRolloutStore({
    url: settings.redisUrl,
    clusterNodes: settings.redisCluster,
    onError: (err) => logger.debug({ err }, 'rollout store error'),
  });
}

function createLiveBackend(settings: Settings, logger: Logger): LiveStateBackend {
  if (!settings.redisUrl && !settings.redisCluster) return new MemoryLiveBackend();
  // ioredis reports every failed reconnect; one line per distinct error and minute is enough.
  let last = '';
  let lastAt = 0;
  return createRedisLiveBackend({
    url: settings.redisUrl,
    clusterNodes: settings.redisCluster,
    onError: (err) => {
      const text = err instanceof Error ? err.message : String(err);
      const at = Date.now();
      if (text === last && at - lastAt < 60_000) return;
      last = text;
      lastAt = at;
      // An unreachable store is expected operation: its message, not a stack, once a minute at most.
      logger.warn({ error: text }, 'live state store error');
    },
  });
}

/**
 * Releases what the services hold: pending guardrail measurements, live state, then applies or journals the store's events, closes
 * upstream pools, flushes the log. Resolves with what the store could not keep.
 */
export async function closeServices(services: Services): Promise<CloseResult> {
  // Pending guardrail measurements go to the store while it still takes events.
  services.guardrails.close();
  // Hands canary leases back: another gateway takes over at its next tick.
  await services.rollouts.close();
  await services.registry.close();
  const result = await services.store.close();
  await services.upstreams.close();
  await services.shadows.close();
  services.logger.flush();
  return result;
}
