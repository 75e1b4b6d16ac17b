// `abgate serve`: the gateway, in-process or as N worker processes (node:cluster) sharing only Redis.
import cluster from 'node:cluster';
import { loadExperiments } from '../config/load-experiments.js';
import type { Environment } from '../config/interpolate.js';
import { loadSettings, SETTINGS_ENV, type Settings } from '../config/settings.js';
import { createGateway, type Gateway } from '../server.js';
import { createServices, createLogger } from '../services.js';
import { intFlag, listenFailure, parse } from './args.js';
import { serveClusterMetrics } from '../telemetry/cluster-metrics.js';

export const SERVE_FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  experiments: { type: 'string' },
  redis: { type: 'string' },
  workers: { type: 'string' },
} as const;

export const SERVE_USAGE = `abgate serve [--port N] [--host H] [--experiments DIR] [--redis URL] [--workers N]
  --port         PORT                (default 8080)
  --host         ABGATE_HOST         (default 0.0.0.0)
  --experiments  ABGATE_EXPERIMENTS  (default ./experiments)
  --redis        REDIS_URL           (default: none, embedded in-memory store, not durable)
  --workers      ABGATE_WORKERS      (default 1)
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
 * cannot be bound, releases everything it opened (store connections, pools) and throws a
 * CommandError naming the port and the setting to change, so the process can exit.
 */
export async function runGateway(settings: Settings, options: RunGatewayOptions = {}): Promise<Gateway> {
  const experiments = await loadExperiments(
    settings.experimentsDir,
    options.experimentsEnv ? { env: options.experimentsEnv } : {},
  );
  const services = await createServices(settings, experiments);
  const gateway = createGateway(services);
  let port: number;
  try {
    port = await gateway.listen();
  } catch (err) {
    await gateway.close(0).catch(() => undefined);
    throw listenFailure('the gateway', settings.host, settings.port, err, {
      flag: '--port',
      variable: SETTINGS_ENV.port,
      hostFlag: '--host',
      hostVariable: SETTINGS_ENV.host,
    });
  }
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
      () => process.exit(0),
      (err: unknown) => {
        services.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return gateway;
}

/**
 * Primary of a multi-worker gateway: forks, replaces workers that die after they were serving,
 * relays the stop signal. A worker that exits before it ever listened (port taken, bad setting)
 * would fail the same way again: the primary stops the others and exits 1 instead of re-forking.
 */
function runPrimary(settings: Settings): void {
  const logger = createLogger(settings);
  let stopping = false;
  const listened = new Set<number>();
  serveClusterMetrics();
  for (let i = 0; i < settings.workers; i++) cluster.fork();
  cluster.on('listening', (worker) => listened.add(worker.id));
  const stopAll = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  cluster.on('exit', (worker, code, signal) => {
    const wasServing = listened.delete(worker.id);
    if (!stopping && !wasServing) {
      stopping = true;
      process.exitCode = 1;
      logger.fatal(
        { worker: worker.process.pid, code, signal },
        'a worker stopped before it could serve (see its message above); stopping the gateway',
      );
      logger.flush();
      stopAll();
    }
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit();
      return;
    }
    logger.error({ worker: worker.process.pid, code, signal }, 'worker died; starting a new one');
    cluster.fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    logger.info({ signal }, 'stopping workers');
    stopAll();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
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
