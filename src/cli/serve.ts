// `abgate serve`: the gateway, in-process or as N worker processes (node:cluster) sharing only Redis.
import cluster from 'node:cluster';
import { loadExperiments } from '../config/load-experiments.js';
import type { Environment } from '../config/interpolate.js';
import { loadSettings, SETTINGS_ENV, type Settings } from '../config/settings.js';
import { createGateway, type Gateway } from '../server.js';
import { createServices, createLogger } from '../services.js';
import { intFlag, listenFailure, parse } from './args.js';
import { serveClusterMetrics } from '../telemetry/cluster-metrics.js';
import { JournalDirLock } from '../store/journal/dir-lock.js';

/** Set by the primary of `--workers N` for each worker: the journal slot it writes (0…N−1). */
const WORKER_SLOT_ENV = 'ABGATE_WORKER_SLOT';

function usesJournal(settings: Settings): boolean {
  return settings.redisUrl !== undefined || settings.redisCluster !== undefined;
}

export const SERVE_FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  experiments: { type: 'string' },
  redis: { type: 'string' },
  'redis-cluster': { type: 'string' },
  workers: { type: 'string' },
} as const;

export const SERVE_USAGE = `abgate serve [--port N] [--host H] [--experiments DIR] [--redis URL | --redis-cluster NODES] [--workers N]
  --port           PORT                  (default 8080)
  --host           ABGATE_HOST           (default 0.0.0.0)
  --experiments    ABGATE_EXPERIMENTS    (default ./experiments)
  --redis          REDIS_URL             (default: none, embedded in-memory store, not durable)
  --redis-cluster  ABGATE_REDIS_CLUSTER  (Redis Cluster seed nodes host:port,host:port,…)
  --workers        ABGATE_WORKERS        (default 1)
Every setting and its variable: see the README's Configuration table.`;

/** Settings from the environment with the serve flags on top; `extra` adds other overrides. */
export function serveSettings(
  args: string[],
  extra: (
    values: Record<string, string | boolean | undefined>,
  ) => Partial<Record<keyof Settings, unknown>> = () => ({}),
  flags: Record<string, { type: 'string' | 'boolean' }> = SERVE_FLAGS,
): Settings {
  const { values } = parse(args, flags);
  const text = (name: string) => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  return loadSettings(process.env, {
    port: intFlag(text('port'), 'port'),
    host: text('host'),
    experimentsDir: text('experiments'),
    redisUrl: text('redis'),
    redisCluster: text('redis-cluster'),
    workers: intFlag(text('workers'), 'workers'),
    ...extra(values),
  });
}

export interface RunGatewayOptions {
  /** Variables for `${NAME}` in experiment files. @default process.env */
  readonly experimentsEnv?: Environment;
}

/**
 * Starts one gateway in this process and wires SIGTERM/SIGINT to a graceful stop. When the port
 * cannot be bound, releases everything it opened (store, journal lock, pools) and throws a
 * CommandError naming the port and the setting to change, so the process can exit.
 */
export async function runGateway(settings: Settings, options: RunGatewayOptions = {}): Promise<Gateway> {
  const experiments = await loadExperiments(
    settings.experimentsDir,
    options.experimentsEnv ? { env: options.experimentsEnv } : {},
  );
  // A single gateway owns its journal folder (slot 0); a worker writes the slot its primary gave it.
  const slot = cluster.isWorker ? Number(process.env[WORKER_SLOT_ENV] ?? 0) : 0;
  const lock =
    !cluster.isWorker && usesJournal(settings) ? JournalDirLock.acquire(settings.journalDir) : undefined;
  const services = await createServices(settings, experiments, { journalSlot: slot });
  const gateway = createGateway(services);
  let port: number;
  try {
    port = await gateway.listen();
  } catch (err) {
    await gateway.close(0).catch(() => undefined);
    lock?.release();
    throw listenFailure('the gateway', settings.host, settings.port, err, {
      flag: '--port',
      variable: SETTINGS_ENV.port,
      hostFlag: '--host',
      hostVariable: SETTINGS_ENV.host,
    });
  }
  // Experiment files are picked up live: on every change in the folder, and on SIGHUP.
  services.registry.watchFolder(settings.experimentsDir);
  process.on('SIGHUP', () => {
    services.logger.info({ dir: settings.experimentsDir }, 'SIGHUP: reloading the experiments folder');
    void services.registry.reloadFrom(settings.experimentsDir);
  });
  services.logger.info(
    {
      port,
      experiments: experiments.map(
        (e) => `${e.definition.id} (${e.definition.status}) ${e.definition.route.path}`,
      ),
      store: services.store.status().backend,
    },
    `abgate listening on http://${settings.host}:${port}`,
  );
  const stop = (signal: string) => {
    services.logger.info({ signal }, 'shutting down: finishing in-flight requests and flushing events');
    gateway.close().then(
      ({ unsaved }) => {
        lock?.release();
        if (unsaved > 0) {
          services.logger.error(
            { unsaved, journal: settings.journalDir },
            `shut down with ${unsaved} events neither applied to Redis nor saved to the journal (is the disk full?); they are lost`,
          );
          services.logger.flush();
          process.exit(1);
        }
        process.exit(0);
      },
      (err: unknown) => {
        services.logger.error({ err }, 'shutdown failed');
        services.logger.flush();
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return gateway;
}

/**
 * Primary of a multi-worker gateway: owns the journal folder, gives each worker a journal slot, re-forks a
 * dead worker into its slot (the new one replays what the dead one left), relays the stop signal. A worker
 * that exits before it ever listened (port taken, bad setting) would fail the same way again: the primary
 * stops the others and exits 1 instead of re-forking.
 */
function runPrimary(settings: Settings): void {
  const logger = createLogger(settings);
  const lock = usesJournal(settings) ? JournalDirLock.acquire(settings.journalDir) : undefined;
  let stopping = false;
  let failedStop = false;
  const slotOf = new Map<number, number>();
  const listened = new Set<number>();
  const fork = (slot: number) => {
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) });
    slotOf.set(worker.id, slot);
  };
  serveClusterMetrics();
  for (let i = 0; i < settings.workers; i++) fork(i);
  cluster.on('listening', (worker) => listened.add(worker.id));
  const stopAll = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  cluster.on('exit', (worker, code, signal) => {
    const slot = slotOf.get(worker.id) ?? 0;
    slotOf.delete(worker.id);
    const wasServing = listened.delete(worker.id);
    if (!stopping && !wasServing) {
      stopping = true;
      failedStop = true;
      logger.fatal(
        { worker: worker.process.pid, slot, code, signal },
        'a worker stopped before it could serve (see its message above); stopping the gateway',
      );
      logger.flush();
      stopAll();
    }
    if (stopping) {
      if (code !== 0) failedStop = true;
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        lock?.release();
        process.exit(failedStop ? 1 : 0);
      }
      return;
    }
    logger.error(
      { worker: worker.process.pid, slot, code, signal },
      'worker died; starting a new one in its slot',
    );
    fork(slot);
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    logger.info({ signal }, 'stopping workers');
    stopAll();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.on('SIGHUP', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
  });
}

export async function serveCommand(args: string[]): Promise<number | undefined> {
  const settings = serveSettings(args);
  if (settings.workers > 1 && cluster.isPrimary) {
    // Fail fast on a bad experiment folder before forking N copies of the same error.
    await loadExperiments(settings.experimentsDir);
    runPrimary(settings);
    return undefined;
  }
  try {
    await runGateway(settings);
  } catch (err) {
    // A worker's IPC channel would keep it alive: let it go so the primary sees the exit.
    if (cluster.isWorker) cluster.worker?.disconnect();
    throw err;
  }
  return undefined;
}
